"""Turning a handler's `HulpvraagDraft` into a stored hulpvraag — in one transaction with the outcome.

"Same request" rule (documented in docs/ARCHITECTURE.md): a later exchange adds its bijlagen to an existing
hulpvraag when that hulpvraag is still open and is for the same SWV, the same vestiging (BRIN6), the same
pupil (the LAS's leerlingid, or for ESIS the same ESIS request) and the same aanvraagtype. Files already in
the hulpvraag (same SHA-256) are not added twice. Otherwise a new hulpvraag is made with the first status and
the coördinator of the school's scholenkring.

The rule holds under concurrency (two workers, in two processes, storing two exchanges of one request at the
same moment): the outcome's transaction first takes the request's lock (`lock_request`), so the second
waits until the first has committed and then finds its hulpvraag and adds its bijlagen to it. On PostgreSQL
that is a transaction-scoped advisory lock on a hash of the request key (only exchanges of the same request
wait for each other; the lock goes with the commit or rollback); on SQLite every write transaction already
holds the database's write lock (``BEGIN IMMEDIATE``, across processes too), so the lookup and the insert
cannot interleave.

Runs as a synchronous unit of work (`store_draft_sync`, inside `Database.run` together with the outcome);
`store_draft` is the same for an `AsyncSession`. The SWV, the vestiging, the aanvraagtype catalogue and the
coördinator of a gemeente's scholenkring are read through a short in-process cache (`CATALOGUE_TTL_SECONDS`):
only found rows are cached, so a vestiging registered a moment ago is seen at once; a change to an existing
one is seen within the TTL. A new hulpvraag, its first statushistorie and its audit entry are written with
prebuilt Core INSERTs (no ORM objects), the bijlagen with one executemany.
"""

from __future__ import annotations

import hashlib
import time
import weakref
from typing import Any

from sqlalchemy import bindparam, insert, select, text, update
from sqlmodel import Session, col
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.errors import Hold, Refusal
from gateway.pipeline.contracts import ClaimedExchange, HulpvraagDraft, Outcome
from gateway.store.audit import audit_now
from gateway.store.models import (
    Aanvraagtype,
    Bijlage,
    Gemeente,
    Hulpvraag,
    Scholenkring,
    StatusHistorie,
    Swv,
    Vestiging,
)
from gateway.store.types import utcnow
from verification.aanvraagtype import AanvraagtypeRegel, check_aanvraag, find_aanvraagtype
from verification.findings import Finding, fout

__all__ = [
    "CATALOGUE_TTL_SECONDS",
    "STATUS_TE_CLASSIFICEREN",
    "clear_catalogue_cache",
    "lock_request",
    "request_key",
    "store_draft",
    "store_draft_sync",
]

STATUS_TE_CLASSIFICEREN = "Nieuw>te classificeren"
STATUS_NIEUW = "Nieuw"
_BIJ = Bijlage.__table__  # type: ignore[attr-defined]
_HV = Hulpvraag.__table__  # type: ignore[attr-defined]
_SH = StatusHistorie.__table__  # type: ignore[attr-defined]
# Hot-path statements, built once: executed with a dict of values, so SQLAlchemy's compiled cache is hit with a
# memoised cache key instead of building and hashing a new statement for every exchange.
_INSERT_HV = insert(_HV).returning(_HV.c.id)
_INSERT_SH = insert(_SH)
_INSERT_BIJ = insert(_BIJ)
_CANDIDATES = select(
    _HV.c.id, _HV.c.swv_id, _HV.c.brin6, _HV.c.source_system, _HV.c.open, _HV.c.aanvraagtype
).where(_HV.c.leerlingid == bindparam("leerlingid"))  # fmt: skip
_STORED_BIJLAGEN = select(_BIJ.c.id, _BIJ.c.sha256, _BIJ.c.role, _BIJ.c.removed).where(
    _BIJ.c.hulpvraag_id == bindparam("hulpvraag_id")
)

_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:k)")


CATALOGUE_TTL_SECONDS = 5.0

_Key = tuple[str, ...]
# per database (engine): key -> (expires, value); weak, so a disposed test database leaves no trace
_cache: weakref.WeakKeyDictionary[Any, dict[_Key, tuple[float, Any]]] = weakref.WeakKeyDictionary()


