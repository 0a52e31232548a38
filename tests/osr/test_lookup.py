"""Mandate look-ups: the cache, the bounded fallback while the OSR is down, and osr sync."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.osr.cache import MandateCache
from adapters.osr.client import OsrClient
from adapters.osr.config import MandateCachePolicy
from adapters.osr.lookup import MandateLookup, RefreshResult, refresh_mandates
from adapters.osr.simulator import OsrSimulator
from gateway.errors import Transient
from tests.osr.conftest import FakeClock
from tests.osr.factories import HALF, PARTIES, READY, TODAY
from verification.routering import Vestiging

POLICY = MandateCachePolicy(ttl=dt.timedelta(hours=1), max_staleness=dt.timedelta(hours=24))


def make_lookup(client: OsrClient, clock: FakeClock, policy: MandateCachePolicy = POLICY) -> MandateLookup:
    return MandateLookup(client, parties=PARTIES, policy=policy, cache=MandateCache(policy.ttl, clock=clock))


async def test_a_ready_school_has_both_mandates(client: OsrClient, clock: FakeClock) -> None:
    facts = await make_lookup(client, clock).mandates_for(READY, TODAY)
    assert facts.osr_reachable and facts.source == "osr"
    assert sorted(m.system for m in facts.mandates) == ["Kindkans", "ParnasSys"]


async def test_a_fresh_answer_is_not_asked_again(client: OsrClient, clock: FakeClock, simulator: OsrSimulator) -> None:
    lookup = make_lookup(client, clock)
    await lookup.mandates_for(READY, TODAY)
    clock.advance(minutes=30)
    await lookup.mandates_for(READY, TODAY)
    assert simulator.count("/mandates") == 2  # one per system, once
    clock.advance(minutes=31)
    await lookup.mandates_for(READY, TODAY)
    assert simulator.count("/mandates") == 4
    await lookup.mandates_for(READY, TODAY, force=True)
    assert simulator.count("/mandates") == 6


async def test_osr_down_uses_a_fresh_enough_answer_and_says_its_age(
    client: OsrClient, clock: FakeClock, simulator: OsrSimulator
) -> None:
    lookup = make_lookup(client, clock)
    await lookup.mandates_for(READY, TODAY)
    clock.advance(hours=5)
    simulator.outage("503")
    facts = await lookup.mandates_for(READY, TODAY)
    assert not facts.osr_reachable and facts.source == "cache"
    assert facts.age == dt.timedelta(hours=5)
    assert len(facts.mandates) == 2


async def test_osr_down_next_day_still_uses_yesterdays_answer_within_the_bound(
    client: OsrClient, clock: FakeClock, simulator: OsrSimulator
) -> None:
    lookup = make_lookup(client, clock)
    await lookup.mandates_for(READY, TODAY)
    clock.advance(hours=20)
    simulator.outage("reset")
    tomorrow = TODAY + dt.timedelta(days=1)
    verdict, facts = await lookup.verdict_for("14SS00", tomorrow, [Vestiging("14SS00", "500")])
    assert verdict.ok and not facts.osr_reachable


async def test_osr_down_and_answer_too_old_makes_the_exchange_wait(
    client: OsrClient, clock: FakeClock, simulator: OsrSimulator
) -> None:
    lookup = make_lookup(client, clock)
    await lookup.mandates_for(READY, TODAY)
    clock.advance(hours=25)
    simulator.outage("503")
    with pytest.raises(Transient) as caught:
        await lookup.mandates_for(READY, TODAY)
    assert caught.value.waiting_for == "osr"


async def test_osr_down_and_nothing_cached_makes_the_exchange_wait(
    client: OsrClient, clock: FakeClock, simulator: OsrSimulator
) -> None:
    simulator.outage("503")
    with pytest.raises(Transient):
        await make_lookup(client, clock).mandates_for(READY, TODAY)


async def test_an_old_no_refuses_only_when_the_policy_allows_it(
    client: OsrClient, clock: FakeClock, simulator: OsrSimulator
) -> None:
    strict = make_lookup(client, clock)
    await strict.mandates_for(HALF, TODAY)
    clock.advance(hours=2)
    simulator.outage("503")
    with pytest.raises(Transient):
        await strict.mandates_for(HALF, TODAY)
    simulator.outage(None)
    lenient_policy = MandateCachePolicy(
        ttl=dt.timedelta(hours=1), max_staleness=dt.timedelta(hours=24), use_stale_negative=True
    )
    lenient = make_lookup(client, clock, lenient_policy)
    await lenient.mandates_for(HALF, TODAY)
    clock.advance(hours=2)
    simulator.outage("503")
    verdict, _ = await lenient.verdict_for("25BE00", TODAY, [Vestiging("25BE00", "500")])
    assert verdict.codes() == ["MANDAAT_ONTBREEKT"]


async def test_verdict_for_a_school_missing_kindkans(client: OsrClient, clock: FakeClock) -> None:
    verdict, _ = await make_lookup(client, clock).verdict_for("25BE00", TODAY, [Vestiging("25BE00", "500")])
    assert verdict.codes() == ["MANDAAT_ONTBREEKT"]
    assert "Kindkans" in verdict.errors[0].message


async def test_osr_sync_refreshes_every_school_and_reports_progress(
    client: OsrClient, clock: FakeClock, simulator: OsrSimulator
) -> None:
    progress: list[tuple[int, int, str]] = []
    simulator.script("/mandates", "503", "503", "503")  # the first school's first question fails 3x
    results = await refresh_mandates(
        make_lookup(client, clock),
        [READY, HALF, "14ss", "XXXX"],
        reference_date=TODAY,
        on_progress=lambda done, total, result: progress.append((done, total, result.brin4)),
        concurrency=1,
    )
    assert [r.brin4 for r in results] == [READY, HALF, "XXXX"]
    by_school = {r.brin4: r for r in results}
    assert isinstance(by_school[READY], RefreshResult) and by_school[READY].facts is None
    assert by_school[HALF].facts is not None and not by_school[HALF].complete
    assert by_school["XXXX"].error is not None
    assert [p[0] for p in progress] == [1, 2, 3] and {p[1] for p in progress} == {3}
