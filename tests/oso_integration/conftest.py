"""A gateway built by `gateway.app.create_app` on the real core (SQLite), served over HTTPS with client
certificates, in a simulated OSO world (OSR, Traffic Center and ParnasSys simulators on loopback)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from adapters.parnassys.simulator.world import DOEL_RK, GATEWAY_OIN, SimulatedWorld, start_world
from gateway.app import WORKERS, create_app
from gateway.cli.serve import server_ssl_context
from gateway.components import Components
from gateway.inbox.outbox import OutboxWorker
from tests.support.served import served


@dataclass
class Oso:
    world: SimulatedWorld
    c: Components
    app: web.Application
    url: str

    async def notify(self, *, brin: str = "14SS", kenmerk: str = "0000000700014SS00500", **kwargs: Any) -> str:
        return await self.world.las.send_notificatie(
            self.url, gateway_oin=GATEWAY_OIN, brin=brin, routeringskenmerk=kenmerk,
            doel_routeringskenmerk=DOEL_RK, **kwargs,
        )  # fmt: skip

    async def process(self) -> int:
        return await self.app[WORKERS].drain()

    async def deliver(self) -> int:
        return await OutboxWorker(self.c.db, self.c.deliverers, retry=self.c.retry).drain()


@pytest.fixture
async def oso(components: Components, tmp_path: Path) -> AsyncIterator[Oso]:
    world = await start_world(tmp_path / "world")
    c = components
    c.settings = c.settings.replace(sections=world.sections(), **world.tls_settings())
    app = create_app(c, run_workers=False)
    try:
        async with served(app, ssl_context=server_ssl_context(c.settings)) as port:
            yield Oso(world, c, app, f"https://127.0.0.1:{port}/oso/swv")
    finally:
        await world.stop()
