"""The mandate cache: TTL, staleness bound, and eviction."""

from __future__ import annotations

import datetime as dt

from adapters.osr.cache import CacheKey, MandateCache
from adapters.osr.wire import MandateAnswer
from tests.osr.conftest import FakeClock
from tests.osr.factories import TODAY

OIN, SUPPLIER, NS = "0000000700014SS00000", "00000099000000000002", "urn:oso-swv"


def answer(day: dt.date = TODAY) -> MandateAnswer:
    return MandateAnswer(OIN, SUPPLIER, NS, day, found=True)


def key(day: dt.date = TODAY) -> CacheKey:
    return CacheKey(OIN, SUPPLIER, NS, day)


def test_fresh_within_ttl_only() -> None:
    clock = FakeClock()
    cache = MandateCache(dt.timedelta(minutes=10), clock=clock)
    cache.put(key(), answer())
    assert cache.fresh(key()) is not None
    clock.advance(minutes=11)
    assert cache.fresh(key()) is None
    assert cache.get(key()) is not None


def test_latest_prefers_the_exact_date_then_the_newest_earlier_one() -> None:
    clock = FakeClock()
    cache = MandateCache(dt.timedelta(minutes=10), clock=clock)
    cache.put(key(TODAY - dt.timedelta(days=2)), answer(TODAY - dt.timedelta(days=2)))
    clock.advance(hours=1)
    cache.put(key(TODAY - dt.timedelta(days=1)), answer(TODAY - dt.timedelta(days=1)))
    cache.put(key(TODAY + dt.timedelta(days=1)), answer(TODAY + dt.timedelta(days=1)))
    found = cache.latest(key(), dt.timedelta(hours=2))
    assert found is not None and found.answer.reference_date == TODAY - dt.timedelta(days=1)
    clock.advance(hours=3)
    assert cache.latest(key(), dt.timedelta(hours=2)) is None
    assert found.age(clock()) == dt.timedelta(hours=3)


def test_the_oldest_entries_are_evicted() -> None:
    cache = MandateCache(dt.timedelta(minutes=10), max_entries=2, clock=FakeClock())
    for n in range(3):
        cache.put(key(TODAY + dt.timedelta(days=n)), answer())
    assert len(cache) == 2 and cache.get(key()) is None
    cache.clear()
    assert len(cache) == 0
