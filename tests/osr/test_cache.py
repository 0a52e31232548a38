"""The mandate cache: TTL, staleness bound, and eviction."""

from __future__ import annotations

import datetime as dt
import random
from collections import OrderedDict

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


def test_latest_is_what_a_walk_over_every_entry_finds_through_puts_and_evictions() -> None:
    """`latest` looks only at the entries of the key's school, supplier and service (an index kept through puts,
    evictions and `clear`); a model of the cache that walks every entry must agree, ties included."""
    rng = random.Random(18)
    clock = FakeClock()
    cache = MandateCache(dt.timedelta(minutes=10), max_entries=25, clock=clock)
    model: OrderedDict[CacheKey, tuple[dt.datetime, dt.date]] = OrderedDict()
    schools, suppliers = [OIN, "0000000700099XX00000", "0000000700077YY00000"], [SUPPLIER, "00000099000000000003"]

    def some_key() -> CacheKey:
        day = TODAY + dt.timedelta(days=rng.randint(-6, 3))
        return CacheKey(rng.choice(schools), rng.choice(suppliers), NS, day)

    def walked(k: CacheKey, staleness: dt.timedelta) -> tuple[dt.datetime, dt.date] | None:
        now = clock()
        if k in model and now - model[k][0] <= staleness:
            return model[k]
        subject = (k.school_oin, k.supplier_oin, k.service_namespace)
        fits = [
            v for o, v in model.items()
            if (o.school_oin, o.supplier_oin, o.service_namespace) == subject
            and o.reference_date <= k.reference_date and now - v[0] <= staleness
        ]  # fmt: skip
        return max(fits, default=None)

    outcomes: set[bool] = set()
    for step in range(3000):
        if rng.random() < 0.5:
            k = some_key()
            cache.put(k, MandateAnswer(k.school_oin, k.supplier_oin, NS, k.reference_date, found=True))
            model[k] = (clock(), k.reference_date)
            model.move_to_end(k)
            while len(model) > 25:
                model.popitem(last=False)
        else:
            k, staleness = some_key(), dt.timedelta(minutes=rng.choice([5, 30, 120]))
            found = cache.latest(k, staleness)
            assert (None if found is None else (found.fetched_at, found.answer.reference_date)) == walked(k, staleness)
            outcomes.add(found is None)
        if rng.random() < 0.3:
            clock.advance(minutes=rng.randint(1, 20))
        if step == 1500:
            cache.clear()
            model.clear()
    assert len(cache) == len(model)
    assert outcomes == {True, False}  # both found and not found were compared
