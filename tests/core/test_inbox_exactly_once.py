"""The inbox keeps every exchange and turns each into exactly one outcome, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import ColumnElement, func, select
from sqlmodel import SQLModel, col

from gateway.components import Components
from gateway.inbox.worker import ExchangeWorkers
from gateway.store.models import AuditEntry, Bijlage, Exchange, ExchangeState, Hulpvraag, OutboxMessage, StatusHistorie
from tests.conftest import unique
from tests.support.fakes import ScriptedHandler, new_exchange


def workers_for(c: Components, handler: ScriptedHandler) -> ExchangeWorkers:
    return ExchangeWorkers(c.db, c.inbox, {"test_aanvraag": handler}, retry=c.retry, max_attempts=3, poll_interval=0.01)


async def count(c: Components, model: type[SQLModel], *where: ColumnElement[bool]) -> int:
    async with c.db.reader() as s:
        return int((await s.exec(select(func.count()).select_from(model).where(*where))).one()[0])  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def test_an_exchange_becomes_one_hulpvraag_with_bijlagen_history_and_audit(any_components: Components) -> None:
    c = any_components
    handler = ScriptedHandler(c.blobs)
    res = await c.inbox.put(new_exchange(unique("k-")))
    assert res.created and res.state == "ontvangen"
    assert await workers_for(c, handler).drain() == 1
    async with c.db.reader() as s:
        ex = (await s.exec(select(Exchange).where(col(Exchange.id) == res.exchange_id))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        hv = (await s.exec(select(Hulpvraag).where(Hulpvraag.id == ex.hulpvraag_id))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert ex.state == ExchangeState.VERWERKT
    assert hv.status == "TLV>voorlopige aanvraag"
    assert hv.coordinator == "Eline Hansen"  # 14SS00 is in Helmond
    assert await count(c, Bijlage, col(Bijlage.hulpvraag_id) == hv.id) == 2
    assert await count(c, StatusHistorie, col(StatusHistorie.hulpvraag_id) == hv.id) == 1
    assert await count(c, AuditEntry, col(AuditEntry.action) == "hulpvraag_aangemaakt") == 1
    assert await count(c, OutboxMessage) == 1


async def test_the_same_key_twice_is_stored_and_processed_once(any_components: Components) -> None:
    c = any_components
    key = unique("dup-")
    first = await c.inbox.put(new_exchange(key))
    second = await c.inbox.put(new_exchange(key))
    assert second.exchange_id == first.exchange_id and not second.created
    assert await workers_for(c, ScriptedHandler(c.blobs)).drain() == 1
    assert await count(c, Hulpvraag) == 1


async def test_a_later_exchange_for_the_same_open_request_adds_bijlagen_to_the_same_hulpvraag(
    any_components: Components,
) -> None:
    c = any_components
    await c.inbox.put(new_exchange(unique("a-"), content="eerste"))
    await c.inbox.put(new_exchange(unique("b-"), content="tweede"))
    await c.inbox.put(new_exchange(unique("c-"), content="eerste"))  # same files again: nothing new
    await workers_for(c, ScriptedHandler(c.blobs)).drain()
    assert await count(c, Hulpvraag) == 1
    assert await count(c, Bijlage) == 4


async def test_one_file_sent_under_two_names_is_kept_once_and_says_so(any_components: Components) -> None:
    c = any_components
    await c.inbox.put(new_exchange(unique(), same_content=True))
    await workers_for(c, ScriptedHandler(c.blobs)).drain()
    async with c.db.reader() as s:
        (kept,) = (await s.exec(select(Bijlage))).scalars().all()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert kept.bestandsnaam == "OPP.pdf"
    (warning,) = kept.findings
    assert warning["code"] == "BIJLAGE_INHOUD_DUBBEL" and warning["severity"] == "waarschuwing"
    assert "'Toelichting.pdf'" in warning["message"] and "'OPP.pdf'" in warning["message"]


async def test_a_refusal_stores_findings_and_no_hulpvraag(any_components: Components) -> None:
    c = any_components
    res = await c.inbox.put(new_exchange(unique(), script="refuse"))
    await workers_for(c, ScriptedHandler(c.blobs)).drain()
    async with c.db.reader() as s:
        ex = (await s.exec(select(Exchange).where(col(Exchange.id) == res.exchange_id))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert ex.state == "geweigerd" and ex.findings[0]["code"] == "TEST_GEWEIGERD"
    assert await count(c, Hulpvraag) == 0


async def test_a_missing_opp_refuses_a_tlv_request(components: Components) -> None:
    c = components
    res = await c.inbox.put(new_exchange(unique(), no_opp=True))
    await workers_for(c, ScriptedHandler(c.blobs)).drain()
    async with c.db.reader() as s:
        ex = (await s.exec(select(Exchange).where(col(Exchange.id) == res.exchange_id))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert ex.state == "geweigerd" and [f["code"] for f in ex.findings] == ["OPP_ONTBREEKT"]
    assert await count(c, Hulpvraag) == 0


async def test_a_transient_failure_waits_and_then_succeeds(any_components: Components) -> None:
    c = any_components
    res = await c.inbox.put(new_exchange(unique(), script="transient_once"))
    w = workers_for(c, ScriptedHandler(c.blobs))
    await w.drain()
    async with c.db.reader() as s:
        ex = (await s.exec(select(Exchange).where(col(Exchange.id) == res.exchange_id))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert ex.state == "wacht_op_herhaling" and ex.waiting_for == "las"
    for _ in range(100):
        await asyncio.sleep(0.02)
        await w.drain()
        if await count(c, Hulpvraag) == 1:
            break
    assert await count(c, Hulpvraag) == 1


async def test_an_item_that_keeps_failing_is_held_for_the_secretariaat(components: Components) -> None:
    c = components
    res = await c.inbox.put(new_exchange(unique(), script="transient"))
    w = workers_for(c, ScriptedHandler(c.blobs))
    for _ in range(200):
        await w.drain()
        async with c.db.reader() as s:
            ex = (await s.exec(select(Exchange).where(col(Exchange.id) == res.exchange_id))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        if ex.state == "vastgehouden":
            break
        await asyncio.sleep(0.02)
    assert ex.state == "vastgehouden" and ex.findings[0]["code"] == "TE_VAAK_GEPROBEERD"


async def test_concurrent_workers_never_process_an_item_twice(any_components: Components) -> None:
    c = any_components
    for i in range(30):
        await c.inbox.put(new_exchange(unique(), leerlingid=f"LL-{i}"))
    handler = ScriptedHandler(c.blobs)
    w = workers_for(c, handler)
    await asyncio.gather(*(w.drain() for _ in range(4)))
    assert handler.calls == 30
    assert await count(c, Hulpvraag) == 30
    assert await count(c, Exchange, col(Exchange.state) == "verwerkt") == 30


async def test_a_worker_that_lost_its_lease_cannot_record_an_outcome(components: Components) -> None:
    c = components
    await c.inbox.put(new_exchange(unique()))
    claimed = await c.inbox.claim("worker-a")
    assert claimed is not None
    # worker-a is presumed dead: its lease is taken over by worker-b
    async with c.db.session() as s:
        row = (await s.exec(select(Exchange).where(col(Exchange.id) == claimed.id))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        row.lease_owner = "worker-b"
        s.add(row)
    import pytest

    from gateway.inbox.inbox import LeaseLost

    with pytest.raises(LeaseLost):
        await c.inbox.step(claimed.id, "worker-a", "x", "y")
