"""The doorbell: a ring wakes one idle poller, a nudge wakes one to look, a ring missed while polling is seen."""

from __future__ import annotations

import asyncio

from gateway.inbox.inbox import Doorbell

LONG = 600.0  # no waiter's turn to poll comes during a test


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_ring_wakes_exactly_one_idle_poller_and_says_it_was_rung() -> None:
    bell = Doorbell()
    waiters = [asyncio.create_task(bell.wait(bell.rings, LONG)) for _ in range(3)]
    await settle()
    bell.ring()
    await settle()
    done = [w for w in waiters if w.done()]
    assert len(done) == 1 and done[0].result() is True
    assert bell.backlog == 0
    for w in waiters:
        w.cancel()
    await asyncio.gather(*waiters, return_exceptions=True)


async def test_a_ring_nobody_hears_is_backlog_until_a_poll_takes_it() -> None:
    bell = Doorbell()
    bell.ring()
    bell.ring()
    assert bell.backlog == 2
    bell.took(True)
    assert bell.backlog == 1
    bell.took(False)  # an empty poll: nothing was left
    assert bell.backlog == 0


async def test_a_ring_during_the_poll_makes_wait_return_at_once() -> None:
    bell = Doorbell()
    seen = bell.rings
    bell.ring()  # while the caller was polling
    assert await asyncio.wait_for(bell.wait(seen, LONG), 5) is True


async def test_a_nudge_wakes_one_poller_to_look_without_counting_as_a_ring() -> None:
    bell = Doorbell()
    waiters = [asyncio.create_task(bell.wait(bell.rings, LONG)) for _ in range(2)]
    await settle()
    bell.nudge()
    await settle()
    done = [w for w in waiters if w.done()]
    assert len(done) == 1 and done[0].result() is False
    assert bell.rings == 0
    for w in waiters:
        w.cancel()
    await asyncio.gather(*waiters, return_exceptions=True)


async def test_a_cancelled_waiter_leaves_nothing_behind() -> None:
    bell = Doorbell()
    waiter = asyncio.create_task(bell.wait(bell.rings, LONG))
    await settle()
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    bell.ring()
    assert bell.backlog == 1  # the ring found no waiter
