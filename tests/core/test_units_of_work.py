"""Units of work (`Database.run`): group-committed on SQLite, one transaction each on PostgreSQL; the hot-path
pieces built on them (batch claims, the batched outbox, the catalogue cache, the blob write path)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from gateway.components import Components
from gateway.errors import Refusal, Transient
from gateway.inbox.inbox import RetryPolicy
from gateway.inbox.outbox import MISLUKT, VERZONDEN, WACHTEND, OutboxWorker
from gateway.pipeline.contracts import OutboundMessage, Settle
from gateway.pipeline.store_draft import clear_catalogue_cache
from gateway.store.blobs_local import LocalBlobStore
from gateway.store.models import Exchange, ExchangeState, OutboxMessage, School, Vestiging
from gateway.store.types import utcnow
from tests.conftest import unique
from tests.support.db_calls import units_of
from tests.support.fakes import ScriptedHandler, new_exchange
from verification.findings import fout

_OUT = OutboxMessage.__table__  # type: ignore[attr-defined]  # sqlmodel table classes get __table__ at run time only


async def _keys(c: Components) -> set[str]:
    async with c.db.reader() as s:
        return set((await s.exec(select(col(Exchange.key)))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def test_concurrent_units_all_commit_and_a_failing_one_is_rolled_back_alone(any_components: Components) -> None:
    c = any_components
    good = [unique("u-") for _ in range(20)]
    bad = unique("bad-")

    async def put(key: str) -> int:
        return (await c.inbox.put(new_exchange(key))).exchange_id

    def failing(s: Session) -> None:
        s.execute(insert(Exchange.__table__).values(key=bad, source="t", kind="t", swv_code="PO3008",  # type: ignore[attr-defined]  # sqlmodel table classes get __table__ at run time only
                                                     correlation_id="x", meta={}, findings=[],
                                                     next_attempt_at=utcnow(), received_at=utcnow()))  # fmt: skip
        raise RuntimeError("unit fails after writing")

    results = await asyncio.gather(*(put(k) for k in good), c.db.run(failing), return_exceptions=True)
    assert isinstance(results[-1], RuntimeError)
    assert len(set(results[:-1])) == len(good)  # every put got its own id
    stored = await _keys(c)
    assert set(good) <= stored and bad not in stored  # committed once returned; the failed unit left nothing


async def test_a_duplicate_key_inside_a_batch_fails_only_that_put(any_components: Components) -> None:
    c = any_components
    key = unique("dup-")
    first, second = await asyncio.gather(c.inbox.put(new_exchange(key)), c.inbox.put(new_exchange(key)))
    assert {first.created, second.created} == {True, False}
    assert first.exchange_id == second.exchange_id


async def test_concurrent_claims_lease_each_item_to_one_worker_in_due_order(any_components: Components) -> None:
    c = any_components
    ids = [(await c.inbox.put(new_exchange(unique("c-")))).exchange_id for _ in range(6)]
    batches = await asyncio.gather(*(c.inbox.claim_many(f"w{i}", 2) for i in range(5)))
    claimed = [x.id for batch in batches for x in batch]
    assert sorted(claimed) == ids  # all six, none twice
    assert all(batch == sorted(batch, key=lambda x: x.id) for batch in batches)
    assert await c.inbox.claim("late") is None


async def test_workers_draining_together_process_each_exchange_once(any_components: Components) -> None:
    from gateway.inbox.worker import ExchangeWorkers

    c = any_components
    for _ in range(8):
        await c.inbox.put(new_exchange(unique("w-"), leerlingid=unique("L")))
    handler = ScriptedHandler(c.blobs)
    workers = ExchangeWorkers(c.db, c.inbox, {"test_aanvraag": handler}, retry=c.retry)
    handled = await asyncio.gather(*(workers.drain() for _ in range(4)))
    assert sum(handled) == 8 and handler.calls == 8
    async with c.db.reader() as s:
        states = (await s.exec(select(col(Exchange.state)))).scalars().all()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert set(states) == {ExchangeState.VERWERKT.value}


class _Partner:
    def __init__(self) -> None:
        self.seen: list[str] = []

    async def deliver(self, message: OutboundMessage) -> None:
        self.seen.append(message.key)
        await asyncio.sleep(0.01)
        if message.payload.get("then") == "refuse":
            raise Refusal([fout("TEST_GEWEIGERD", "Geweigerd.")])
        if message.payload.get("then") == "later":
            raise Transient("even niet", waiting_for="las")


async def test_the_outbox_delivers_a_batch_and_records_each_result(any_components: Components) -> None:
    c = any_components
    now = utcnow()
    plan = {"ok-1": "ok", "ok-2": "ok", "refused": "refuse", "later": "later"}
    async with c.db.session() as s:
        for key, then in plan.items():
            s.add(OutboxMessage(key=key, kind="test", payload={"then": then}, next_attempt_at=now))
    partner = _Partner()
    # a retry a minute away: the second batch below must find nothing due however slow the machine is
    worker = OutboxWorker(c.db, {"test": partner}, retry=RetryPolicy(base=60.0, cap=120.0), batch=10)
    assert await worker.process_batch() == 4
    assert sorted(partner.seen) == sorted(plan)
    async with c.db.reader() as s:
        rows = {r.key: r for r in (await s.exec(select(OutboxMessage))).scalars()}  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert rows["ok-1"].state == rows["ok-2"].state == VERZONDEN and rows["ok-1"].sent_at is not None
    assert rows["refused"].state == MISLUKT
    assert rows["later"].state == WACHTEND and rows["later"].next_attempt_at > now and rows["later"].attempts == 1
    assert await worker.process_batch() == 0  # the retry is not due yet; nothing is delivered twice


class _Settling:
    """A deliverer that leaves, for each delivered message, one row to write with the record of its delivery
    (as the afmelding leaves its closed session)."""

    async def deliver(self, message: OutboundMessage) -> Settle:
        marker = f"settled:{message.key}"

        def settle(s: Session) -> None:
            now = utcnow()
            s.connection().execute(
                insert(_OUT).values(key=marker, kind="mark", payload={}, state=VERZONDEN, attempts=0,
                                    next_attempt_at=now, created_at=now)
            )  # fmt: skip

        return settle


async def test_what_deliveries_leave_is_written_in_the_one_unit_that_records_the_batch(
    any_components: Components, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = any_components
    async with c.db.session() as s:
        for key in ("a", "b", "c"):
            s.add(OutboxMessage(key=key, kind="test", payload={}, next_attempt_at=utcnow()))
    worker = OutboxWorker(c.db, {"test": _Settling()}, retry=c.retry, batch=10)
    units = units_of(c.db, monkeypatch)
    assert await worker.process_batch() == 3
    assert units == ["OutboxWorker.claim_many.<locals>.unit", "OutboxWorker._deliver_batch.<locals>.record"]
    async with c.db.reader() as s:
        rows = {r.key: r.state for r in (await s.exec(select(OutboxMessage))).scalars()}  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert rows == {k: VERZONDEN for k in ("a", "b", "c", "settled:a", "settled:b", "settled:c")}


async def test_a_record_that_fails_writes_nothing_the_deliveries_left_and_they_are_delivered_again(
    any_components: Components,
) -> None:
    c = any_components
    async with c.db.session() as s:
        s.add(OutboxMessage(key="a", kind="test", payload={}, next_attempt_at=utcnow()))
    worker = OutboxWorker(c.db, {"test": _Settling()}, retry=c.retry, lease_seconds=0.0)
    async with c.db.session() as s:  # the settle's row exists already: its insert fails, and the record with it
        s.add(OutboxMessage(key="settled:a", kind="mark", payload={}, state=MISLUKT, next_attempt_at=utcnow()))
    with pytest.raises(IntegrityError):
        await worker.process_batch()
    async with c.db.reader() as s:
        rows = {r.key: r for r in (await s.exec(select(OutboxMessage))).scalars()}  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert rows["a"].state == WACHTEND and rows["a"].sent_at is None  # not recorded: due again after its lease
    assert rows["settled:a"].state == MISLUKT
    assert [m.key for m in await worker.claim_many(10)] == ["a"]


async def test_an_outbox_message_without_a_deliverer_fails_visibly(components: Components) -> None:
    c = components
    async with c.db.session() as s:
        s.add(OutboxMessage(key=unique("x-"), kind="onbekend", payload={}, next_attempt_at=utcnow()))
    assert await OutboxWorker(c.db, {}, retry=c.retry).drain() == 1
    async with c.db.reader() as s:
        row = (await s.exec(select(OutboxMessage))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert row.state == MISLUKT and "geen bezorger" in (row.last_error or "")


async def test_a_vestiging_registered_after_a_refusal_is_accepted_at_once(components: Components) -> None:
    """Only found rows are cached: an unknown vestiging is looked up again on the next exchange."""
    from gateway.inbox.worker import ExchangeWorkers

    c = components
    clear_catalogue_cache()
    workers = ExchangeWorkers(c.db, c.inbox, {"test_aanvraag": ScriptedHandler(c.blobs)}, retry=c.retry)
    await c.inbox.put(new_exchange(unique("v-"), brin6="77QQ00"))
    await workers.drain()
    async with c.db.session() as s:
        school_id = (await s.exec(select(col(School.id)).limit(1))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        swv_id = (await s.exec(select(col(Vestiging.swv_id)).limit(1))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        s.add(Vestiging(swv_id=swv_id, school_id=school_id, brin6="77QQ00", naam="Nieuw", gemeente="Helmond"))
    res = await c.inbox.put(new_exchange(unique("v-"), brin6="77QQ00"))
    await workers.drain()
    async with c.db.reader() as s:
        state = (await s.exec(select(col(Exchange.state)).where(col(Exchange.id) == res.exchange_id))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        refused = (await s.exec(select(func.count()).where(col(Exchange.state) == "geweigerd"))).one()[0]  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert state == ExchangeState.VERWERKT.value and refused == 1


def test_the_same_content_twice_is_stored_once_and_a_removed_directory_is_made_again(tmp_path: object) -> None:
    from pathlib import Path

    root = Path(str(tmp_path)) / "blobs"
    store = LocalBlobStore(root)
    first = store.put_bytes(b"%PDF-1.4 hetzelfde")
    second = store.put_bytes(b"%PDF-1.4 hetzelfde")
    assert first == second and store.exists(first.key)
    assert list((root / "tmp").glob("incoming-*")) == []  # the duplicate's temp file is gone
    other = store.put_bytes(b"%PDF-1.4 ander")
    directory = root / other.key[:2] / other.key[2:4]
    for p in directory.iterdir():
        p.unlink()
    directory.rmdir()  # removed behind the store's back
    again = store.put_bytes(b"%PDF-1.4 ander")
    assert store.exists(again.key)


@pytest.mark.parametrize("durable", [True, False])
async def test_a_unit_returns_only_what_is_committed(components: Components, durable: bool) -> None:
    c = components
    key = unique("r-")
    exchange_id = await c.db.run(
        lambda s: s.execute(
            insert(Exchange.__table__)  # type: ignore[attr-defined]  # sqlmodel table classes get __table__ at run time only
            .values(key=key, source="t", kind="t", swv_code="PO3008", correlation_id="x", meta={}, findings=[],
                    next_attempt_at=utcnow(), received_at=utcnow())
            .returning(Exchange.__table__.c.id)  # type: ignore[attr-defined]  # sqlmodel table classes get __table__ at run time only
        ).scalar_one(),
        durable=durable,
    )  # fmt: skip
    async with c.db.reader() as s:  # another connection sees it at once
        found = (await s.exec(select(col(Exchange.id)).where(col(Exchange.key) == key))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert found == exchange_id


def test_one_database_serves_units_from_successive_event_loops(tmp_path: object) -> None:
    """The CLI runs several `asyncio.run`s against one Database; each loop gets its own writer task."""
    from pathlib import Path

    from sqlalchemy import text

    from gateway.store.db import Database

    db = Database(f"sqlite+aiosqlite:///{Path(str(tmp_path)) / 'x.db'}")

    async def create() -> None:
        async with db.session() as s:
            await s.exec(text("CREATE TABLE t (v TEXT)"))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements

    def write(value: str) -> None:
        async def go() -> None:
            await asyncio.gather(*(db.run(lambda s: s.execute(text("INSERT INTO t VALUES (:v)"), {"v": value}))
                                   for _ in range(3)))  # fmt: skip

        asyncio.run(go())

    async def count_and_close() -> int:
        async with db.reader() as s:
            n = int((await s.exec(text("SELECT count(*) FROM t"))).one()[0])  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        await db.dispose()
        return n

    asyncio.run(create())
    write("a")
    write("b")
    assert asyncio.run(count_and_close()) == 6


async def test_the_same_request_rule_picks_the_open_hulpvraag_of_the_same_school_and_pupil(
    any_components: Components,
) -> None:
    """`_existing` asks the database by pupil only and compares the rest itself: same behaviour as before."""
    from gateway.inbox.worker import ExchangeWorkers
    from gateway.store.models import Hulpvraag

    c = any_components
    workers = ExchangeWorkers(c.db, c.inbox, {"test_aanvraag": ScriptedHandler(c.blobs)}, retry=c.retry)
    pupil = unique("LL-")

    async def send(**meta: object) -> int | None:
        res = await c.inbox.put(new_exchange(unique("s-"), leerlingid=pupil, content=unique(), **meta))
        await workers.drain()
        async with c.db.reader() as s:
            stmt = select(col(Exchange.hulpvraag_id)).where(col(Exchange.id) == res.exchange_id)
            return (await s.exec(stmt)).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements

    first = await send()
    assert await send() == first  # same school, pupil, aanvraagtype, still open: merged
    other_school = await send(brin6="14SS01")
    assert other_school != first
    async with c.db.session() as s:
        hv = await s.get(Hulpvraag, first)
        assert hv is not None
        hv.open = False
        s.add(hv)
    second = await send()
    assert second not in (first, other_school)  # the closed one is not reused
    assert await send() == second