def clear_catalogue_cache() -> None:
    """Forget every cached SWV, vestiging and catalogue (tests; after editing the registry in bulk)."""
    _cache.clear()


def _engine_of(session: Session) -> Any:
    bind = session.get_bind()
    return getattr(bind, "engine", bind)


def _cached(session: Session, key: _Key, load: Any) -> Any:
    per_db = _cache.setdefault(_engine_of(session), {})
    hit = per_db.get(key)
    now = time.monotonic()
    if hit is not None and hit[0] > now:
        return hit[1]
    value = load()
    if value is not None:
        per_db[key] = (now + CATALOGUE_TTL_SECONDS, value)
    return value


def _swv(session: Session, code: str) -> tuple[int, str] | None:
    def load() -> tuple[int, str] | None:
        row = session.connection().execute(select(col(Swv.id), col(Swv.naam)).where(col(Swv.code) == code)).first()
        return (int(row[0]), str(row[1])) if row is not None else None  # type: ignore[arg-type]  # debt (issue 17): Optional not narrowed

    return _cached(session, ("swv", code), load)  # type: ignore[no-any-return]


def _vestiging(session: Session, swv_id: int, brin6: str) -> tuple[int, str] | None:
    def load() -> tuple[int, str] | None:
        row = (
            session.connection()
            .execute(
                select(col(Vestiging.id), col(Vestiging.gemeente)).where(
                    col(Vestiging.swv_id) == swv_id, col(Vestiging.brin6) == brin6
                )
            )
            .first()
        )
        return (int(row[0]), str(row[1])) if row is not None else None  # type: ignore[arg-type]  # debt (issue 17): Optional not narrowed

    return _cached(session, ("vestiging", str(swv_id), brin6), load)  # type: ignore[no-any-return]


def _catalogue(session: Session, swv_id: int) -> list[AanvraagtypeRegel]:
    def load() -> list[AanvraagtypeRegel] | None:
        rows = session.execute(select(Aanvraagtype).where(col(Aanvraagtype.swv_id) == swv_id)).scalars().all()
        return [AanvraagtypeRegel(r.naam, r.via_las, r.verplichte_bijlage, r.eerste_status) for r in rows] or None

    return list(_cached(session, ("catalogue", str(swv_id)), load) or [])


def _coordinator(session: Session, swv_id: int, gemeente: str) -> str | None:
    def load() -> str | None:
        stmt = (
            select(col(Scholenkring.coordinator))
            .join(Gemeente, col(Gemeente.scholenkring_id) == col(Scholenkring.id))
            .where(Gemeente.swv_id == swv_id, Gemeente.naam == gemeente)  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
        )
        return session.connection().execute(stmt).scalars().first()

    return _cached(session, ("coordinator", str(swv_id), gemeente), load)  # type: ignore[no-any-return]


def request_key(swv_id: int, draft: HulpvraagDraft) -> str | None:
    """What makes two exchanges "the same request" (see the module), as one string; None when the rule cannot
    apply (no ESIS request key and no pupil key)."""
    esis_key = draft.external_keys.get("esis_request_key")
    if esis_key:
        return f"esis\x1f{esis_key}"
    if not draft.pupil.leerlingid:
        return None
    parts = (str(swv_id), draft.brin6, draft.source_system, draft.pupil.leerlingid, draft.aanvraagtype or "")
    return "pupil\x1f" + "\x1f".join(parts)


def lock_request(session: Session, swv_id: int, draft: HulpvraagDraft) -> None:
    """Hold the request's lock until this transaction ends, so the "same request" lookup and the insert of a
    new hulpvraag are one step for every worker of every process (see the module)."""
    key = request_key(swv_id, draft)
    conn = session.connection()
    if key is None or conn.dialect.name != "postgresql":
        return  # SQLite: the transaction holds the database's write lock already
    lock_id = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
    conn.execute(_ADVISORY_LOCK, {"k": lock_id})


