"""Mandate look-ups for the pipeline and the CLI: OSR answers through the cache, with a bounded fallback.

`MandateLookup.mandates_for` asks, per OSO-SWV system (ParnasSys, Kindkans), whether the school has a
mandate on the reference date. A fresh cached answer (younger than the TTL) is used as is. When the OSR
cannot be reached, an answer no older than ``max_staleness`` is used instead, and the result says so
(``osr_reachable=False`` and its age); without one, `Transient(waiting_for="osr")` propagates and the
exchange waits. The gateway does not guess.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import structlog

from adapters.osr.cache import CachedAnswer, CacheKey, MandateCache
from adapters.osr.client import OsrClient
from adapters.osr.config import MandateCachePolicy
from gateway.errors import Transient
from verification.findings import Verdict
from verification.identifiers import parse_brin4, school_oin
from verification.koppelcheck import MandateFacts
from verification.mandates import OsoSwvParties, check_oso_swv_mandates
from verification.routering import Vestiging

__all__ = ["MandateLookup", "RefreshResult", "refresh_mandates"]

log = structlog.get_logger(__name__)


class MandateLookup:
    def __init__(
        self,
        client: OsrClient,
        *,
        parties: OsoSwvParties | None = None,
        policy: MandateCachePolicy | None = None,
        cache: MandateCache | None = None,
    ) -> None:
        self.client = client
        self.parties = parties or OsoSwvParties()
        self.policy = policy or MandateCachePolicy()
        self.cache = cache if cache is not None else MandateCache(self.policy.ttl, max_entries=self.policy.max_entries)

    async def mandates_for(self, brin4: str, reference_date: dt.date, *, force: bool = False) -> MandateFacts:
        """Both OSO-SWV mandate answers for the school. ``force`` skips the fresh cache (osr sync)."""
        oin = school_oin(parse_brin4(brin4))
        entries: list[CachedAnswer] = []
        fallback = False
        for system in self.parties.systems:
            key = CacheKey(oin, system.supplier_oin, self.parties.service_namespace, reference_date)
            entry = None if force else self.cache.fresh(key)
            if entry is None:
                try:
                    answer = await self.client.mandate(
                        school_oin=oin,
                        supplier_oin=system.supplier_oin,
                        service_version_namespace=self.parties.service_namespace,
                        reference_date=reference_date,
                    )
                except Transient:
                    entry = self._fallback(key)
                    fallback = True
                else:
                    entry = self.cache.put(key, answer)
            entries.append(entry)
        now = self.cache.now()
        mandates = tuple(m for e in entries if (m := e.answer.to_mandaat(self.parties)) is not None)
        oldest = max(e.age(now) for e in entries)
        if fallback:
            log.info("osr_mandates_from_cache", brin4=brin4, age_seconds=int(oldest.total_seconds()))
            return MandateFacts(mandates, osr_reachable=False, age=oldest, source="cache")
        return MandateFacts(mandates, osr_reachable=True, age=oldest, source="osr")

    def _fallback(self, key: CacheKey) -> CachedAnswer:
        entry = self.cache.latest(key, self.policy.max_staleness)
        if entry is None or (not entry.answer.found and not self.policy.use_stale_negative):
            raise Transient(
                "Het OSR is niet bereikbaar en er is geen recent genoeg antwoord over de mandaten bewaard; "
                "de uitwisseling wacht.",
                waiting_for="osr",
            )
        return entry

    async def verdict_for(
        self, brin6: str, reference_date: dt.date, vestigingen: Iterable[Vestiging]
    ) -> tuple[Verdict, MandateFacts]:
        """The pipeline step: both mandates valid for this vestiging? Raises Transient when unknown."""
        facts = await self.mandates_for(str(brin6)[:4], reference_date)
        verdict = check_oso_swv_mandates(brin6, facts.mandates, reference_date, vestigingen, self.parties)
        return verdict, facts


@dataclass(frozen=True, slots=True)
class RefreshResult:
    brin4: str
    facts: MandateFacts | None  # None when the OSR could not be asked
    error: str | None = None

    @property
    def complete(self) -> bool:
        """Both OSO-SWV mandates found (not yet judged on dates or vestigingen)."""
        return self.facts is not None and len(self.facts.mandates) >= 2


async def refresh_mandates(
    lookup: MandateLookup,
    schools: Iterable[str],
    *,
    reference_date: dt.date | None = None,
    on_progress: Callable[[int, int, RefreshResult], None] | None = None,
    concurrency: int = 4,
) -> list[RefreshResult]:
    """Ask the OSR afresh for every school (BRIN4) — `gateway osr sync`. One school's failure does not stop
    the rest; ``on_progress(done, total, result)`` is called after each school."""
    day = reference_date or dt.date.today()
    unique = list(dict.fromkeys(str(s).strip().upper() for s in schools))
    semaphore = asyncio.Semaphore(max(1, concurrency))
    done = 0
    results: dict[str, RefreshResult] = {}

    async def one(brin4: str) -> None:
        nonlocal done
        async with semaphore:
            try:
                facts = await lookup.mandates_for(brin4, day, force=True)
                result = RefreshResult(brin4, facts)
            except Transient as exc:
                result = RefreshResult(brin4, None, str(exc))
            except ValueError as exc:  # a malformed BRIN4 in the registry
                result = RefreshResult(brin4, None, str(exc))
        results[brin4] = result
        done += 1
        if on_progress is not None:
            on_progress(done, len(unique), result)

    await asyncio.gather(*(one(b) for b in unique))
    return [results[b] for b in unique]
