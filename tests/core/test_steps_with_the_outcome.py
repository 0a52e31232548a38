"""A handler's step recorded ``with_outcome`` is written in the transaction that stores the hulpvraag (one
transaction less per exchange, issue 18); with any other outcome it is still on the timeline, before the
outcome's own entry; an immediate step after it keeps the order."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from gateway.components import Components
from gateway.inbox.worker import ExchangeWorkers
from gateway.pipeline.contracts import ClaimedExchange, HulpvraagDraft, StepRecorder
from gateway.store.models import Exchange, ExchangeEvent, Hulpvraag
from tests.conftest import unique
from tests.support.db_calls import units_of
from tests.support.fakes import ScriptedHandler, new_exchange


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
