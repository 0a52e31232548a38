"""Fixtures for the registry tests: the CLI over the test store (schema by create_all, no migration) and a
fixed reference date for the koppelcheck."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.components import Components
from tests.registry.factories import TODAY, config_file


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gateway.registry.koppelcheck.today", lambda: TODAY)


@pytest.fixture
def no_migration(monkeypatch: pytest.MonkeyPatch) -> None:
    async def skip(_db: object) -> None:  # the test database is made by create_all
        return None

    monkeypatch.setattr("gateway.runtime.upgrade", skip)


@pytest.fixture
def cli(components: Components, tmp_path: Path, no_migration: None) -> list[str]:
    return ["--config", str(config_file(components, tmp_path))]
