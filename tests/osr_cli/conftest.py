"""Fixtures for `gateway osr sync|import`: the CLI over the test store, with the OSR simulator on loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.osr.simulator import OsrSimulator, running
from gateway.components import Components
from tests.registry.factories import config_file

DEMO_SEED = Path(__file__).resolve().parents[2] / "adapters" / "osr" / "demo_seed.json"


@pytest.fixture(autouse=True)
def no_migration(monkeypatch: pytest.MonkeyPatch) -> None:
    async def skip(_db: object) -> None:  # the test database is made by create_all
        return None

    monkeypatch.setattr("gateway.runtime.upgrade", skip)


@pytest.fixture
def simulator() -> OsrSimulator:
    """The demo seed: 14SS both mandates, 21KL without Kindkans, 30TV with an expired Kindkans mandate."""
    return OsrSimulator.from_seed(json.loads(DEMO_SEED.read_text(encoding="utf-8")))


@pytest.fixture
async def osr_cli(components: Components, tmp_path: Path, simulator: OsrSimulator) -> AsyncIterator[list[str]]:
    async with running(simulator) as url:
        osr = {"base_url": url, "max_attempts": 2, "backoff_initial": 0.01, "backoff_max": 0.02}
        yield ["--config", str(config_file(components, tmp_path, osr))]


@pytest.fixture
def cli(components: Components, tmp_path: Path) -> list[str]:
    return ["--config", str(config_file(components, tmp_path))]
