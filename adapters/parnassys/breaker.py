"""A bulkhead and a circuit breaker per outside endpoint, so one school's hanging LAS cannot hold every worker.

- **Bulkhead** (per endpoint URL): at most `GuardPolicy.max_concurrent` calls in flight to one URL (an
  `asyncio.Semaphore`). A call that gets no slot within `slot_wait` seconds is not queued behind calls that
  may hang for the whole read timeout: it raises `Transient` and the exchange waits with the core's backoff
  while its worker takes other schools' work.
- **Circuit breaker** (per endpoint URL and operation): after `failure_threshold` consecutive transient
  failures (timeouts, connection errors, HTTP 429/502/503/504) the circuit opens: calls fail fast with
  `Transient` without touching the network. After the cool-down it is half-open: the next call is the one
  probe (others keep failing fast while it runs); a probe that gets an answer closes the circuit, a failed
  probe opens it again with the cool-down doubled (up to `cool_down_max`). Any answer — also a SOAP fault —
  counts as a sign of life; a call that ends otherwise (cancelled, a bug) counts as neither.

State lives in the gateway process (not in the database): each process protects itself.

For ``/metrics`` (`guard_samples`, registered by the plugin as a process-local source) the guards count every
attempt that goes through them by result — ``ok``, ``fault`` (the other side answered with a SOAP fault or an
unusable answer), ``failed`` (transient: timeout, connection error, HTTP 429/5xx), ``blocked`` (refused by an
open circuit or a full bulkhead, without touching the network), ``abandoned`` (ended otherwise: cancelled, a
bug) — and the times a circuit opened. Endpoints are labelled by scheme, host and port only (`endpoint_label`).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Literal
from urllib.parse import urlsplit

import structlog

from adapters.parnassys.config import GuardPolicy
from gateway.errors import Transient
from gateway.metric_samples import Sample

__all__ = ["RESULTS", "CircuitBreaker", "EndpointGuards", "GuardedCall", "endpoint_label", "guard_samples"]

log = structlog.get_logger("adapters.parnassys.breaker")

Clock = Callable[[], float]
State = Literal["closed", "open", "half_open"]
_MAX_ENDPOINTS = 10_000  # bounded memory: idle, closed endpoints are forgotten beyond this
Result = Literal["ok", "fault", "failed", "blocked", "abandoned"]
RESULTS: tuple[Result, ...] = ("ok", "fault", "failed", "blocked", "abandoned")
_STATES: tuple[State, ...] = ("closed", "half_open", "open")  # worst last
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Blocked:
    """Why a call may not go out now, and when trying again makes sense (seconds; None: no idea)."""

    reason: str
    retry_after: float | None


class CircuitBreaker:
    """Closed → (``failure_threshold`` consecutive failures) → open → (cool-down) → half-open, one probe →
    closed on an answer, open again (cool-down doubled) on a failure."""

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        cool_down: float = 1.0,
        cool_down_max: float = 60.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.name = name
        self.failure_threshold = failure_threshold
        self.cool_down_initial = cool_down
        self.cool_down_max = max(cool_down, cool_down_max)
        self._clock = clock
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
            log.info("oso_stroomonderbreker_proef", endpoint=self.name)
        return found

    def success(self) -> None:
        if self._state != "closed":
            log.info("oso_stroomonderbreker_dicht", endpoint=self.name)
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
            "oso_stroomonderbreker_open", endpoint=self.name, fouten_op_rij=self._failures, afkoelen_s=self._cool_down
        )
        return True

    def abandon(self) -> None:
        """The call ended without telling anything (cancelled, a bug): a probe slot is given back."""
        if self._probing:
            self._probing = False  # state stays open with the cool-down over: the next call probes


class GuardedCall:
    """One call through `EndpointGuards.call`: holds a bulkhead slot and reports to the breaker on exit.

    The caller marks the outcome: `failed` (a transient failure), `answered` (the endpoint answered, even
    with an error of its own); leaving the block normally counts as answered, with an unmarked exception
    as neither."""

    def __init__(self, guards: EndpointGuards, url: str, operation: str) -> None:
        self._guards, self._url, self._operation = guards, url, operation
        self._breaker = guards.breaker(url, operation)
        self._slots = guards.slots(url)
        self._holds_slot = False
        self._outcome: tuple[str, float | None] | None = None

    def failed(self, retry_after: float | None = None) -> None:
        self._outcome = ("failed", retry_after)

    def answered(self) -> None:
        self._outcome = ("answered", None)

    async def __aenter__(self) -> GuardedCall:
        g = self._guards
        found = self._breaker.blocked()  # fail fast before waiting for a slot that a hanging call holds
        if found is not None:
            g.count("blocked")
            raise g.transient(self._url, self._operation, found)
        if self._slots is not None:
            if not await g.take_slot(self._slots):
                log.warning("oso_schot_vol", endpoint=self._url, max_gelijktijdig=g.policy.max_concurrent)
                found = Blocked(
                    f"al {g.policy.max_concurrent} aanroepen tegelijk wachten op antwoord (schot per endpoint)", None
                )
                g.count("blocked")
                raise g.transient(self._url, self._operation, found)
            self._holds_slot = True
        found = self._breaker.begin()  # it may have opened while we waited for the slot
        if found is not None:
            self._release()
            g.count("blocked")
            raise g.transient(self._url, self._operation, found)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._release()
        outcome = self._outcome or (("answered", None) if exc is None else None)
        g = self._guards
        if outcome is None:
            self._breaker.abandon()
            g.count("abandoned")
        elif outcome[0] == "failed":
            g.count("failed")
            if self._breaker.failure(outcome[1]):
                g.opened += 1
        else:
            self._breaker.success()
            g.count("ok" if exc is None else "fault")  # answered with an exception: the other side's verdict

    def _release(self) -> None:
        if self._holds_slot and self._slots is not None:
            self._slots.release()
            self._holds_slot = False


class EndpointGuards:
    """The bulkheads and breakers of one outside system (``las``, ``traffic_center``), per endpoint.

    Usage::

        async with guards.call(url, "document") as call:   # Transient: circuit open / no slot in time
            try:
                answer = await post(...)
            except Retryable:
                call.failed(retry_after)
                raise
    """

    def __init__(self, system: str, policy: GuardPolicy, *, clock: Clock = time.monotonic) -> None:
        self.system, self.policy, self._clock = system, policy, clock
        self._breakers: dict[tuple[str, str], CircuitBreaker] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.calls: dict[Result, int] = dict.fromkeys(RESULTS, 0)  # attempts per result, since start
        self.opened = 0  # times a circuit (re)opened, since start

    def count(self, result: Result) -> None:
        self.calls[result] += 1

    def call(self, url: str, operation: str) -> GuardedCall:
        return GuardedCall(self, url, operation)

    def breaker(self, url: str, operation: str) -> CircuitBreaker:
        key = (url, operation)
        found = self._breakers.get(key)
        if found is None:
            if len(self._breakers) >= _MAX_ENDPOINTS:
                self._forget_idle()
            p = self.policy
            found = self._breakers[key] = CircuitBreaker(
                f"{self.system} {operation} {url}",
                failure_threshold=p.failure_threshold,
                cool_down=p.cool_down,
                cool_down_max=p.cool_down_max,
                clock=self._clock,
            )
        return found

    def slots(self, url: str) -> asyncio.Semaphore | None:
        if self.policy.max_concurrent <= 0:
            return None
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a semaphore belongs to one event loop (the CLI may run several in turn)
            self._loop, self._slots = loop, {}
        found = self._slots.get(url)
        if found is None:
            if len(self._slots) >= _MAX_ENDPOINTS:
                self._slots = {u: s for u, s in self._slots.items() if s._value < self.policy.max_concurrent}
            found = self._slots[url] = asyncio.Semaphore(self.policy.max_concurrent)
        return found

    async def take_slot(self, slots: asyncio.Semaphore) -> bool:
        if not slots.locked():
            await slots.acquire()  # free: does not wait
            return True
        if self.policy.slot_wait <= 0:
            return False
        try:
            await asyncio.wait_for(slots.acquire(), self.policy.slot_wait)
        except TimeoutError:
            return False
        return True

    def transient(self, url: str, operation: str, blocked: Blocked) -> Transient:
        return Transient(
            f"{self.system} {operation}: {url}: {blocked.reason}",
            waiting_for=self.system,
            retry_after=blocked.retry_after,
        )

    def states(self) -> dict[str, State]:
        """``"<operation> <url>"`` → breaker state, for every endpoint seen (diagnostics)."""
        return {f"{op} {url}": b.state for (url, op), b in self._breakers.items()}

    def circuit_states(self) -> dict[tuple[str, str], State]:
        """(`endpoint_label`, operation) → the worst state over that endpoint's URLs, for /metrics."""
        worst: dict[tuple[str, str], State] = {}
        for (url, op), b in self._breakers.items():
            key = (endpoint_label(url), op)
            state, current = b.state, worst.get(key)
            if current is None or _STATES.index(state) > _STATES.index(current):
                worst[key] = state
        return worst

    def slots_in_use(self) -> dict[str, int]:
        """`endpoint_label` → bulkhead slots taken (calls in flight) over that endpoint's URLs."""
        used: dict[str, int] = {}
        for url, sem in self._slots.items():
            label = endpoint_label(url)
            used[label] = used.get(label, 0) + max(0, self.policy.max_concurrent - sem._value)
        return used

    def _forget_idle(self) -> None:
        self._breakers = {k: b for k, b in self._breakers.items() if b.state != "closed" or b.consecutive_failures}


