"""Turning a handler's `HulpvraagDraft` into a stored hulpvraag — in one transaction with the outcome.

"Same request" rule (documented in docs/ARCHITECTURE.md): a later exchange adds its bijlagen to an existing
hulpvraag when that hulpvraag is still open and is for the same SWV, the same vestiging (BRIN6), the same
pupil (the LAS's leerlingid) and the same aanvraagtype — or, when the adapter gives its own key for the
request (`HulpvraagDraft.request_key`, e.g. ESIS's request id), the hulpvraag of the same source system with
that key. Files already in the hulpvraag (same SHA-256) are not added twice. Otherwise a new hulpvraag is
made with the first status and the coördinator of the school's scholenkring.

The rule holds under concurrency (two workers, in two processes, storing two exchanges of one request at the
same moment): the outcome's transaction first takes the request's lock (`lock_request`), so the second
waits until the first has committed and then finds its hulpvraag and adds its bijlagen to it. On PostgreSQL
that is a transaction-scoped advisory lock on a hash of the request key (only exchanges of the same request
wait for each other; the lock goes with the commit or rollback); on SQLite every write transaction already
holds the database's write lock (``BEGIN IMMEDIATE``, across processes too), so the lookup and the insert
cannot interleave.

An update of a stored request (a draft with ``amend``, e.g. ESIS's wijziging) is decided in the same
transaction: after the request's lock, the stored request is read and ``amend`` turns it into the draft to
store (`gateway.pipeline.ports.requests`).

Runs as a synchronous unit of work (`store_draft_sync`, inside `Database.run` together with the outcome);
`store_draft` is the same for an `AsyncSession`. The SWV, the vestiging, the aanvraagtype catalogue and the
coördinator are read through `gateway.pipeline.ports.catalogue` (a short in-process cache). A new hulpvraag,
its first statushistorie and its audit entry are written with prebuilt Core INSERTs (no ORM objects), the
bijlagen with one executemany.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.errors import Hold, Refusal
from gateway.pipeline.contracts import BijlageDraft, ClaimedExchange, HulpvraagDraft, Outcome
from gateway.pipeline.ports.catalogue import (
    CATALOGUE_TTL_SECONDS,
    aanvraagtype_catalogue,
    clear_catalogue_cache,
    coordinator_of,
    swv_by_code,
    vestiging_of,
)
from gateway.pipeline.ports.requests import RequestReads, find_request
from gateway.store.audit import audit_now
from gateway.store.models import Bijlage, Hulpvraag, StatusHistorie
from gateway.store.prepared import Prepared
from gateway.store.types import utcnow
from verification.aanvraagtype import AanvraagtypeRegel, check_aanvraag, find_aanvraagtype
from verification.attachments import check_same_content
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
_BIJ = Bijlage.__table__  # type: ignore[attr-defined]  # SQLModel declares no __table__ on the class
_HV = Hulpvraag.__table__  # type: ignore[attr-defined]  # SQLModel declares no __table__ on the class
_SH = StatusHistorie.__table__  # type: ignore[attr-defined]  # SQLModel declares no __table__ on the class
# Hot-path statements, built once and executed with a dict of values: on SQLite compiled once and run on the
# DBAPI cursor, elsewhere through SQLAlchemy's compiled cache (gateway.store.prepared).
_INSERT_HV = Prepared(insert(_HV).returning(_HV.c.id))
_INSERT_SH = Prepared(insert(_SH))
_INSERT_BIJ = Prepared(insert(_BIJ))
_CANDIDATES = Prepared(select(
    _HV.c.id, _HV.c.swv_id, _HV.c.brin6, _HV.c.source_system, _HV.c.open, _HV.c.aanvraagtype
).where(_HV.c.leerlingid == bindparam("leerlingid")))  # fmt: skip
# the "same request" by the adapter's own key (unique per source system): the id alone; the ORM object is loaded
# only when there is one (a new request, the common case, builds and loads no ORM query)
_BY_REQUEST_KEY = Prepared(
    select(_HV.c.id).where(
        _HV.c.source_system == bindparam("source_system"), _HV.c.request_key == bindparam("request_key")
    )
)
_STORED_BIJLAGEN = select(_BIJ.c.id, _BIJ.c.sha256, _BIJ.c.role, _BIJ.c.removed).where(
    _BIJ.c.hulpvraag_id == bindparam("hulpvraag_id")
)

_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:k)")


def request_key(swv_id: int, draft: HulpvraagDraft) -> str | None:
    """What makes two exchanges "the same request" (see the module), as one string; None when the rule cannot
    apply (no request key of the adapter and no pupil key)."""
    if draft.request_key:
        return "key\x1f" + "\x1f".join((draft.source_system, draft.request_key))
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
    if draft.request_key:
        params = {"source_system": draft.source_system, "request_key": draft.request_key}
        row = _BY_REQUEST_KEY.execute(session.connection(), params).first()
        return None if row is None else session.get(Hulpvraag, row[0])
    if not draft.pupil.leerlingid:
        return None
    # Only the pupil's key goes to the database: it is the selective one (a pupil has a few hulpvragen), and a
    # planner without statistics (SQLite) otherwise picks the index on `open` or `brin6` and reads every open
    # hulpvraag of the SWV — measured: 20 ms per exchange at 60,000 stored. The rest is compared here.
    candidates = _CANDIDATES.execute(session.connection(), {"leerlingid": draft.pupil.leerlingid}).rows
    matching = [
        found_id
        for found_id, found_swv, brin6, source_system, is_open, aanvraagtype in candidates
        if found_swv == swv_id
        and brin6 == draft.brin6
        and source_system == draft.source_system
        and is_open
        and aanvraagtype == draft.aanvraagtype
    ]
    return session.get(Hulpvraag, max(matching)) if matching else None


async def store_draft(
    session: AsyncSession, exchange: ClaimedExchange, draft: HulpvraagDraft, *, actor: str, released: bool = False
) -> Outcome:
    """`store_draft_sync` inside an `AsyncSession`'s transaction."""
    return await session.run_sync(store_draft_sync, exchange, draft, actor=actor, released=released)


