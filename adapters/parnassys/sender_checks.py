"""Who may send: the registry (our SWV's vestigingen and their routeringskenmerken) and the OSR mandates.

Implements `adapters.parnassys.ports.SenderChecks`:
- ``at_intake`` is fast and local, before the acknowledgement: the routeringskenmerk against the registry
  (read through a short in-memory cache) and — only when the OSR answered recently about this school — the
  *cached* mandate verdict. It never calls out; an unknown mandate state lets the notificatie in, the
  worker decides.
- ``in_worker`` reads the registry through the same cache but accepts only an entry younger than
  ``worker_registry_cache`` (5 s), and reads afresh before it refuses on the kenmerk — so a vestiging that was
  deactivated (or whose kenmerk changed) is no longer accepted once 5 s have passed, and one registered a moment
  ago is never refused on an old entry; then it asks the OSR (`MandateLookup.mandates_for`); when the OSR
  cannot be reached and no recent enough answer is cached it raises ``Transient(waiting_for="osr")``.
  What it learned is kept in the ``mandaat`` table (koppelcheck, Scholen page), written only when it changed
  or once per ``store_every``.
- ``for_dossier`` checks the kenmerk again once the dossier says which vestiging it is about (the
  "500 sent by nevenvestiging 01" case cannot be seen earlier).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import structlog

from adapters.osr.cache import CacheKey
from adapters.osr.client import OsrRejected
from adapters.osr.lookup import MandateLookup
from adapters.parnassys.notificatie import Notificatie
from gateway.errors import Transient
from gateway.pipeline.ports.registry import OsrMandate, replace_osr_mandates, vestigingen_of_school
from gateway.store.db import Database
from gateway.store.types import utcnow
from verification.findings import Finding, waarschuwing
from verification.identifiers import OngeldigeIdentificatie, school_oin
from verification.koppelcheck import MandateFacts
from verification.mandates import Mandaat, check_oso_swv_mandates
from verification.routering import Vestiging, check_routeringskenmerk

__all__ = ["OsoSenderChecks", "Registry", "SenderCheckPolicy"]

log = structlog.get_logger("adapters.parnassys.sender_checks")
_WHERE = "notificatieRequest/bronRouteringsKenmerk"


@dataclass(frozen=True)
class SenderCheckPolicy:
    registry_cache: dt.timedelta = dt.timedelta(seconds=10)  # intake reads the registry through this cache
    worker_registry_cache: dt.timedelta = dt.timedelta(seconds=5)  # worker: a younger entry is used, else re-read
    intake_negative_max_age: dt.timedelta = dt.timedelta(minutes=10)  # a cached "no" refuses at intake if younger
    recheck_negative_after: dt.timedelta = dt.timedelta(minutes=5)  # worker: an older cached "no" is asked again
    store_every: dt.timedelta = dt.timedelta(hours=1)  # unchanged OSR facts are written to `mandaat` this often
    timezone: str = "Europe/Amsterdam"  # whose calendar day is the mandates' reference date


class Registry:
    """Our SWV's vestigingen of one school (BRIN4), with the routeringskenmerk recorded for each."""

    def __init__(
        self, db: Database, swv_code: str, *, ttl: dt.timedelta, clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self.db, self.swv_code, self.ttl, self._clock = db, swv_code, ttl, clock
        self._cache: dict[str, tuple[dt.datetime, list[Vestiging]]] = {}

    async def vestigingen(
        self, brin4: str, *, fresh: bool = False, max_age: dt.timedelta | None = None
    ) -> list[Vestiging]:
        """The vestigingen, from the cache when its entry is younger than ``max_age`` (default: the TTL)."""
        now = self._clock()
        cached = self._cache.get(brin4)
        if not fresh and cached is not None and now - cached[0] <= min(self.ttl, max_age or self.ttl):
            return cached[1]
        found = await vestigingen_of_school(self.db, self.swv_code, brin4)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[brin4] = (now, found)
        return found


class OsoSenderChecks:
    def __init__(
        self,
        db: Database,
        lookup: MandateLookup,
        *,
        swv_code: str,
        policy: SenderCheckPolicy | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.db = db
        self.lookup = lookup
        self.policy = policy or SenderCheckPolicy()
        self.registry = Registry(db, swv_code, ttl=self.policy.registry_cache, clock=clock)
        self._tz = ZoneInfo(self.policy.timezone)
        self._clock = clock
        self._stored: dict[str, tuple[tuple[object, ...], dt.datetime]] = {}

    def today(self) -> dt.date:
        return self._clock().astimezone(self._tz).date()

    # -- the port -----------------------------------------------------------------------------------------

    async def at_intake(self, n: Notificatie) -> list[Finding]:
        vestigingen = await self.registry.vestigingen(n.bronBrin)
        routed = check_routeringskenmerk(
            n.bronRouteringsKenmerk, sender_brin=n.bronBrin, vestigingen=vestigingen, location=_WHERE
        )
        if not routed.verdict.ok or routed.vestiging is None:
            return list(routed.verdict.findings)
        facts = self._recent_cached_facts(n.bronBrin)
        if facts is None:
            return []  # nothing recent known about the mandates: the worker asks the OSR
        verdict = check_oso_swv_mandates(
            str(routed.vestiging), facts.mandates, self.today(), vestigingen, self.lookup.parties
        )
        return list(verdict.findings)

    async def in_worker(self, n: Notificatie) -> list[Finding]:
        vestigingen = await self.registry.vestigingen(n.bronBrin, max_age=self.policy.worker_registry_cache)
        routed = check_routeringskenmerk(
            n.bronRouteringsKenmerk, sender_brin=n.bronBrin, vestigingen=vestigingen, location=_WHERE
        )
        if not routed.verdict.ok or routed.vestiging is None:  # never refuse on a cached entry: read afresh
            vestigingen = await self.registry.vestigingen(n.bronBrin, fresh=True)
            routed = check_routeringskenmerk(
                n.bronRouteringsKenmerk, sender_brin=n.bronBrin, vestigingen=vestigingen, location=_WHERE
            )
        if not routed.verdict.ok or routed.vestiging is None:
            return list(routed.verdict.findings)
        brin6, day = str(routed.vestiging), self.today()
        try:
            facts = await self.lookup.mandates_for(n.bronBrin, day)
            verdict = check_oso_swv_mandates(brin6, facts.mandates, day, vestigingen, self.lookup.parties)
            if not verdict.ok and facts.osr_reachable and facts.age is not None:
                if facts.age > self.policy.recheck_negative_after:  # a cached "no": ask again before refusing
                    facts = await self.lookup.mandates_for(n.bronBrin, day, force=True)
                    verdict = check_oso_swv_mandates(brin6, facts.mandates, day, vestigingen, self.lookup.parties)
        except OsrRejected as exc:  # our certificate or request is wrong: the operator fixes it, the item waits
            log.error("osr_weigert_verzoek", reden=str(exc), status=exc.status)
            raise Transient(str(exc), waiting_for="osr") from exc
        if facts.osr_reachable:
            await self._remember(n.bronBrin, facts)
        findings = list(verdict.findings)
        if not facts.osr_reachable and facts.age is not None:
            hours = int(facts.age.total_seconds() // 3600)
            findings.append(
                waarschuwing(
                    "OSR_ANTWOORD_UIT_CACHE",
                    f"Het OSR was niet bereikbaar; de mandaten zijn beoordeeld op het laatste antwoord "
                    f"(ongeveer {hours} uur oud).",
                    "OSR",
                )
            )
        return findings

    async def for_dossier(self, n: Notificatie, vestigingscode: str) -> list[Finding]:
        """The kenmerk must also be the one of the vestiging the dossier names."""
        vestigingen = await self.registry.vestigingen(n.bronBrin)
        routed = check_routeringskenmerk(
            n.bronRouteringsKenmerk,
            sender_brin=n.bronBrin,
            vestigingen=vestigingen,
            dossier_vestigingscode=vestigingscode,
            location=_WHERE,
        )
        return list(routed.verdict.findings)

    # -- helpers ------------------------------------------------------------------------------------------

    def _recent_cached_facts(self, brin4: str) -> MandateFacts | None:
        """The mandates as the OSR last told us, when every answer for this school is young enough."""
        parties, cache = self.lookup.parties, self.lookup.cache
        try:
            oin = school_oin(brin4)
        except OngeldigeIdentificatie:
            return None
        day, now = self.today(), cache.now()
        mandates: list[Mandaat] = []
        for system in parties.systems:
            entry = cache.get(CacheKey(oin, system.supplier_oin, parties.service_namespace, day))
            if entry is None or entry.age(now) > self.policy.intake_negative_max_age:
                return None
            m = entry.answer.to_mandaat(parties)
            if m is not None:
                mandates.append(m)
        return MandateFacts(tuple(mandates), source="cache")

    async def _remember(self, brin4: str, facts: MandateFacts) -> None:
        """Keep the OSR's answer in the `mandaat` table (replacing earlier OSR rows; CSV rows stay)."""
        parties = self.lookup.parties
        rows = []
        for m in facts.mandates:
            system = parties.system_for_supplier(m.supplier_oin or "")
            name = system.name if system else m.system
            rows.append((name, m.supplier_oin, m.service_namespace, m.start_date, m.end_date))
        signature: tuple[OsrMandate, ...] = tuple(sorted(rows, key=repr))
        now = utcnow()
        last = self._stored.get(brin4)
        if last is not None and last[0] == signature and now - last[1] < self.policy.store_every:
            return
        if not await replace_osr_mandates(self.db, brin4, signature, now):
            # another worker (or process) stored this school's answer at the same moment: theirs stands. This is
            # bookkeeping for the koppelcheck and the pages; it must never fail an exchange.
            log.info("mandaten_al_vastgelegd", brin4=brin4)
        if len(self._stored) > 10_000:
            self._stored.clear()
        self._stored[brin4] = (signature, now)
        log.info("mandaten_vastgelegd", brin4=brin4, aantal=len(signature))