@functools.lru_cache(maxsize=4096)
def endpoint_label(url: str) -> str:
    """``scheme://host:port`` of a URL: no path, query (``?oin=``), user info or fragment, so the label stays
    low-cardinality and never carries more than where the call went."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return "ongeldig"
    if not host or not parts.scheme:
        return "ongeldig"
    scheme = parts.scheme.lower()
    port = port or _DEFAULT_PORTS.get(scheme)
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}" + (f":{port}" if port else "")


def guard_samples(guards: Iterable[EndpointGuards]) -> list[Sample]:
    """The process-local /metrics samples of these guards (one `EndpointGuards` per outside system).

    - ``gateway_outbound_calls_total{system,result}`` counter: attempts (HTTP requests, so a call retried
      twice counts three times) per result, see `RESULTS`;
    - ``gateway_outbound_circuit_opened_total{system}`` counter: times a circuit opened or re-opened;
    - ``gateway_outbound_circuit_state{system,endpoint,operation,state}`` gauge, a state set: 1 for the
      current state (``closed``, ``half_open``, ``open``), 0 for the other two, per endpoint seen;
    - ``gateway_outbound_bulkhead_in_use{system,endpoint}`` gauge: calls in flight holding a bulkhead slot
      (systems with a bulkhead only; the limit is ``max_concurrent`` per URL).
    """
    calls: list[Sample] = []
    opened: list[Sample] = []
    states: list[Sample] = []
    in_use: list[Sample] = []
    for g in guards:
        for result, n in g.calls.items():
            calls.append(
                Sample(
                    "gateway_outbound_calls_total",
                    {"system": g.system, "result": result},
                    n,
                    "Outbound attempts per system and result (ok, fault, failed, blocked, abandoned), per process.",
                    "counter",
                )
            )
        opened.append(
            Sample(
                "gateway_outbound_circuit_opened_total",
                {"system": g.system},
                g.opened,
                "Times a circuit breaker of this system opened (also re-opened after a failed probe), per process.",
                "counter",
            )
        )
        for (endpoint, op), current in sorted(g.circuit_states().items()):
            for state in _STATES:
                states.append(
                    Sample(
                        "gateway_outbound_circuit_state",
                        {"system": g.system, "endpoint": endpoint, "operation": op, "state": state},
                        1 if state == current else 0,
                        "Circuit breaker state per endpoint and operation: 1 for the current state, per process.",
                    )
                )
        if g.policy.max_concurrent > 0:
            for endpoint, n in sorted(g.slots_in_use().items()):
                in_use.append(
                    Sample(
                        "gateway_outbound_bulkhead_in_use",
                        {"system": g.system, "endpoint": endpoint},
                        n,
                        "Outbound calls in flight holding a bulkhead slot per endpoint, per process.",
                    )
                )
    return [*calls, *opened, *states, *in_use]