# -- the steps of storing a draft ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Place:
    """Where the draft goes: the SWV, the vestiging and the SWV's aanvraagtype catalogue."""

    swv_id: int
    vestiging_id: int
    gemeente: str
    catalogue: list[AanvraagtypeRegel]


@dataclass(slots=True)
class _Prior:
    """What the existing hulpvraag already holds."""

    kept_roles: set[str] = field(default_factory=set)
    known_sha: set[str] = field(default_factory=set)
    withdrawn: dict[str, int] = field(default_factory=dict)  # sha256 -> bijlage id: withdrawn, may come again


def _amended(session: Session, draft: HulpvraagDraft) -> HulpvraagDraft:
    """An update of a stored request, decided against the request as stored now (under the request's lock)."""
    assert draft.amend is not None and draft.request_key is not None
    lock_request(session, 0, draft)
    stored = find_request(session, draft.source_system, draft.request_key)
    decided = draft.amend(stored, RequestReads(session))
    return dataclasses.replace(decided, amend=None, request_key=decided.request_key or draft.request_key)


def _place(session: Session, draft: HulpvraagDraft) -> _Place:
    """The SWV and the registered vestiging of the draft, or a refusal naming the one that is missing."""
    swv = swv_by_code(session, draft.swv_code)
    if swv is None:
        raise Refusal([fout("SWV_ONBEKEND", f"Samenwerkingsverband {draft.swv_code} is hier niet bekend.", "swv")])
    swv_id, swv_naam = swv
    vestiging = vestiging_of(session, swv_id, draft.brin6)
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
    return _Place(swv_id, vestiging[0], vestiging[1], aanvraagtype_catalogue(session, swv_id))


def _prior(session: Session, existing: Hulpvraag | None, draft: HulpvraagDraft) -> _Prior:
    prior = _Prior()
    if existing is None:
        return prior
    stored = session.connection().execute(_STORED_BIJLAGEN, {"hulpvraag_id": existing.id})
    for b_id, sha, role, removed in stored:
        if removed or sha in draft.remove_bijlagen:
            prior.withdrawn[sha] = b_id
        else:
            prior.kept_roles.add(role)
            prior.known_sha.add(sha)
    return prior


