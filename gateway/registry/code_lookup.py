"""Which stored ESIS verificatiecode a presented one is, and the sender an active one authenticates.

The ESIS API's hot path (every request): only the stored codes with the presented code's BRIN6 prefix are
hashed (at most ``MAX_CANDIDATES``, at most ``MAX_PARALLEL_HASHES`` at once per process, in worker threads);
`CodeCache` remembers which code a presented one matched so a busy client costs no hash, and every hit is
re-checked against the database. The codes' lifecycle (register, activate, revoke, rotate, list) is
`gateway.registry.codes`, which uses `candidates` and `first_match` to refuse a code registered twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import os
import time
import weakref
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.store.db import Database
from gateway.store.models import Swv
from gateway.store.models.codes import CodeState, Verificatiecode
from gateway.store.prepared import Prepared
from gateway.store.types import utcnow
from verification.verificatiecode import brin6_prefix, verify_code

__all__ = [
    "MAX_CANDIDATES",
    "MAX_PARALLEL_HASHES",
    "CodeCache",
    "CodeMatch",
    "VerifiedSender",
    "candidates",
    "first_match",
    "lookup",
    "mark_used",
    "verify",
]

MAX_CANDIDATES = 25  # codes hashed per presented code (one prefix); bounds the work an attacker can cause
LAST_USED_EVERY = dt.timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class CodeMatch:
    """A presented code matched a stored one (in any state)."""

    code_id: int
    state: str
    swv_code: str
    brin6: str
    environment: str
    fingerprint: str
    last_used_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class VerifiedSender:
    """An ESIS sender authenticated by an active code."""

    code_id: int
    swv_code: str
    brin6: str
    environment: str
    fingerprint: str

    @property
    def actor(self) -> str:
        return f"esis:{self.brin6}"


class CodeCache:
    """Remembers, for a few minutes, which code id a presented code matched, so a busy ESIS client does
    not cost a scrypt hash per request. Keys are HMACs under a random per-process key (never the code);
    every hit is re-checked against the database, so a revocation takes effect at once."""

    def __init__(self, ttl_seconds: float = 300.0, max_entries: int = 10_000) -> None:
        self._key = os.urandom(32)
        self._ttl, self._max = ttl_seconds, max_entries
        self._entries: dict[bytes, tuple[int, float]] = {}
        self._flights: dict[bytes, list[Any]] = {}  # key -> [lock, waiters]

    def _k(self, code: str) -> bytes:
        return hmac.new(self._key, code.encode("utf-8", "surrogateescape"), hashlib.sha256).digest()

    @contextlib.asynccontextmanager
    async def single_flight(self, code: str) -> AsyncIterator[None]:
        """Concurrent first requests with the same code wait for one hash instead of each doing their own."""
        key = self._k(code)
        entry = self._flights.setdefault(key, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                self._flights.pop(key, None)

    def get(self, code: str) -> int | None:
        hit = self._entries.get(self._k(code))
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def put(self, code: str, code_id: int) -> None:
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[self._k(code)] = (code_id, time.monotonic() + self._ttl)


async def candidates(session: AsyncSession, prefix: str, states: Sequence[str]) -> list[Verificatiecode]:
    rows = (
        await session.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            select(Verificatiecode)
            .where(col(Verificatiecode.brin6) == prefix, col(Verificatiecode.state).in_(list(states)))
            .order_by(col(Verificatiecode.id).desc())
            .limit(MAX_CANDIDATES)
        )
    ).scalars()
    order = {s: i for i, s in enumerate(states)}
    return sorted(rows, key=lambda r: order[r.state])


# Each scrypt check takes 32 MiB for ~0.07 s. At most this many run at once per process, so a burst of first
# requests (an ESIS environment resending its backlog after a restart) stays within the memory bound.
MAX_PARALLEL_HASHES = 2
_HASH_SLOTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def _hash_slots() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    slots = _HASH_SLOTS.get(loop)
    if slots is None:
        slots = _HASH_SLOTS[loop] = asyncio.Semaphore(MAX_PARALLEL_HASHES)
    return slots


async def first_match(code: str, rows: Sequence[Verificatiecode]) -> Verificatiecode | None:
    for row in rows:
        async with _hash_slots():
            matched = await asyncio.to_thread(verify_code, code, row.code_hash)
        if matched:
            return row
    return None


_MATCH = Prepared(
    select(
        col(Verificatiecode.id),
        col(Verificatiecode.state),
        col(Swv.code),
        col(Verificatiecode.brin6),
        col(Verificatiecode.environment),
        col(Verificatiecode.fingerprint),
        col(Verificatiecode.last_used_at),
    )
    .outerjoin(Swv, col(Swv.id) == col(Verificatiecode.swv_id))
    .where(col(Verificatiecode.id) == bindparam("b_id"))
)


async def _match_by_id(db: Database, code_id: int, prefix: str) -> CodeMatch | None:
    """The stored code ``code_id`` as it is now (one statement: the code and its SWV), if it has this
    BRIN6 prefix."""
    row = (await db.look_up(_MATCH, {"b_id": code_id})).first()
    if row is None:
        return None
    found_id, state, swv_code, brin6, environment, fingerprint, last_used_at = row
    if brin6 != prefix:
        return None
    return CodeMatch(
        code_id=found_id,
        state=state,
        swv_code=swv_code if swv_code is not None else "?",
        brin6=brin6,
        environment=environment,
        fingerprint=fingerprint,
        last_used_at=last_used_at,
    )


async def _cached_match(db: Database, cache: CodeCache | None, code: str, prefix: str) -> CodeMatch | None:
    """A cache hit, re-checked against the database (a revoked code is seen at once)."""
    cached = cache.get(code) if cache is not None else None
    if cached is None:
        return None
    return await _match_by_id(db, cached, prefix)


async def lookup(db: Database, code: str, *, cache: CodeCache | None = None) -> CodeMatch | None:
    """Which stored code (in any state) a presented code is. Only codes with the same BRIN6 prefix are
    hashed; active ones first, so the usual case costs one hash (or none, on a cache hit: then one read)."""
    if not code or len(code) > 200:
        return None
    prefix = brin6_prefix(code)
    match = await _cached_match(db, cache, code, prefix)
    if match is not None:
        return match
    async with cache.single_flight(code) if cache is not None else contextlib.nullcontext():
        match = await _cached_match(db, cache, code, prefix)  # another request may have just hashed it
        if match is not None:
            return match
        states = (CodeState.ACTIEF.value, CodeState.AANGEMELD.value, CodeState.INGETROKKEN.value)
        async with db.reader() as s:
            rows = await candidates(s, prefix, states)
        row = await first_match(code, rows)
        if row is None or row.id is None:
            return None
        if cache is not None:
            cache.put(code, row.id)
        code_id = row.id
        return await _match_by_id(db, code_id, prefix)


async def verify(db: Database, code: str, *, cache: CodeCache | None = None) -> VerifiedSender | None:
    """The sender behind an *active* code, or None (unknown, not yet active, revoked)."""
    match = await lookup(db, code, cache=cache)
    if match is None or match.state != CodeState.ACTIEF.value:
        return None
    return await mark_used(db, match)


async def mark_used(db: Database, match: CodeMatch) -> VerifiedSender:
    """The sender behind an active match; notes that the code was used (at most once an hour, so that
    requests stay read-mostly)."""
    if match.state != CodeState.ACTIEF.value:
        raise ValueError("only an active code authenticates a sender")
    now = utcnow()
    if match.last_used_at is None or now - match.last_used_at > LAST_USED_EVERY:
        async with db.session() as s:
            row = await s.get(Verificatiecode, match.code_id)
            if row is not None:
                row.last_used_at = now
                s.add(row)
    return VerifiedSender(match.code_id, match.swv_code, match.brin6, match.environment, match.fingerprint)
