"""What the OSO adapter needs from the core, as protocols the plug-in wires to core implementations (and tests fake).

- `Inbox`: durable intake (``put`` commits before it returns; ``record_refusal`` stores a refused
  exchange so the secretariaat sees it). Idempotent on the exchange key ``oso:<koppelsleutel>``.
- `SenderChecks`: registry and mandate checks. ``at_intake`` is fast (registry + cached mandate verdicts,
  no outbound call); ``in_worker`` may call the OSR and raises `gateway.errors.Transient` when it cannot
  decide.
- `ReplayGuard`: remembers ``wsa:MessageID`` values until a moment in time (persisted by
  `gateway.inbox.replay.DatabaseReplayGuard`).
- `LasEndpoints`: the school's LAS endpoint URL for a ``bronRouteringsKenmerk`` (OSR ``/endpoints``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from adapters.parnassys.notificatie import Notificatie
from gateway.pipeline.contracts import NewExchange, PutResult
from verification.findings import Finding

__all__ = ["Inbox", "LasEndpoints", "MemoryReplayGuard", "ReplayGuard", "SenderChecks", "Unit"]


# a unit of work the inbox runs first in the transaction that stores the exchange (the replay window's sighting);
# its argument is the core's session, which the adapter passes on without touching
Unit = Callable[[Any], object]


class Inbox(Protocol):
    async def put(self, new: NewExchange, *, first: Unit | None = None) -> PutResult: ...
    async def record_refusal(
        self, new: NewExchange, findings: Sequence[Finding], *, first: Unit | None = None
    ) -> PutResult: ...


class SenderChecks(Protocol):
    async def at_intake(self, n: Notificatie) -> list[Finding]: ...
    async def in_worker(self, n: Notificatie) -> list[Finding]: ...


class ReplayGuard(Protocol):
    async def first_seen(self, message_id: str, until: dt.datetime) -> bool: ...


class LasEndpoints(Protocol):
    async def las_endpoint(self, bron_routeringskenmerk: str, brin: str) -> str: ...


class MemoryReplayGuard:
    """In-process replay window (tests, simulators, a single-process gateway). Not shared between
    processes: `gateway serve` uses the database-backed `gateway.inbox.replay.DatabaseReplayGuard`."""

    def __init__(self) -> None:
        self._seen: dict[str, dt.datetime] = {}
        self._lock = asyncio.Lock()

    async def first_seen(self, message_id: str, until: dt.datetime) -> bool:
        now = dt.datetime.now(dt.UTC)
        async with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {k: v for k, v in self._seen.items() if v > now}
            known = self._seen.get(message_id)
            if known is not None and known > now:
                return False
            self._seen[message_id] = until
            return True
