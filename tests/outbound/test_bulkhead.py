"""The bulkhead alone (`gateway.outbound.bulkhead`): slots per key, a bounded wait, slots given back."""

from __future__ import annotations

import asyncio

from gateway.outbound.bulkhead import Bulkhead


async def test_a_key_gives_at_most_max_concurrent_slots_and_the_next_gets_none_in_time() -> None:
    b = Bulkhead(max_concurrent=2, slot_wait=0.02)
    slots = b.slots("https://las-a.example/oso")
    assert slots is not None
    assert await b.take(slots) and await b.take(slots)
    assert not await b.take(slots), "a third call must not queue behind calls that may hang"
    assert b.in_use() == {"https://las-a.example/oso": 2}
    other = b.slots("https://las-b.example/oso")
    assert other is not None and await b.take(other), "another endpoint has its own slots"
    slots.release()
    assert await b.take(slots), "a slot given back can be taken again"


async def test_a_wait_within_slot_wait_gets_the_slot_that_frees_up() -> None:
    b = Bulkhead(max_concurrent=1, slot_wait=5.0)
    slots = b.slots("u")
    assert slots is not None and await b.take(slots)
    asyncio.get_running_loop().call_later(0.01, slots.release)
    assert await b.take(slots)


async def test_no_slot_wait_means_no_waiting_at_all() -> None:
    b = Bulkhead(max_concurrent=1, slot_wait=0)
    slots = b.slots("u")
    assert slots is not None and await b.take(slots)
    assert not await b.take(slots)


async def test_zero_max_concurrent_is_no_limit() -> None:
    b = Bulkhead(max_concurrent=0, slot_wait=1.0)
    assert not b.limited and b.slots("u") is None and b.in_use() == {}


def test_slots_belong_to_the_event_loop_that_made_them() -> None:
    b = Bulkhead(max_concurrent=1, slot_wait=0)

    async def take_one() -> bool:
        slots = b.slots("u")
        assert slots is not None
        return await b.take(slots)

    assert asyncio.run(take_one())
    assert asyncio.run(take_one()), "a new loop (the CLI runs several in turn) starts with free slots"
