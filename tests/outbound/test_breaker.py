"""The circuit breaker (`gateway.outbound.breaker`) with a fake clock: closed → open → half-open (one probe) →
closed or open again, with the cool-down doubling per failed probe."""

from __future__ import annotations

import pytest

from gateway.outbound.breaker import CircuitBreaker
from tests.outbound.clock import FakeClock


def _breaker(clock: FakeClock, **kw: float) -> CircuitBreaker:
    return CircuitBreaker(
        "las document x",
        failure_threshold=int(kw.get("threshold", 3)),
        cool_down=kw.get("cool_down", 10.0),
        cool_down_max=kw.get("cool_down_max", 40.0),
        clock=clock,
    )


def _fail(b: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        assert b.begin() is None
        b.failure()


# -- the circuit breaker -----------------------------------------------------------------------------------


def test_the_circuit_opens_after_the_threshold_of_consecutive_failures() -> None:
    b = _breaker(FakeClock())
    _fail(b, 2)
    assert b.state == "closed"
    _fail(b, 1)
    assert b.state == "open"
    blocked = b.begin()
    assert blocked is not None and blocked.retry_after == pytest.approx(10.0)
    assert "stroomonderbreker open" in blocked.reason


def test_an_answer_between_failures_resets_the_count() -> None:
    b = _breaker(FakeClock())
    _fail(b, 2)
    b.success()
    _fail(b, 2)
    assert b.state == "closed" and b.consecutive_failures == 2


def test_after_the_cool_down_exactly_one_probe_goes_through() -> None:
    clock = FakeClock()
    b = _breaker(clock)
    _fail(b, 3)
    clock.advance(9.9)
    assert b.begin() is not None
    clock.advance(0.1)
    assert b.state == "half_open"
    assert b.begin() is None, "the probe"
    second = b.begin()
    assert second is not None and "proefaanroep" in second.reason


def test_a_successful_probe_closes_the_circuit() -> None:
    clock = FakeClock()
    b = _breaker(clock)
    _fail(b, 3)
    clock.advance(10)
    assert b.begin() is None
    b.success()
    assert b.state == "closed" and b.begin() is None


def test_a_failed_probe_opens_it_again_with_a_doubled_cool_down_up_to_the_maximum() -> None:
    clock = FakeClock()
    b = _breaker(clock)
    _fail(b, 3)
    waits = []
    for _ in range(4):
        clock.advance(1000)
        assert b.begin() is None
        b.failure()
        blocked = b.blocked()
        assert blocked is not None and blocked.retry_after is not None
        waits.append(blocked.retry_after)
    assert waits == [20.0, 40.0, 40.0, 40.0]


def test_after_closing_the_cool_down_starts_small_again() -> None:
    clock = FakeClock()
    b = _breaker(clock)
    _fail(b, 3)
    clock.advance(10)
    b.begin()
    b.failure()  # 20 s now
    clock.advance(20)
    b.begin()
    b.success()
    _fail(b, 3)
    blocked = b.blocked()
    assert blocked is not None and blocked.retry_after == pytest.approx(10.0)


def test_an_abandoned_probe_lets_the_next_call_probe() -> None:
    clock = FakeClock()
    b = _breaker(clock)
    _fail(b, 3)
    clock.advance(10)
    assert b.begin() is None
    b.abandon()  # cancelled: tells nothing about the endpoint
    assert b.begin() is None


def test_a_late_failure_of_a_call_made_before_the_circuit_opened_does_not_extend_it() -> None:
    clock = FakeClock()
    b = _breaker(clock)
    assert b.begin() is None  # in flight while the others fail
    _fail(b, 3)
    clock.advance(5)
    b.failure()
    blocked = b.blocked()
    assert blocked is not None and blocked.retry_after == pytest.approx(5.0)


def test_a_retry_after_that_opened_the_circuit_is_passed_on_as_the_hint() -> None:
    clock = FakeClock()
    b = _breaker(clock)
    _fail(b, 2)
    b.begin()
    b.failure(retry_after=120)
    blocked = b.blocked()
    assert blocked is not None and blocked.retry_after == pytest.approx(120.0)
    clock.advance(10)
    assert b.begin() is None, "the circuit itself is open for the cool-down only"


def test_threshold_zero_never_opens() -> None:
    b = _breaker(FakeClock(), threshold=0)
    _fail(b, 50)
    assert b.state == "closed"