def _existing(session: Session, swv_id: int, draft: HulpvraagDraft) -> Hulpvraag | None:
    esis_key = draft.external_keys.get("esis_request_key")
    if esis_key:
        return session.execute(select(Hulpvraag).where(col(Hulpvraag.esis_request_key) == esis_key)).scalars().first()
    if not draft.pupil.leerlingid:
        return None
    # Only the pupil's key goes to the database: it is the selective one (a pupil has a few hulpvragen), and a
    # planner without statistics (SQLite) otherwise picks the index on `open` or `brin6` and reads every open
    # hulpvraag of the SWV — measured: 20 ms per exchange at 60,000 stored. The rest is compared here.
    candidates = session.connection().execute(_CANDIDATES, {"leerlingid": draft.pupil.leerlingid}).all()
    matching = [
        row.id
        for row in candidates
        if row.swv_id == swv_id
        and row.brin6 == draft.brin6
        and row.source_system == draft.source_system
        and row.open
        and row.aanvraagtype == draft.aanvraagtype
    ]
    return session.get(Hulpvraag, max(matching)) if matching else None


async def store_draft(
    session: AsyncSession, exchange: ClaimedExchange, draft: HulpvraagDraft, *, actor: str, released: bool = False
) -> Outcome:
    """`store_draft_sync` inside an `AsyncSession`'s transaction."""
    return await session.run_sync(lambda s: store_draft_sync(s, exchange, draft, actor=actor, released=released))  # type: ignore[arg-type]  # sqlmodel's Session vs SQLAlchemy's in run_sync (same object at run time)