def _new_bijlagen(draft: HulpvraagDraft, prior: _Prior) -> list[BijlageDraft]:
    """The draft's bijlagen that were stored safely and are not in the hulpvraag yet."""
    return [
        b
        for b in draft.bijlagen
        if b.blob_key and b.sha256 and b.sha256 not in prior.known_sha and not any(f.blocking for f in b.findings)
    ]


def _judged(draft: HulpvraagDraft, place: _Place, roles: set[str]) -> list[Finding]:
    """The draft's findings and the aanvraagtype rules; a refusal when one of them blocks."""
    findings: list[Finding] = list(draft.findings)
    findings += check_aanvraag(
        draft.aanvraagtype, place.catalogue, bijlage_roles=roles, source_system=draft.source_system
    )
    blocking = [f for f in findings if f.blocking]
    if blocking:
        raise Refusal(blocking)
    return findings


def _create(
    session: Session,
    exchange: ClaimedExchange,
    draft: HulpvraagDraft,
    place: _Place,
    kept: list[dict[str, Any]],
    *,
    actor: str,
    bijlagen: int,
) -> int:
    """A new hulpvraag with its first statushistorie and audit entry. Core inserts: the same rows as the ORM
    objects would give (every column named, the model's defaults written out), without building and flushing
    three ORM objects per exchange."""
    now = utcnow()
    regel = find_aanvraagtype(draft.aanvraagtype, place.catalogue)
    status = (regel.eerste_status or STATUS_NIEUW) if regel else STATUS_TE_CLASSIFICEREN
    conn = session.connection()
    values = {
        "swv_id": place.swv_id,
        "vestiging_id": place.vestiging_id,
        "brin6": draft.brin6,
        "leerlingid": draft.pupil.leerlingid,
        "voornaam": draft.pupil.voornaam,
        "tussenvoegsel": draft.pupil.tussenvoegsel,
        "achternaam": draft.pupil.achternaam,
        "geboortedatum": draft.pupil.geboortedatum,
        "aanvraagtype": regel.naam if regel else None,
        "omschrijving": draft.omschrijving,
        "status": status,
        "coordinator": coordinator_of(session, place.swv_id, place.gemeente),
        "source_system": draft.source_system,
        "external_keys": dict(draft.external_keys),
        "request_key": draft.request_key,
        "labels": [],
        "contact": dict(draft.contact),
        "opp_expected": draft.opp_expected,
        "findings": kept,
        "open": True,
        "created_at": now,
        "updated_at": now,
        "last_reaction_at": None,
    }
    hulpvraag_id = int(_INSERT_HV.execute(conn, values).scalar_one())
    _INSERT_SH.execute(
        conn,
        {"hulpvraag_id": hulpvraag_id, "status": status, "vorige_status": None, "door": "systeem",
         "toelichting": "Aanvraag ontvangen", "at": now},
    )  # fmt: skip
    audit_now(
        session,  # type: ignore[arg-type]  # audit_now is typed for sqlmodel's Session; any Session works
        actor=actor,
        action="hulpvraag_aangemaakt",
        object_type="hulpvraag",
        object_id=hulpvraag_id,
        swv_code=draft.swv_code,
        exchange_id=exchange.id,
        bijlagen=bijlagen,
    )
    return hulpvraag_id


def _update(
    session: Session,
    exchange: ClaimedExchange,
    draft: HulpvraagDraft,
    hv: Hulpvraag,
    findings: list[Finding],
    *,
    actor: str,
    bijlagen: int,
) -> int:
    """The existing hulpvraag takes the draft's omschrijving, new keys and new warnings."""
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
    hv.updated_at = utcnow()
    session.add(hv)
    assert hv.id is not None
    audit_now(
        session,  # type: ignore[arg-type]  # audit_now is typed for sqlmodel's Session; any Session works
        actor=actor,
        action="hulpvraag_bijgewerkt",
        object_type="hulpvraag",
        object_id=hv.id,
        swv_code=draft.swv_code,
        exchange_id=exchange.id,
        bijlagen_toegevoegd=bijlagen,
        bijlagen_ingetrokken=len(draft.remove_bijlagen),
        **changes,
    )
    return hv.id


