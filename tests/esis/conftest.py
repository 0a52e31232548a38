"""Fixtures for the ESIS tests: a running gateway on loopback, active verification codes, the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.esis.simulator import EsisSimulator
from gateway.app import WORKERS, create_app
from gateway.components import Components
from gateway.registry import codes
from verification.verificatiecode import ScryptParams

BRIN6 = "27ZX00"
OTHER_BRIN6 = "09QA00"
CODE = "27ZX00-Wilg-koppeling-2025!"
OTHER_CODE = "09QA00-Bongerd-esis-code-01"


@pytest.fixture(autouse=True)
def fast_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap scrypt parameters in tests (the real ones are measured in bench/, not in tests)."""
    monkeypatch.setattr(codes, "HASH_PARAMS", ScryptParams(n=2**8, r=8, p=1))


async def active_code(c: Components, brin6: str, code: str, environment: str = "esis-eenbes") -> codes.CodeView:
    view = await codes.register(c.db, brin6, environment, code, "test:school", contact_email="ict@school.example")
    return await codes.activate(c.db, view.id, "test:secretariaat")


@dataclass
class Gateway:
    c: Components
    app: web.Application
    server: TestServer

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    def esis(self, code: str | None = CODE) -> EsisSimulator:
        return EsisSimulator(self.url, code)

    async def drain(self) -> int:
        return await self.app[WORKERS].drain()


@pytest.fixture
def esis_section() -> dict[str, object]:
    """The ``[esis]`` settings for the gateway under test (no slow-down delays unless a test asks)."""
    return {"delay_step_seconds": 0.0}


@pytest.fixture
async def gateway(components: Components, esis_section: dict[str, object]) -> AsyncIterator[Gateway]:
    await active_code(components, BRIN6, CODE)
    await active_code(components, OTHER_BRIN6, OTHER_CODE)
    components.settings = components.settings.replace(sections={"esis": esis_section})
    app = create_app(components, run_workers=False)
    server = TestServer(app)
    await server.start_server()
    yield Gateway(components, app, server)
    await server.close()