def store_draft_sync(
    session: Session, exchange: ClaimedExchange, draft: HulpvraagDraft, *, actor: str, released: bool = False
) -> Outcome:
    """Create or update the hulpvraag for `draft`. Raises Refusal (the caller rolls back) on a rule breach.

    A bijlage with a blocking finding (corrupt ZIP, forbidden type, too large) holds the whole exchange for the
    secretariaat (`Hold`); once they release it (`released`), the request goes on without those bijlagen and
    their findings stay on the hulpvraag as warnings.
    """
    swv = _swv(session, draft.swv_code)
    if swv is None:
        raise Refusal([fout("SWV_ONBEKEND", f"Samenwerkingsverband {draft.swv_code} is hier niet bekend.", "swv")])
    swv_id, swv_naam = swv
    vestiging = _vestiging(session, swv_id, draft.brin6)
    if vestiging is None:
        raise Refusal(
            [
                fout(
                    "VESTIGING_NIET_GEREGISTREERD",
                    f"Vestiging {draft.brin6} is niet aangemeld bij {swv_naam}. Vraag het secretariaat de "
                    "vestiging te registreren.",
                    "vestiging",
                )
            ]
        )
    vestiging_id, gemeente = vestiging
    catalogue = _catalogue(session, swv_id)
    lock_request(session, swv_id, draft)
    existing = _existing(session, swv_id, draft)
    kept_roles: set[str] = set()
    known_sha: set[str] = set()
    withdrawn: dict[str, int] = {}  # sha256 -> bijlage id: sent before, then withdrawn; may be sent again
    if existing is not None:
        stored = session.connection().execute(_STORED_BIJLAGEN, {"hulpvraag_id": existing.id})
        for b_id, sha, role, removed in stored:
            if removed or sha in draft.remove_bijlagen:
                withdrawn[sha] = b_id
            else:
                kept_roles.add(role)
                known_sha.add(sha)
    bad = [f for b in draft.bijlagen for f in b.findings if f.blocking]
    if bad and not released:
        raise Hold(bad)
    new_bijlagen = [
        b
        for b in draft.bijlagen
        if b.blob_key and b.sha256 and b.sha256 not in known_sha and not any(f.blocking for f in b.findings)
    ]
    roles = kept_roles | {b.role for b in new_bijlagen}
    findings: list[Finding] = list(draft.findings)
    findings += check_aanvraag(draft.aanvraagtype, catalogue, bijlage_roles=roles, source_system=draft.source_system)
    blocking = [f for f in findings if f.blocking]
    if blocking:
        raise Refusal(blocking)

    now = utcnow()
    created = existing is None
    regel = find_aanvraagtype(draft.aanvraagtype, catalogue)
    conn = session.connection()
    if existing is None:
        # Core inserts: the same rows as the ORM objects would give (every column named, the model's defaults
        # written out), without building and flushing three ORM objects per exchange
        status = (regel.eerste_status or STATUS_NIEUW) if regel else STATUS_TE_CLASSIFICEREN
        hulpvraag_id = int(
            conn.execute(
                _INSERT_HV,
                {
                    "swv_id": swv_id,
                    "vestiging_id": vestiging_id,
                    "brin6": draft.brin6,
                    "leerlingid": draft.pupil.leerlingid,
                    "voornaam": draft.pupil.voornaam,
                    "tussenvoegsel": draft.pupil.tussenvoegsel,
                    "achternaam": draft.pupil.achternaam,
                    "geboortedatum": draft.pupil.geboortedatum,
                    "aanvraagtype": regel.naam if regel else None,
                    "omschrijving": draft.omschrijving,
                    "status": status,
                    "coordinator": _coordinator(session, swv_id, gemeente),
                    "source_system": draft.source_system,
                    "external_keys": dict(draft.external_keys),
                    "esis_request_key": draft.external_keys.get("esis_request_key"),
                    "labels": [],
                    "contact": dict(draft.contact),
                    "opp_expected": draft.opp_expected,
                    "findings": [f.to_dict() for f in findings if not f.blocking] + [f.to_dict() for f in bad],
                    "open": True,
                    "created_at": now,
                    "updated_at": now,
                    "last_reaction_at": None,
                },
            ).scalar_one()
        )
        conn.execute(
            _INSERT_SH,
            {
                "hulpvraag_id": hulpvraag_id,
                "status": status,
                "vorige_status": None,
                "door": "systeem",
                "toelichting": "Aanvraag ontvangen",
                "at": now,
            },
        )
        audit_now(
            session,
            actor=actor,
            action="hulpvraag_aangemaakt",
            object_type="hulpvraag",
            object_id=hulpvraag_id,
            swv_code=draft.swv_code,
            exchange_id=exchange.id,
            bijlagen=len(new_bijlagen),
        )
    else:
        hv = existing
        changes: dict[str, object] = {}
        if draft.omschrijving is not None and draft.omschrijving != hv.omschrijving:
            changes["omschrijving"] = True
            hv.omschrijving = draft.omschrijving
        hv.external_keys = {
            **hv.external_keys,
            **{k: v for k, v in draft.external_keys.items() if k not in hv.external_keys},
        }
        new_findings = [f.to_dict() for f in findings if not f.blocking]
        if any(f not in hv.findings for f in new_findings):  # keep each warning once; exchanges keep their own
            hv.findings = hv.findings + [f for f in new_findings if f not in hv.findings]
        hv.updated_at = now
        session.add(hv)
        assert hv.id is not None
        hulpvraag_id = hv.id
        audit_now(
            session,
            actor=actor,
            action="hulpvraag_bijgewerkt",
            object_type="hulpvraag",
            object_id=hv.id,
            swv_code=draft.swv_code,
            exchange_id=exchange.id,
            bijlagen_toegevoegd=len(new_bijlagen),
            bijlagen_ingetrokken=len(draft.remove_bijlagen),
            **changes,
        )
    if draft.remove_bijlagen and existing is not None:
        conn.execute(
            update(_BIJ)
            .where(_BIJ.c.hulpvraag_id == hulpvraag_id, _BIJ.c.sha256.in_(list(draft.remove_bijlagen)))
            .values(removed=True)
        )
    seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    for b in new_bijlagen:
        assert b.sha256 is not None and b.blob_key is not None
        if b.sha256 in seen:
            continue
        seen.add(b.sha256)
        again = withdrawn.get(b.sha256)
        if again is not None:  # the same file sent again after it was withdrawn: it counts again
            conn.execute(
                update(_BIJ)
                .where(_BIJ.c.id == again)
                .values(removed=False, bestandsnaam=b.bestandsnaam, role=b.role, exchange_id=exchange.id, added_at=now)
            )
            continue
        rows.append(
            {
                "hulpvraag_id": hulpvraag_id,
                "bestandsnaam": b.bestandsnaam,
                "omschrijving": b.omschrijving,
                "role": b.role,
                "detected_type": b.detected_type,
                "size": b.size,
                "sha256": b.sha256,
                "blob_key": b.blob_key,
                "findings": [f.to_dict() for f in b.findings],
                "exchange_id": exchange.id,
                "removed": False,
                "added_at": now,
            }
        )
    if rows:
        conn.execute(_INSERT_BIJ, rows)
    return Outcome(
        state="verwerkt",
        findings=tuple(f for f in findings if not f.blocking),
        hulpvraag_id=hulpvraag_id,
        created=created,
    )
