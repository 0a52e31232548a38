from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.components import Components
from gateway.registry import codes
from tests.hostile.targets import HostilePki, Running, activate_esis_code, make_pki, start_targets
from verification.verificatiecode import ScryptParams


@pytest.fixture(scope="session")
def hostile_pki(tmp_path_factory: pytest.TempPathFactory) -> HostilePki:
    return make_pki(tmp_path_factory.mktemp("hostile-pki"))


@pytest.fixture
def fast_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap scrypt parameters in tests (the real ones are measured in bench/)."""
    monkeypatch.setattr(codes, "HASH_PARAMS", ScryptParams(n=2**8, r=8, p=1))


@pytest.fixture
async def gateway(components: Components, hostile_pki: HostilePki, fast_hash: None) -> AsyncIterator[Running]:
    await activate_esis_code(components)
    running = await start_targets(components, hostile_pki)
    yield running
    await running.close()


@pytest.fixture
def repo() -> Path:
    return Path(__file__).resolve().parents[2]
