"""In-memory stand-ins for what the core provides (inbox, sender checks): small, honest, inspectable."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from adapters.parnassys.notificatie import Notificatie
from adapters.parnassys.ports import Unit
from gateway.pipeline.contracts import NewExchange, PutResult
from verification.findings import Finding, fout


class MemoryInbox:
    """Committed on return; idempotent on the key; refusals kept apart so tests can tell them from puts."""

    def __init__(self) -> None:
        self.exchanges: dict[str, tuple[int, NewExchange, str]] = {}
        self.refusals: dict[str, tuple[NewExchange, list[Finding]]] = {}
        self.fail_next_put = False

    async def put(self, new: NewExchange, *, first: Unit | None = None) -> PutResult:
        assert first is None  # a unit of work needs the store's transaction: only with DatabaseReplayGuard
        if self.fail_next_put:
            self.fail_next_put = False
            raise RuntimeError("database unavailable")
        if new.key in self.exchanges:
            ex_id, _, state = self.exchanges[new.key]
            return PutResult(exchange_id=ex_id, created=False, state=state, correlation_id=f"c{ex_id}")
        ex_id = len(self.exchanges) + len(self.refusals) + 1
        self.exchanges[new.key] = (ex_id, new, "ontvangen")
        return PutResult(exchange_id=ex_id, created=True, state="ontvangen", correlation_id=f"c{ex_id}")

    async def record_refusal(
        self, new: NewExchange, findings: Sequence[Finding], *, first: Unit | None = None
    ) -> PutResult:
        assert first is None
        ex_id = len(self.exchanges) + len(self.refusals) + 1
        created = new.key not in self.refusals
        if created:
            self.refusals[new.key] = (new, list(findings))
        return PutResult(exchange_id=ex_id, created=created, state="geweigerd", correlation_id=f"c{ex_id}")

    @property
    def puts(self) -> list[NewExchange]:
        return [new for _, new, _ in self.exchanges.values()]


@dataclass
class RegistrySenderChecks:
    """Registry of vestigingen (BRIN4 + routeringskenmerk suffix) and BRIN4s with both OSO-SWV mandates."""

    vestigingen: set[tuple[str, str]] = field(default_factory=lambda: {("14SS", "500"), ("14SS", "501")})
    mandates: set[str] = field(default_factory=lambda: {"14SS"})
    worker_calls: int = 0

    async def at_intake(self, n: Notificatie) -> list[Finding]:
        suffix = n.bronRouteringsKenmerk[-3:]
        if (n.bronBrin, suffix) not in self.vestigingen:
            return [fout("VESTIGING_ONBEKEND", f"School {n.bronBrin} ({suffix}) is niet bekend bij het SWV.")]
        if n.bronBrin not in self.mandates:
            return [fout("MANDAAT_ONTBREEKT", f"School {n.bronBrin} heeft geen OSO-SWV-mandaten in het OSR.")]
        return []

    async def in_worker(self, n: Notificatie) -> list[Finding]:
        self.worker_calls += 1
        return await self.at_intake(n)


def utc(minutes: float = 0) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)
