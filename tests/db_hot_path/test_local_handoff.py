"""A new exchange stored while a worker of the same process is idle is stored leased to that worker and handed to
it once committed (`gateway.inbox.local_takers`): no claim, and still exactly once — the row is what a claim would
have left, a failed or duplicate put hands nothing, and an item whose worker stopped is due again at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from gateway.components import Components
from gateway.inbox.worker import ExchangeWorkers
from gateway.pipeline.contracts import ClaimedExchange
from gateway.store.models import Exchange, ExchangeState
from gateway.store.types import utcnow
from tests.conftest import unique
from tests.support.fakes import ScriptedHandler, new_exchange

GUARD = 30.0


def _counting_claims(c: Components) -> list[str]:
    claims: list[str] = []
    claim = c.inbox.claim

    async def counted(owner: str) -> ClaimedExchange | None:
        claims.append(owner)
        return await claim(owner)

    c.inbox.claim = counted  # type: ignore[method-assign]  # a spy on this instance only
    return claims


@asynccontextmanager
async def _running(c: Components, handler: ScriptedHandler, count: int) -> AsyncIterator[asyncio.Event]:
    # polls an hour apart: only a ring or a hand-over explains prompt processing
    workers = ExchangeWorkers(c.db, c.inbox, {"test_aanvraag": handler}, retry=c.retry, poll_interval=3600)
    stop = asyncio.Event()
    task = asyncio.create_task(workers.run(count, stop))
    await asyncio.sleep(0.2)  # every worker has polled once and is idle now
    try:
        yield stop
    finally:
        stop.set()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def _handled(handler: ScriptedHandler, n: int) -> asyncio.Event:
    done = asyncio.Event()
    handler.on_handle = lambda _: done.set() if handler.calls >= n else None
    return done


async def _row(c: Components, exchange_id: int) -> Any:
    def unit(s: Any) -> Any:
        return s.execute(select(Exchange).where(col(Exchange.id) == exchange_id)).scalars().one()

    return await c.db.read(unit)


async def test_an_idle_worker_takes_a_new_exchange_as_it_is_stored_without_a_claim(any_components: Components) -> None:
    c = any_components
    handler = ScriptedHandler(c.blobs)
    claims = _counting_claims(c)
    async with _running(c, handler, 1):
        assert len(claims) == 1  # the worker's first poll
        done = _handled(handler, 1)
        put = await c.inbox.put(new_exchange(unique("hand-")))
        await asyncio.wait_for(done.wait(), GUARD)
        await asyncio.sleep(0.1)
        assert len(claims) == 1, "handed over: the worker made no claim for it, nor one after it"
    row = await _row(c, put.exchange_id)
    assert row.state == ExchangeState.VERWERKT.value and row.attempts == 1 and row.hulpvraag_id is not None


async def test_many_puts_are_each_processed_once_whether_handed_or_claimed(any_components: Components) -> None:
    c = any_components
    handler = ScriptedHandler(c.blobs)
    keys = [unique("veel-") for _ in range(24)]
    async with _running(c, handler, 3):
        done = _handled(handler, len(keys))
        puts = await asyncio.gather(*(c.inbox.put(new_exchange(k)) for k in keys))
        await asyncio.wait_for(done.wait(), GUARD)
        await asyncio.sleep(0.2)
    assert handler.calls == len(keys)
    for put in puts:
        row = await _row(c, put.exchange_id)
        assert row.state == ExchangeState.VERWERKT.value and row.attempts == 1
    linked = await c.db.read(
        lambda s: s.execute(select(col(Exchange.key)).where(col(Exchange.hulpvraag_id).is_not(None))).scalars().all()
    )
    assert sorted(linked) == sorted(keys)  # every exchange's outcome stored once (the fake's pupil is the same)


async def test_a_stored_item_whose_worker_stopped_before_the_commit_is_due_at_once(components: Components) -> None:
    c = components
    offer = c.inbox.takers.offer("weg")
    storing = asyncio.create_task(c.inbox.put(new_exchange(unique("weg-"))))
    await asyncio.sleep(0)  # the put has taken the offer and is writing the row leased to "weg"
    assert offer.reserved
    c.inbox.takers.abandon(offer)  # the worker stops meanwhile
    put = await storing
    claimed = await c.inbox.claim("collega")
    assert claimed is not None and claimed.id == put.exchange_id  # due again at once, not after the lease


async def test_a_duplicate_put_hands_nothing_and_the_worker_goes_on(components: Components) -> None:
    c = components
    key = unique("dubbel-")
    first = await c.inbox.put(new_exchange(key))
    offer = c.inbox.takers.offer("wacht")
    again = await c.inbox.put(new_exchange(key))
    assert again.created is False and again.exchange_id == first.exchange_id
    assert offer.reserved and await c.inbox.takers.settle(offer) is None


async def test_a_refusal_at_intake_is_never_handed_over(components: Components) -> None:
    c = components
    offer = c.inbox.takers.offer("wacht")
    await c.inbox.record_refusal(new_exchange(unique("nee-")), [])
    assert not offer.reserved and not offer.future.done()
    assert await c.inbox.takers.settle(offer) is None


async def test_a_worker_stopped_with_an_item_handed_but_not_begun_leaves_it_due(components: Components) -> None:
    c = components
    handler = ScriptedHandler(c.blobs)
    async with _running(c, handler, 1) as stop:
        storing = asyncio.create_task(c.inbox.put(new_exchange(unique("stop-"))))
        await asyncio.sleep(0)  # the put has reserved the idle worker's offer and is writing the row
        stop.set()  # the worker is told to stop before the item reaches it
        put = await storing
        await asyncio.sleep(0.2)
    assert handler.calls == 0
    row = await _row(c, put.exchange_id)
    assert row.next_attempt_at <= utcnow()  # not held until the lease runs out
    claimed = await c.inbox.claim("collega")
    assert claimed is not None and claimed.id == put.exchange_id
