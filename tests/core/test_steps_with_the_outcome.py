"""A handler's step recorded ``with_outcome`` is written in the transaction that stores the hulpvraag or the
refusal (one transaction less per exchange, issue 18), or with the next step written at once; with any other
outcome it is still on the timeline, before the outcome's own entry; an immediate step after it keeps the order;
a kept step keeps the time it was recorded."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import Engine, event, func, select
from sqlmodel import col

from gateway.components import Components
from gateway.errors import Refusal
from gateway.inbox.worker import ExchangeWorkers
from gateway.pipeline.contracts import ClaimedExchange, HulpvraagDraft, StepRecorder
from gateway.store.models import Exchange, ExchangeEvent, Hulpvraag
from tests.conftest import unique
from tests.support.db_calls import units_of
from tests.support.fakes import ScriptedHandler, new_exchange
from verification.findings import fout


class _KeepsAStep(ScriptedHandler):
    """Records its last step with the outcome, as the ESIS handler does, after an immediate one."""

    async def handle(self, exchange: ClaimedExchange, steps: StepRecorder) -> HulpvraagDraft:
        draft = await super().handle(exchange, steps)
        await steps.step("omgezet", "Omgezet naar een hulpvraag.", with_outcome=True)
        if exchange.meta.get("then_now"):
            await steps.step("daarna", "Een stap die meteen wordt geschreven.")
        return draft


async def _timeline(c: Components) -> list[str]:
    async with c.db.reader() as s:
        rows = await s.exec(select(col(ExchangeEvent.step)).order_by(col(ExchangeEvent.id)))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        return [str(r) for r in rows.scalars()]


def _workers(c: Components) -> ExchangeWorkers:
    return ExchangeWorkers(c.db, c.inbox, {"test_aanvraag": _KeepsAStep(c.blobs)}, retry=c.retry)


async def test_a_step_kept_for_the_outcome_is_written_with_the_stored_hulpvraag(
    components: Components, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = components
    await c.inbox.put(new_exchange(unique("e-"), content=unique("inhoud-")))
    units = units_of(c.db, monkeypatch)
    assert await _workers(c).drain() == 1
    assert not any("write_sync" in u for u in units), units  # no transaction of its own
    timeline = await _timeline(c)
    assert timeline.index("test") < timeline.index("omgezet") < len(timeline) - 1  # before the outcome's entry


async def test_a_step_kept_for_the_outcome_stays_on_the_timeline_when_storing_refuses_the_exchange(
    components: Components,
) -> None:
    c = components
    # a TLV without OPP: refused inside the transaction that stores the hulpvraag, which is rolled back
    await c.inbox.put(new_exchange(unique("e-"), content=unique("inhoud-"), aanvraagtype="Aanvraag TLV", no_opp=True))
    assert await _workers(c).process_one("w1")
    timeline = await _timeline(c)
    assert "omgezet" in timeline and timeline[-1] != "omgezet"


async def test_an_immediate_step_after_a_kept_one_keeps_their_order(components: Components) -> None:
    c = components
    await c.inbox.put(new_exchange(unique("e-"), content=unique("inhoud-"), then_now=True))
    assert await _workers(c).drain() == 1
    timeline = await _timeline(c)
    assert timeline.index("omgezet") < timeline.index("daarna")


async def test_a_step_kept_for_the_outcome_is_not_written_by_a_worker_that_lost_its_lease(
    components: Components,
) -> None:
    """The kept step adds only its timeline event and relies on the outcome's lease check: a worker whose lease
    was taken over stores neither the step nor the hulpvraag (the whole unit is rolled back)."""
    c = components
    await c.inbox.put(new_exchange(unique("e-"), content=unique("inhoud-")))
    claimed = await c.inbox.claim("worker-a")
    assert claimed is not None
    async with c.db.session() as s:  # worker-a is presumed dead: worker-b has its lease now
        row = await s.get(Exchange, claimed.id)
        assert row is not None
        row.lease_owner = "worker-b"
        s.add(row)
    await _workers(c)._work(claimed, "worker-a")
    assert "omgezet" not in await _timeline(c)
    async with c.db.reader() as s:
        assert (await s.exec(select(func.count()).select_from(Hulpvraag))).scalar_one() == 0  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        row = await s.get(Exchange, claimed.id)
        assert row is not None and row.state == "in_behandeling" and row.lease_owner == "worker-b"


class _KeepsTheFirstStep(ScriptedHandler):
    """Keeps its first step for the outcome (as the OSO handler keeps ``sessie_geopend``), then works a while
    and stores, refuses, or first writes a step at once."""

    async def handle(self, exchange: ClaimedExchange, steps: StepRecorder) -> HulpvraagDraft:
        await steps.step("eerst", "Als eerste vastgelegd.", with_outcome=True)
        await asyncio.sleep(0.05)  # the work between the step and the outcome
        if exchange.meta.get("then") == "refuse":
            raise Refusal([fout("TEST_GEWEIGERD", "Geweigerd in de test.")])
        if exchange.meta.get("then") == "step":
            await steps.step("meteen", "Meteen geschreven.")
            return await super().handle(exchange, steps)
        return await super().handle(exchange, _AllKept(steps))  # its step "test" kept too: nothing at once


class _AllKept:
    def __init__(self, steps: StepRecorder) -> None:
        self.steps = steps

    async def step(
        self, name: str, message: str, *, waiting_for: str | None = None, with_outcome: bool = False
    ) -> None:
        await self.steps.step(name, message, waiting_for=waiting_for, with_outcome=True)


async def _events(c: Components) -> list[tuple[str, object]]:
    async with c.db.reader() as s:
        rows = await s.exec(select(col(ExchangeEvent.step), col(ExchangeEvent.at)).order_by(col(ExchangeEvent.id)))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        return [(str(step), at) for step, at in rows.all()]


@pytest.mark.parametrize("then", ["store", "refuse"])
async def test_a_kept_step_is_written_with_the_outcome_and_keeps_the_time_it_was_recorded(
    any_components: Components, monkeypatch: pytest.MonkeyPatch, then: str
) -> None:
    c = any_components
    await c.inbox.put(new_exchange(unique("e-"), content=unique("inhoud-"), then=then))
    workers = ExchangeWorkers(c.db, c.inbox, {"test_aanvraag": _KeepsTheFirstStep(c.blobs)}, retry=c.retry)
    units = units_of(c.db, monkeypatch)
    inserts: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith("INSERT INTO exchange_event"):
            inserts.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        assert await workers.process_one("w1")
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert not any("write_sync" in u for u in units), units  # no unit of its own, also for a refusal
    assert len(inserts) == 1  # the kept steps' events and the outcome's own: one statement
    events = await _events(c)
    steps = [step for step, _ in events]
    assert steps.index("eerst") < len(steps) - 1 and steps[-1] in ("verwerkt", "geweigerd")
    kept_at, outcome_at = events[steps.index("eerst")][1], events[-1][1]
    assert isinstance(kept_at, dt.datetime) and isinstance(outcome_at, dt.datetime)
    assert outcome_at - kept_at >= dt.timedelta(seconds=0.04)  # when it was recorded, before the work's 50 ms


async def test_a_step_written_at_once_takes_the_kept_ones_along_in_its_own_unit(
    components: Components, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = components
    await c.inbox.put(new_exchange(unique("e-"), content=unique("inhoud-"), then="step"))
    workers = ExchangeWorkers(c.db, c.inbox, {"test_aanvraag": _KeepsTheFirstStep(c.blobs)}, retry=c.retry)
    units = units_of(c.db, monkeypatch)
    assert await workers.process_one("w1")
    assert sum("write_sync" in u for u in units) == 1, units  # "eerst" and "meteen" together
    steps = [step for step, _ in await _events(c)]
    assert steps.index("eerst") < steps.index("meteen") < steps.index("test")
