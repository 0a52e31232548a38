"""A third source system is one new folder (here the test double `tests.contracts.third_adapter`) and one line
in the composition root (`gateway.app.PLUGINS`): it goes end to end — intake → inbox → worker → stored
hulpvraag → status change → its own status hook → its own deliverer — with no change to the core."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select, update
from sqlmodel import col

import gateway.app
from gateway.app import COMPONENTS, WORKERS, create_app
from gateway.components import Components
from gateway.inbox.outbox import OutboxWorker
from gateway.pipeline.status import change_status
from gateway.store.models import Exchange, Hulpvraag, OutboxMessage
from gateway.store.status_seed import FIRST_STATUSES
from gateway.web.pages.policy import undeclared_routes
from tests.contracts.third_adapter.handoff import KIND, SOURCE, DerdeVerzoek
from tests.contracts.third_adapter.plugin import PATH, STATUS_MESSAGE, DerdeSource

PLUGIN = "tests.contracts.third_adapter.plugin"
VERZOEK = {
    "verzoek_id": "V-1",
    "brin6": "27ZX00",
    "leerlingid": "L-42",
    "voornaam": "Sam",
    "achternaam": "Derde",
    "geboortedatum": "2015-03-01",
}


@pytest.fixture
async def server(components: Components, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TestServer]:
    monkeypatch.setattr(gateway.app, "PLUGINS", (*gateway.app.PLUGINS, PLUGIN))  # the one line
    server = TestServer(create_app(components, run_workers=False))
    await server.start_server()
    yield server
    await server.close()


async def _post(server: TestServer, body: Mapping[str, object]) -> int:
    async with aiohttp.ClientSession() as http, http.post(server.make_url(PATH), json=body) as resp:
        return resp.status


async def _exchange(c: Components) -> Exchange:
    async with c.db.reader() as s:
        return (await s.exec(select(Exchange).where(Exchange.source == SOURCE))).scalars().one()  # type: ignore[call-overload, arg-type]  # sqlmodel's exec()/select() overloads; SQLModel types a column as its Python value


async def test_a_third_source_system_goes_end_to_end_through_the_unchanged_core(server: TestServer) -> None:
    app = server.app
    c = app[COMPONENTS]
    assert undeclared_routes(app, c.machine_routes) == []  # its endpoint is declared by the adapter itself
    assert await _post(server, {**VERZOEK, "wacht_eerst": True}) == 202
    ex = await _exchange(c)
    assert (ex.kind, ex.handoff_version, ex.meta["leerlingid"]) == (KIND, DerdeVerzoek.version, "L-42")

    assert await app[WORKERS].drain() == 1  # its source is down: the exchange waits, named in Dutch
    ex = await _exchange(c)
    assert (ex.state, ex.waiting_for) == ("wacht_op_herhaling", "derde_bron")
    assert ex.step is not None and ex.step.startswith("Wacht op de derde bron (testdubbel); volgende poging om")

    assert ex.id is not None
    await c.inbox.retry_now([ex.id], "test:secretariaat")
    assert await app[WORKERS].drain() == 1
    ex = await _exchange(c)
    assert ex.state == "verwerkt" and ex.hulpvraag_id is not None
    async with c.db.reader() as s:
        hv = (await s.exec(select(Hulpvraag).where(Hulpvraag.id == ex.hulpvraag_id))).scalars().one()  # type: ignore[call-overload, arg-type]  # sqlmodel's exec()/select() overloads; SQLModel types a column as its Python value
    assert (hv.source_system, hv.brin6, hv.leerlingid) == (SOURCE, "27ZX00", "L-42")
    assert hv.external_keys == {"derde_verzoek_id": "V-1"}

    await change_status(
        c.db, hv.id, FIRST_STATUSES[0], actor="test:secretariaat", hooks=c.status_hooks, toelichting="Gezien"
    )
    async with c.db.reader() as s:
        kinds = (await s.exec(select(col(OutboxMessage.kind)))).scalars().all()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert kinds == [STATUS_MESSAGE]  # its hook ran in the change's transaction, and no partner's hook did
    assert await OutboxWorker(c.db, c.deliverers, retry=c.retry).drain() == 1
    source = c.extras["derde_bron"]
    assert isinstance(source, DerdeSource)
    assert source.told == [{"verzoek_id": "V-1", "status": FIRST_STATUSES[0], "toelichting": "Gezien"}]


async def test_the_third_source_systems_rows_of_an_older_hand_off_version_still_process(server: TestServer) -> None:
    app = server.app
    c = app[COMPONENTS]
    assert await _post(server, VERZOEK) == 202
    old = {k: v for k, v in VERZOEK.items() if k != "leerlingid"} | {"leerling": "L-7"}  # how version 1 stored it
    async with c.db.session() as s:
        changed = update(Exchange).where(col(Exchange.source) == SOURCE).values(meta=old, handoff_version=1)
        await s.exec(changed)
    assert await app[WORKERS].drain() == 1
    ex = await _exchange(c)
    assert ex.state == "verwerkt"
    async with c.db.reader() as s:
        hv = (await s.exec(select(Hulpvraag).where(Hulpvraag.id == ex.hulpvraag_id))).scalars().one()  # type: ignore[call-overload, arg-type]  # sqlmodel's exec()/select() overloads; SQLModel types a column as its Python value
    assert hv.leerlingid == "L-7"
