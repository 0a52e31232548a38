"""The one retry policy (`gateway.outbound.retry`): exponential backoff, capped, jittered; hints honoured up
to the cap. Used by the queue's workers and by the OSO and OSR clients alike."""

from __future__ import annotations

import random

import pytest

from adapters.osr.config import OsrConfig
from adapters.parnassys.config import RetryPolicy as OsoRetryPolicy
from gateway.inbox.inbox import RetryPolicy as QueueRetryPolicy
from gateway.outbound.retry import RetryPolicy


def test_the_ceiling_doubles_per_failure_up_to_the_cap() -> None:
    p = RetryPolicy(base=1.0, cap=10.0)
    assert [p.ceiling(n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_each_wait_lies_between_half_and_all_of_its_ceiling() -> None:
    p = RetryPolicy(base=1.0, cap=10.0, rng=random.Random(7))
    for attempt in range(1, 8):
        waits = [p.delay(attempt) for _ in range(200)]
        ceiling = p.ceiling(attempt)
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(set(waits)) > 100, "jitter: callers that failed together do not come back together"


def test_a_retry_after_hint_is_honoured_but_never_beyond_the_cap() -> None:
    p = RetryPolicy(base=1.0, cap=60.0, rng=random.Random(1))
    assert p.delay(1, hint=30.0) == 30.0
    assert p.delay(1, hint=86_400.0) == 60.0, "a hint of a day must not park a child's request for a day"
    assert p.delay(1, hint=0.1) >= 0.5, "a short hint does not shorten our own backoff"


def test_bad_values_are_refused() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(base=-1.0)
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)


def test_the_queue_the_oso_client_and_the_osr_client_share_the_one_policy() -> None:
    assert QueueRetryPolicy is RetryPolicy and OsoRetryPolicy is RetryPolicy
    osr = OsrConfig(max_attempts=4, backoff_initial=0.5, backoff_max=8.0).retry
    assert osr == RetryPolicy(base=0.5, cap=8.0, attempts=4)


def test_a_very_late_attempt_waits_the_cap_and_does_not_overflow() -> None:
    assert RetryPolicy(base=1.0, cap=3600.0).ceiling(5000) == 3600.0