def _store_bijlagen(
    session: Session,
    exchange: ClaimedExchange,
    hulpvraag_id: int,
    draft: HulpvraagDraft,
    new_bijlagen: list[BijlageDraft],
    prior: _Prior,
    *,
    existing: bool,
) -> None:
    """Withdraw what the sender withdrew, count again what was withdrawn and is sent again, add the rest."""
    conn = session.connection()
    now = utcnow()
    if draft.remove_bijlagen and existing:
        conn.execute(
            update(_BIJ)
            .where(_BIJ.c.hulpvraag_id == hulpvraag_id, _BIJ.c.sha256.in_(list(draft.remove_bijlagen)))
            .values(removed=True)
        )
    # sha256 -> the new row of this exchange's first bijlage with those bytes (None: a withdrawn one counted again)
    seen: dict[str, dict[str, Any] | None] = {}
    rows: list[dict[str, Any]] = []
    for b in new_bijlagen:
        assert b.sha256 is not None and b.blob_key is not None
        if b.sha256 in seen:  # the same bytes under a second name: kept once, and the kept row says so
            kept = seen[b.sha256]
            if kept is not None:
                kept["findings"].append(check_same_content(b.bestandsnaam, kept["bestandsnaam"], None).to_dict())
            continue
        again = prior.withdrawn.get(b.sha256)
        if again is not None:  # the same file sent again after it was withdrawn: it counts again
            seen[b.sha256] = None
            conn.execute(
                update(_BIJ)
                .where(_BIJ.c.id == again)
                .values(removed=False, bestandsnaam=b.bestandsnaam, role=b.role, exchange_id=exchange.id, added_at=now)
            )
            continue
        seen[b.sha256] = row = (
            {"hulpvraag_id": hulpvraag_id, "bestandsnaam": b.bestandsnaam, "omschrijving": b.omschrijving,
             "role": b.role, "detected_type": b.detected_type, "size": b.size, "sha256": b.sha256,
             "blob_key": b.blob_key, "findings": [f.to_dict() for f in b.findings], "exchange_id": exchange.id,
             "removed": False, "added_at": now}
        )  # fmt: skip
        rows.append(row)
    _INSERT_BIJ.executemany(conn, rows)


def store_draft_sync(
    session: Session, exchange: ClaimedExchange, draft: HulpvraagDraft, *, actor: str, released: bool = False
) -> Outcome:
    """Create or update the hulpvraag for `draft`. Raises Refusal (the caller rolls back) on a rule breach.

    A bijlage with a blocking finding (corrupt ZIP, forbidden type, too large) holds the whole exchange for the
    secretariaat (`Hold`); once they release it (`released`), the request goes on without those bijlagen and
    their findings stay on the hulpvraag as warnings. A draft with ``amend`` is first decided against the
    stored request (see the module); a refusal or hold of it names the stored request's aanvraagtype.
    """
    if draft.amend is None:
        return _store(session, exchange, draft, actor=actor, released=released)
    amended = _amended(session, draft)
    try:
        return _store(session, exchange, amended, actor=actor, released=released)
    except (Refusal, Hold) as e:
        e.aanvraagtype = e.aanvraagtype or amended.aanvraagtype
        raise


def _store(
    session: Session, exchange: ClaimedExchange, draft: HulpvraagDraft, *, actor: str, released: bool
) -> Outcome:
    place = _place(session, draft)
    lock_request(session, place.swv_id, draft)
    existing = _existing(session, place.swv_id, draft)
    prior = _prior(session, existing, draft)
    bad = [f for b in draft.bijlagen for f in b.findings if f.blocking]
    if bad and not released:
        raise Hold(bad)
    new_bijlagen = _new_bijlagen(draft, prior)
    findings = _judged(draft, place, prior.kept_roles | {b.role for b in new_bijlagen})
    if existing is None:
        kept = [f.to_dict() for f in findings if not f.blocking] + [f.to_dict() for f in bad]
        hulpvraag_id = _create(session, exchange, draft, place, kept, actor=actor, bijlagen=len(new_bijlagen))
    else:
        hulpvraag_id = _update(session, exchange, draft, existing, findings, actor=actor, bijlagen=len(new_bijlagen))
    _store_bijlagen(session, exchange, hulpvraag_id, draft, new_bijlagen, prior, existing=existing is not None)
    return Outcome(
        state="verwerkt",
        findings=tuple(f for f in findings if not f.blocking),
        hulpvraag_id=hulpvraag_id,
        created=existing is None,
    )
