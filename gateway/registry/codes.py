"""ESIS verificatiecodes in the store: register, activate, revoke, rotate, list — and, from
`gateway.registry.code_lookup` (re-exported here), which stored code a presented one is (lookup, verify).

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
import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.errors import Refusal
from gateway.logging import get_logger
from gateway.mail.outbox import queue_mail
from gateway.registry.code_lookup import (
    CodeCache,
    CodeMatch,
    VerifiedSender,
    candidates,
    first_match,
    lookup,
    mark_used,
    verify,
)
from gateway.store.audit import audit
from gateway.store.db import Database
from gateway.store.models import School, Swv, Vestiging
from gateway.store.models.codes import CodeState, Verificatiecode
from gateway.store.types import utcnow
from verification.findings import Finding, fout
from verification.verificatiecode import (
    SCRYPT_DEFAULT,
    ScryptParams,
    check_format,
    fingerprint,
    hash_code,
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
        live = await candidates(s, brin6, (CodeState.ACTIEF.value, CodeState.AANGEMELD.value))
        pending = [r for r in live if r.brin6 == brin6 and r.state == CodeState.AANGEMELD.value]
        if pending and replaces_id is None:  # one code waiting for activation per vestiging
            raise _refuse(
                "VERIFICATIECODE_AL_AANGEMELD",
                f"Voor vestiging {brin6} wacht al een aangemelde code op activering (vingerafdruk "
                f"{pending[0].fingerprint}). Vraag het secretariaat die te activeren, of trek hem eerst in en meld "
                "dan een nieuwe aan.",
                "brin6",
            )
        if await first_match(code, live) is not None:
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
