"""An in-memory TTL cache of OSR mandate answers that remembers when each answer was fetched.

Keyed by (school OIN, supplier OIN, service namespace, reference date). `fresh` gives an answer younger
than the TTL (use it without asking the OSR); `latest` gives the newest answer for the same school,
supplier and service within a staleness bound, on any reference date — what the caller may fall back on
while the OSR is down.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from adapters.osr.wire import MandateAnswer

__all__ = ["CacheKey", "CachedAnswer", "MandateCache", "utc_now"]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class CacheKey:
    school_oin: str
    supplier_oin: str
    service_namespace: str
    reference_date: dt.date


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    answer: MandateAnswer
    fetched_at: dt.datetime

    def age(self, now: dt.datetime) -> dt.timedelta:
        return max(dt.timedelta(0), now - self.fetched_at)


class MandateCache:
    def __init__(
        self,
        ttl: dt.timedelta,
        *,
        max_entries: int = 50_000,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[CacheKey, CachedAnswer] = OrderedDict()
        # the keys of each (school, supplier, service): `latest` looks at those, not at every entry — during an
        # OSR outage it is asked for every exchange, and the cache may hold 50,000 entries
        self._by_subject: dict[tuple[str, str, str], set[CacheKey]] = {}

    def now(self) -> dt.datetime:
        return self._clock()

    def put(self, key: CacheKey, answer: MandateAnswer) -> CachedAnswer:
        entry = CachedAnswer(answer, self._clock())
        self._entries[key] = entry
        self._entries.move_to_end(key)
        self._by_subject.setdefault(_subject(key), set()).add(key)
        while len(self._entries) > self._max:
            evicted, _ = self._entries.popitem(last=False)
            keys = self._by_subject[_subject(evicted)]
            keys.discard(evicted)
            if not keys:
                del self._by_subject[_subject(evicted)]
        return entry

    def get(self, key: CacheKey) -> CachedAnswer | None:
        return self._entries.get(key)

    def fresh(self, key: CacheKey) -> CachedAnswer | None:
        entry = self._entries.get(key)
        if entry is None or entry.age(self._clock()) > self._ttl:
            return None
        return entry

    def latest(self, key: CacheKey, max_staleness: dt.timedelta) -> CachedAnswer | None:
        """The newest answer for key's school, supplier and service (exact date preferred) that is no
        older than ``max_staleness`` and not for a later reference date than the key's (of two fetched at the
        same moment, the one for the later reference date)."""
        now = self._clock()
        exact = self._entries.get(key)
        if exact is not None and exact.age(now) <= max_staleness:
            return exact
        best: CachedAnswer | None = None
        for other in self._by_subject.get(_subject(key), ()):
            entry = self._entries[other]
            if (
                other.reference_date <= key.reference_date
                and entry.age(now) <= max_staleness
                and (best is None or _newer(entry, best))
            ):
                best = entry
        return best

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()
        self._by_subject.clear()


def _newer(entry: CachedAnswer, than: CachedAnswer) -> bool:
    return (entry.fetched_at, entry.answer.reference_date) > (than.fetched_at, than.answer.reference_date)


def _subject(key: CacheKey) -> tuple[str, str, str]:
    return (key.school_oin, key.supplier_oin, key.service_namespace)
