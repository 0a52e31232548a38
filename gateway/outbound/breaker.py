"""A circuit breaker for one outside endpoint (and operation): stop calling what keeps failing.

Closed → (``failure_threshold`` consecutive transient failures) → open: calls fail fast without touching the
network → (after the cool-down) half-open: the next call is the one probe, others keep failing fast while it
runs → closed when the probe gets an answer, open again with the cool-down doubled (up to ``cool_down_max``)
when it fails. Any answer — also an error of the other side's own — counts as a sign of life; a call that
ends otherwise (cancelled, a bug) counts as neither.

State lives in the gateway process (not in the database): each process protects itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import structlog

__all__ = ["STATES", "Blocked", "CircuitBreaker", "Clock", "State"]

log = structlog.get_logger("gateway.outbound.breaker")

Clock = Callable[[], float]
State = Literal["closed", "open", "half_open"]
STATES: tuple[State, ...] = ("closed", "half_open", "open")  # worst last


@dataclass(frozen=True)
class Blocked:
    """Why a call may not go out now (Dutch: it reaches the queue page), and when trying again makes sense
    (seconds; None: no idea)."""

    reason: str
    retry_after: float | None


class CircuitBreaker:
    """Closed → (``failure_threshold`` consecutive failures) → open → (cool-down) → half-open, one probe →
    closed on an answer, open again (cool-down doubled) on a failure. ``failure_threshold`` 0: never opens.

    ``events`` prefixes the log events (``<events>_stroomonderbreker_open`` / ``_proef`` / ``_dicht``), so
    each outside system keeps the event names its operators alert on."""

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        cool_down: float = 1.0,
        cool_down_max: float = 60.0,
        clock: Clock = time.monotonic,
        events: str = "uitgaand",
    ) -> None:
        self.name = name
        self.failure_threshold = failure_threshold
        self.cool_down_initial = cool_down
        self.cool_down_max = max(cool_down, cool_down_max)
        self._clock = clock
        self._events = events
        self._state: State = "closed"
        self._failures = 0  # consecutive, while closed
        self._cool_down = cool_down
        self._open_until = 0.0
        self._hint_until = 0.0  # a Retry-After the other side sent with the failure that opened the circuit
        self._probing = False

    @property
    def state(self) -> State:
        if self._state == "open" and self._clock() >= self._open_until:
            return "half_open"
        return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def blocked(self) -> Blocked | None:
        """Would a call fail fast now? (Changes nothing.)"""
        state = self.state
        if state == "closed" or (state == "half_open" and not self._probing):
            return None
        if state == "half_open":
            return Blocked("proefaanroep loopt nog", None)
        now = self._clock()
        wait = max(self._open_until, self._hint_until) - now
        return Blocked(f"stroomonderbreker open; volgende proef over {max(0.0, self._open_until - now):.0f} s", wait)

    def begin(self) -> Blocked | None:
        """Like `blocked`, but a call that may go out after the cool-down becomes the probe."""
        found = self.blocked()
        if found is None and self.state == "half_open":
            self._state, self._probing = "half_open", True
            log.info(f"{self._events}_stroomonderbreker_proef", endpoint=self.name)
        return found

    def success(self) -> None:
        if self._state != "closed":
            log.info(f"{self._events}_stroomonderbreker_dicht", endpoint=self.name)
        self._state, self._failures, self._probing = "closed", 0, False
        self._cool_down = self.cool_down_initial

    def failure(self, retry_after: float | None = None) -> bool:
        """Count a transient failure; True when it (re)opened the circuit."""
        now = self._clock()
        if self._state == "closed":
            self._failures += 1
            if self.failure_threshold <= 0 or self._failures < self.failure_threshold:
                return False
            self._cool_down = self.cool_down_initial
        elif self._probing:  # the probe failed
            self._cool_down = min(self._cool_down * 2, self.cool_down_max)
        else:  # a call that was already under way when the circuit opened: it says nothing new
            return False
        self._state, self._probing = "open", False
        self._open_until = now + self._cool_down
        self._hint_until = now + retry_after if retry_after else 0.0
        log.warning(
            f"{self._events}_stroomonderbreker_open",
            endpoint=self.name,
            fouten_op_rij=self._failures,
            afkoelen_s=self._cool_down,
        )
        return True

    def abandon(self) -> None:
        """The call ended without telling anything (cancelled, a bug): a probe slot is given back."""
        if self._probing:
            self._probing = False  # state stays open with the cool-down over: the next call probes
