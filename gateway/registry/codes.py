"""ESIS verificatiecodes in the store: register, activate, revoke, rotate, list, verify.

Used by the ESIS API (register, verify), the CLI (`gateway codes ...`) and the web pages. Every change is
audited in the same transaction; activation queues a mail to the school in that transaction too.

Rules kept here:
- the format rules of `verification.verificatiecode` (against the vestigingen registered with the SWV);
- the same code cannot be registered twice while it is not revoked — so it can never be active twice;
- one active code per vestiging and ESIS environment: activating a code revokes the one it replaces;
- only a slow salted hash and a fingerprint are stored; the code is never logged, audited or shown.

Hashing (about 0.1 s of CPU) runs in a worker thread so the event loop keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import os
import re
import time
import weakref
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import Session, col
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.errors import Refusal
from gateway.logging import get_logger
from gateway.mail.outbox import queue_mail
from gateway.store.audit import audit
from gateway.store.db import Database
from gateway.store.models import School, Swv, Vestiging
from gateway.store.models.codes import CodeState, Verificatiecode
from gateway.store.types import utcnow
from verification.findings import Finding, fout
from verification.verificatiecode import (
    SCRYPT_DEFAULT,
    ScryptParams,
    brin6_prefix,
    check_format,
    fingerprint,
    hash_code,
    verify_code,
)

__all__ = [
    "CodeCache",
    "CodeMatch",
    "CodeView",
    "VerifiedSender",
    "activate",
    "get_code",
    "list_codes",
    "lookup",
    "mark_used",
    "register",
    "revoke",
    "rotate",
    "verify",
]

log = get_logger(__name__)

ENVIRONMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MAX_CANDIDATES = 25  # codes hashed per presented code (one prefix); bounds the work an attacker can cause
LAST_USED_EVERY = dt.timedelta(hours=1)
HASH_PARAMS: ScryptParams = SCRYPT_DEFAULT  # new codes are hashed with these (tests lower them for speed)


@dataclass(frozen=True, slots=True)
class CodeView:
    """What may be shown about a code: never the code itself."""

    id: int
    swv_code: str
    brin6: str
    vestiging_naam: str
    environment: str
    state: str
    fingerprint: str
    contact_email: str | None
    contact_naam: str | None
    registered_by: str
    registered_at: dt.datetime
    activated_by: str | None
    activated_at: dt.datetime | None
    revoked_by: str | None
    revoked_at: dt.datetime | None
    revoke_reason: str | None
    replaces_id: int | None
    last_used_at: dt.datetime | None


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


# ------------------------------------------------------------------------------------------------ helpers


def _refuse(code: str, message: str, location: str | None = None) -> Refusal:
    return Refusal([fout(code, message, location)])


async def _view(session: AsyncSession, row: Verificatiecode) -> CodeView:
    ves = await session.get(Vestiging, row.vestiging_id)
    swv = await session.get(Swv, row.swv_id)
    assert row.id is not None and ves is not None and swv is not None
    return CodeView(
        id=row.id,
        swv_code=swv.code,
        brin6=row.brin6,
        vestiging_naam=ves.naam,
        environment=row.environment,
        state=row.state,
        fingerprint=row.fingerprint,
        contact_email=row.contact_email,
        contact_naam=row.contact_naam,
        registered_by=row.registered_by,
        registered_at=row.registered_at,
        activated_by=row.activated_by,
        activated_at=row.activated_at,
        revoked_by=row.revoked_by,
        revoked_at=row.revoked_at,
        revoke_reason=row.revoke_reason,
        replaces_id=row.replaces_id,
        last_used_at=row.last_used_at,
    )


async def _candidates(session: AsyncSession, prefix: str, states: Sequence[str]) -> list[Verificatiecode]:
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


async def _first_match(code: str, rows: Sequence[Verificatiecode]) -> Verificatiecode | None:
    for row in rows:
        async with _hash_slots():
            matched = await asyncio.to_thread(verify_code, code, row.code_hash)
        if matched:
            return row
    return None


async def _load(session: AsyncSession, code_id: int) -> Verificatiecode:
    row = await session.get(Verificatiecode, code_id)
    if row is None:
        raise _refuse("VERIFICATIECODE_NIET_GEVONDEN", f"Er is geen verificatiecode met nummer {code_id}.", "id")
    return row


async def _swv_code(session: AsyncSession, swv_id: int) -> str:
    swv = await session.get(Swv, swv_id)
    return swv.code if swv else "?"


# ------------------------------------------------------------------------------------------------ register


async def _vestiging(session: AsyncSession, brin6: str, swv_code: str | None) -> tuple[Vestiging, Swv, set[str]]:
    stmt = (
        select(Vestiging, Swv)
        .join(Swv, col(Swv.id) == col(Vestiging.swv_id))
        .where(col(Vestiging.brin6) == brin6.upper())
    )
    if swv_code:
        stmt = stmt.where(col(Swv.code) == swv_code)
    found = (await session.exec(stmt)).all()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    if len(found) != 1:
        raise _refuse(
            "VESTIGING_NIET_GEREGISTREERD",
            f"Vestiging {brin6.upper()} is niet aangemeld bij het samenwerkingsverband. Neem contact op met het "
            "secretariaat om de vestiging te laten registreren.",
            "brin6",
        )
    ves, swv = found[0]
    active = select(col(Vestiging.brin6)).where(col(Vestiging.swv_id) == swv.id, col(Vestiging.actief) == True)  # noqa: E712
    registered = set((await session.exec(active)).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    return ves, swv, registered


def _check_environment(environment: str) -> list[Finding]:
    if ENVIRONMENT.fullmatch(environment):
        return []
    return [
        fout(
            "ESIS_OMGEVING_ONGELDIG",
            "De naam van de ESIS-omgeving is ongeldig: gebruik 1 tot 64 letters, cijfers, punten, liggende "
            "streepjes of koppeltekens (bijvoorbeeld 'esis-productie').",
            "omgeving",
        )
    ]


async def register(
    db: Database,
    brin6: str,
    environment: str,
    code: str,
    actor: str,
    *,
    contact_email: str | None = None,
    contact_naam: str | None = None,
    swv_code: str | None = None,
    params: ScryptParams | None = None,
    replaces_id: int | None = None,
) -> CodeView:
    """Register a code for a vestiging and an ESIS environment (state aangemeld). Raises Refusal."""
    brin6 = brin6.strip().upper()
    environment = environment.strip()
    findings = _check_environment(environment)
    if contact_email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", contact_email):
        findings.append(
            fout("CONTACT_EMAIL_ONGELDIG", "Het e-mailadres voor de bevestiging is ongeldig.", "contact_email")
        )
    async with db.reader() as s:
        ves, swv, registered = await _vestiging(s, brin6, swv_code)
    findings += check_format(code, registered_brin6=registered, vestiging=brin6)
    if findings:
        raise Refusal(findings)
    encoded = await asyncio.to_thread(hash_code, code, params=params or HASH_PARAMS)
    async with db.session() as s:
        live = await _candidates(s, brin6, (CodeState.ACTIEF.value, CodeState.AANGEMELD.value))
        pending = [r for r in live if r.brin6 == brin6 and r.state == CodeState.AANGEMELD.value]
        if pending and replaces_id is None:  # one code waiting for activation per vestiging
            raise _refuse(
                "VERIFICATIECODE_AL_AANGEMELD",
                f"Voor vestiging {brin6} wacht al een aangemelde code op activering (vingerafdruk "
                f"{pending[0].fingerprint}). Vraag het secretariaat die te activeren, of trek hem eerst in en meld "
                "dan een nieuwe aan.",
                "brin6",
            )
        if await _first_match(code, live) is not None:
            raise _refuse(
                "VERIFICATIECODE_AL_IN_GEBRUIK",
                "Deze verificatiecode is al aangemeld voor deze vestiging. Bedenk een nieuwe code, of vraag het "
                "secretariaat de bestaande code te activeren.",
                "verificatiecode",
            )
        assert ves.id is not None and swv.id is not None
        row = Verificatiecode(
            swv_id=swv.id,
            vestiging_id=ves.id,
            brin6=brin6,
            environment=environment,
            state=CodeState.AANGEMELD.value,
            code_hash=encoded,
            fingerprint=fingerprint(brin6, encoded),
            contact_email=contact_email,
            contact_naam=contact_naam,
            replaces_id=replaces_id,
            registered_by=actor,
        )
        s.add(row)
        await s.flush()
        audit(
            s,
            actor=actor,
            action="verificatiecode_aangemeld",
            object_type="verificatiecode",
            object_id=row.id,
            swv_code=swv.code,
            brin6=brin6,
            omgeving=environment,
            vingerafdruk=row.fingerprint,
        )
        view = await _view(s, row)
    log.info("verificatiecode_aangemeld", code_id=view.id, brin6=brin6, omgeving=environment)
    return view


# ------------------------------------------------------------------------------------------------ lifecycle


def _activation_mail(view: CodeView) -> tuple[str, str]:
    subject = f"Koppeling ESIS-Kindkans geactiveerd voor vestiging {view.brin6}"
    body = (
        f"Beste {view.contact_naam or 'beheerder'},\n\n"
        f"De verificatiecode voor vestiging {view.brin6} ({view.vestiging_naam}), ESIS-omgeving "
        f"'{view.environment}', is door het samenwerkingsverband geactiveerd. De koppeling tussen ESIS en "
        "Kindkans is daarmee actief: de intern begeleider kan vanuit ESIS een ondersteuningsvraag versturen.\n\n"
        f"Kenmerk van de code (vingerafdruk): {view.fingerprint}\n"
        "De code zelf staat om veiligheidsredenen niet in deze mail.\n\n"
        "Heeft u deze code niet aangemeld? Neem dan direct contact op met het secretariaat.\n\n"
        f"Met vriendelijke groet,\nHet secretariaat van {view.swv_code}\n"
    )
    return subject, body


async def _revoke_row(s: AsyncSession, row: Verificatiecode, actor: str, reason: str | None) -> None:
    now = utcnow()
    row.state, row.revoked_by, row.revoked_at, row.revoke_reason = CodeState.INGETROKKEN.value, actor, now, reason
    s.add(row)
    audit(
        s,
        actor=actor,
        action="verificatiecode_ingetrokken",
        object_type="verificatiecode",
        object_id=row.id,
        swv_code=await _swv_code(s, row.swv_id),
        brin6=row.brin6,
        omgeving=row.environment,
        vingerafdruk=row.fingerprint,
        reden=reason,
    )


async def _activate_in(s: AsyncSession, row: Verificatiecode, actor: str) -> CodeView:
    if row.state == CodeState.INGETROKKEN.value:
        raise _refuse(
            "VERIFICATIECODE_INGETROKKEN",
            f"Verificatiecode {row.fingerprint} is ingetrokken en kan niet opnieuw worden geactiveerd. Laat de "
            "school een nieuwe code aanmelden.",
            "id",
        )
    if row.state == CodeState.ACTIEF.value:
        return await _view(s, row)
    others = (
        await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            select(Verificatiecode).where(
                col(Verificatiecode.vestiging_id) == row.vestiging_id,
                col(Verificatiecode.environment) == row.environment,
                col(Verificatiecode.state) == CodeState.ACTIEF.value,
                col(Verificatiecode.id) != row.id,
            )
        )
    ).scalars()
    for old in list(others):
        await _revoke_row(s, old, actor, f"vervangen door {row.fingerprint}")
    row.state, row.activated_by, row.activated_at = CodeState.ACTIEF.value, actor, utcnow()
    s.add(row)
    view = await _view(s, row)
    audit(
        s,
        actor=actor,
        action="verificatiecode_geactiveerd",
        object_type="verificatiecode",
        object_id=row.id,
        swv_code=view.swv_code,
        brin6=row.brin6,
        omgeving=row.environment,
        vingerafdruk=row.fingerprint,
        mail=bool(row.contact_email),
    )
    if row.contact_email:
        subject, body = _activation_mail(view)
        queue_mail(s, row.contact_email, subject, body)
    return view


async def activate(db: Database, code_id: int, actor: str) -> CodeView:
    """aangemeld → actief; mails the school (when an address is known). Activating an active code is a no-op."""
    async with db.session() as s:
        view = await _activate_in(s, await _load(s, code_id), actor)
    log.info("verificatiecode_geactiveerd", code_id=code_id, brin6=view.brin6)
    return view


async def revoke(db: Database, code_id: int, actor: str, reason: str | None = None) -> CodeView:
    """→ ingetrokken. Revoking a revoked code is a no-op."""
    async with db.session() as s:
        row = await _load(s, code_id)
        if row.state != CodeState.INGETROKKEN.value:
            await _revoke_row(s, row, actor, reason)
        view = await _view(s, row)
    log.info("verificatiecode_ingetrokken", code_id=code_id, brin6=view.brin6)
    return view


async def rotate(
    db: Database, code_id: int, new_code: str, actor: str, *, params: ScryptParams | None = None
) -> CodeView:
    """Replace a code by a new one for the same vestiging and environment, active at once; the old one is
    revoked in the same transaction (no moment without a working code)."""
    async with db.reader() as s:
        old = await _load(s, code_id)
        swv_code = await _swv_code(s, old.swv_id)
    if old.state == CodeState.INGETROKKEN.value:
        raise _refuse(
            "VERIFICATIECODE_INGETROKKEN",
            f"Verificatiecode {old.fingerprint} is al ingetrokken; meld een nieuwe code aan in plaats van te roteren.",
            "id",
        )
    new = await register(
        db,
        old.brin6,
        old.environment,
        new_code,
        actor,
        contact_email=old.contact_email,
        contact_naam=old.contact_naam,
        swv_code=swv_code,
        params=params,
        replaces_id=code_id,
    )
    async with db.session() as s:
        prev = await _load(s, code_id)
        if prev.state != CodeState.INGETROKKEN.value:
            await _revoke_row(s, prev, actor, "geroteerd")
        view = await _activate_in(s, await _load(s, new.id), actor)
    log.info("verificatiecode_geroteerd", code_id=view.id, vorige=code_id, brin6=view.brin6)
    return view


# ------------------------------------------------------------------------------------------------ reading


async def get_code(db: Database, code_id: int) -> CodeView:
    async with db.reader() as s:
        return await _view(s, await _load(s, code_id))


async def list_codes(
    db: Database, swv_code: str, brin4: str | None = None, *, state: str | None = None
) -> list[CodeView]:
    async with db.reader() as s:
        stmt = (
            select(Verificatiecode)
            .join(Swv, col(Swv.id) == col(Verificatiecode.swv_id))
            .where(col(Swv.code) == swv_code)
            .order_by(col(Verificatiecode.brin6), col(Verificatiecode.environment), col(Verificatiecode.id))
        )
        if brin4:
            stmt = stmt.join(Vestiging, col(Vestiging.id) == col(Verificatiecode.vestiging_id)).join(
                School,
                col(School.id) == col(Vestiging.school_id),
            )
            stmt = stmt.where(col(School.brin4) == brin4.upper())
        if state:
            stmt = stmt.where(col(Verificatiecode.state) == state)
        rows = list((await s.exec(stmt)).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        return [await _view(s, r) for r in rows]


_MATCH = (
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


def _match_by_id(session: Session, code_id: int, prefix: str) -> CodeMatch | None:
    """The stored code ``code_id`` as it is now (one statement: the code and its SWV), if it has this
    BRIN6 prefix."""
    row = session.connection().execute(_MATCH, {"b_id": code_id}).first()
    if row is None or row.brin6 != prefix:
        return None
    return CodeMatch(
        code_id=row.id,
        state=row.state,
        swv_code=row.code if row.code is not None else "?",
        brin6=row.brin6,
        environment=row.environment,
        fingerprint=row.fingerprint,
        last_used_at=row.last_used_at,
    )


async def _cached_match(db: Database, cache: CodeCache | None, code: str, prefix: str) -> CodeMatch | None:
    """A cache hit, re-checked against the database (a revoked code is seen at once)."""
    cached = cache.get(code) if cache is not None else None
    if cached is None:
        return None
    return await db.read(lambda s: _match_by_id(s, cached, prefix))


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
            candidates = await _candidates(s, prefix, states)
        row = await _first_match(code, candidates)
        if row is None or row.id is None:
            return None
        if cache is not None:
            cache.put(code, row.id)
        code_id = row.id
        return await db.read(lambda s: _match_by_id(s, code_id, prefix))


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
