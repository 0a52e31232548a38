"""One correlation id per exchange: the request that received it and the stored exchange share it."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from sqlmodel import col

from gateway.components import Components
from gateway.store.models import Exchange
from gateway.web.correlation import HEADER, correlation_middleware
from tests.conftest import unique
from tests.support.fakes import new_exchange


async def test_the_stored_exchange_carries_the_id_of_the_request_that_received_it(components: Components) -> None:
    key = unique("cid-")

    async def receive(_: web.Request) -> web.Response:
        result = await components.inbox.put(new_exchange(key))
        return web.json_response({"id": result.exchange_id})

    app = web.Application(middlewares=[correlation_middleware])
    app.router.add_post("/in", receive)
    async with TestClient(TestServer(app)) as client:
        resp = await client.post("/in", headers={HEADER: "chosen-by-the-sender"})
        cid = resp.headers[HEADER]
    assert cid != "chosen-by-the-sender" and len(cid) == 32
    async with components.db.reader() as s:
        stored = (await s.exec(select(Exchange).where(col(Exchange.key) == key))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert stored.correlation_id == cid


async def test_outside_a_request_the_inbox_makes_an_id(components: Components) -> None:
    result = await components.inbox.put(new_exchange(unique("cid-")))
    assert len(result.correlation_id) == 32
