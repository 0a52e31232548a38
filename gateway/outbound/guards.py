"""The outbound guards of one outside system, per endpoint: a bulkhead and a circuit breaker.

- **Bulkhead** (`gateway.outbound.bulkhead`, per endpoint URL): at most `GuardPolicy.max_concurrent` calls in
  flight to one URL. A call that gets no slot within ``slot_wait`` seconds raises `Transient` and the exchange
  waits with the core's backoff while its worker takes other work.
- **Circuit breaker** (`gateway.outbound.breaker`, per endpoint URL and operation): after
  ``failure_threshold`` consecutive transient failures calls fail fast with `Transient` without touching the
  network, for a cool-down; then one probe goes through.

An adapter decides what one guarded call is: the OSO SOAP client guards every HTTP attempt, the OSR client
one request with its retries. It marks the outcome: `GuardedCall.failed` for a transient failure (timeout,
connection error, HTTP 429/5xx), `GuardedCall.answered` when the other side answered, even with an error of
its own.

For ``/metrics`` (`guard_samples`, registered by the adapter as a process-local source) the guards count every
call that goes through them by result — ``ok``, ``fault`` (the other side answered with an error or an
unusable answer), ``failed`` (transient), ``blocked`` (refused by an open circuit or a full bulkhead, without
touching the network), ``abandoned`` (ended otherwise: cancelled, a bug) — and the times a circuit opened.
Endpoints are labelled by scheme, host and port only (`endpoint_label`).
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

from gateway.errors import Transient
from gateway.metric_samples import Sample
from gateway.outbound.breaker import STATES, Blocked, CircuitBreaker, Clock, State
from gateway.outbound.bulkhead import Bulkhead

__all__ = [
    "RESULTS",
    "EndpointGuards",
    "GuardPolicy",
    "GuardedCall",
    "Result",
    "endpoint_label",
    "guard_samples",
]

log = structlog.get_logger("gateway.outbound.guards")

_MAX_ENDPOINTS = 10_000  # bounded memory: idle, closed endpoints are forgotten beyond this
Result = Literal["ok", "fault", "failed", "blocked", "abandoned"]
RESULTS: tuple[Result, ...] = ("ok", "fault", "failed", "blocked", "abandoned")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# What a blocked call says in its `Transient`: (system, operation, url, why) → message.
Describe = Callable[[str, str, str, Blocked], str]


@dataclass(frozen=True)
class GuardPolicy:
    """Bulkhead and circuit breaker of one outside system: the bulkhead per endpoint URL, the breaker per
    endpoint URL and operation. Kept per gateway process."""

    max_concurrent: int = 2  # calls in flight to one endpoint URL at a time; 0 = no limit
    slot_wait: float = 1.0  # seconds a call may wait for a free slot; then Transient instead of queueing on
    failure_threshold: int = 5  # consecutive transient failures (timeouts, 429/5xx, ...) that open it; 0 = never
    cool_down: float = 1.0  # seconds the circuit stays open before one probe call; doubled per failed probe
    cool_down_max: float = 60.0  # ... up to this


def _describe(system: str, operation: str, url: str, blocked: Blocked) -> str:
    return f"{system} {operation}: {url}: {blocked.reason}"


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
            if not await g.bulkhead.take(self._slots):
                log.warning(f"{g.events}_schot_vol", endpoint=self._url, max_gelijktijdig=g.policy.max_concurrent)
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
    """The bulkheads and breakers of one outside system (``las``, ``traffic_center``, ``osr``), per endpoint.

    Usage::

        async with guards.call(url, "document") as call:   # Transient: circuit open / no slot in time
            try:
                answer = await post(...)
            except Retryable:
                call.failed(retry_after)
                raise

    ``events`` prefixes the log events (``oso_stroomonderbreker_open``, ``oso_schot_vol``, …); ``describe``
    words the message of the `Transient` a blocked call raises (it reaches the queue page)."""

    def __init__(
        self,
        system: str,
        policy: GuardPolicy,
        *,
        clock: Clock = time.monotonic,
        events: str = "uitgaand",
        describe: Describe = _describe,
    ) -> None:
        self.system, self.policy, self._clock = system, policy, clock
        self.events, self._describe = events, describe
        self.bulkhead = Bulkhead(policy.max_concurrent, policy.slot_wait)
        self._breakers: dict[tuple[str, str], CircuitBreaker] = {}
        self.calls: dict[Result, int] = dict.fromkeys(RESULTS, 0)  # calls per result, since start
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
                events=self.events,
            )
        return found

    def slots(self, url: str) -> asyncio.Semaphore | None:
        return self.bulkhead.slots(url)

    def transient(self, url: str, operation: str, blocked: Blocked) -> Transient:
        return Transient(
            self._describe(self.system, operation, url, blocked),
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
            if current is None or STATES.index(state) > STATES.index(current):
                worst[key] = state
        return worst

    def slots_in_use(self) -> dict[str, int]:
        """`endpoint_label` → bulkhead slots taken (calls in flight) over that endpoint's URLs."""
        used: dict[str, int] = {}
        for url, n in self.bulkhead.in_use().items():
            label = endpoint_label(url)
            used[label] = used.get(label, 0) + n
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

    - ``gateway_outbound_calls_total{system,result}`` counter: guarded calls (for the OSO client every HTTP
      request, so a call retried twice counts three times) per result, see `RESULTS`;
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
            for state in STATES:
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
