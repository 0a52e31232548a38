"""Turning a handler's `HulpvraagDraft` into a stored hulpvraag — in one transaction with the outcome.

"Same request" rule (documented in docs/ARCHITECTURE.md): a later exchange adds its bijlagen to an existing
hulpvraag when that hulpvraag is still open and is for the same SWV, the same vestiging (BRIN6), the same
pupil (the LAS's leerlingid, or for ESIS the same ESIS request) and the same aanvraagtype. Files already in
the hulpvraag (same SHA-256) are not added twice. Otherwise a new hulpvraag is made with the first status and
the coördinator of the school's scholenkring.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.errors import Hold, Refusal
from gateway.pipeline.contracts import ClaimedExchange, HulpvraagDraft, Outcome
from gateway.store.audit import audit
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

__all__ = ["STATUS_TE_CLASSIFICEREN", "store_draft"]

STATUS_TE_CLASSIFICEREN = "Nieuw>te classificeren"
STATUS_NIEUW = "Nieuw"


async def _one(session: AsyncSession, stmt: object) -> object | None:
    return (await session.exec(stmt)).scalars().first()  # type: ignore[call-overload]


async def _catalogue(session: AsyncSession, swv_id: int) -> list[AanvraagtypeRegel]:
    rows = (await session.exec(select(Aanvraagtype).where(Aanvraagtype.swv_id == swv_id))).scalars().all()  # type: ignore[call-overload]
    return [AanvraagtypeRegel(r.naam, r.via_las, r.verplichte_bijlage, r.eerste_status) for r in rows]


async def _coordinator(session: AsyncSession, swv_id: int, gemeente: str) -> str | None:
    stmt = (
        select(Scholenkring.coordinator)
        .join(Gemeente, Gemeente.scholenkring_id == Scholenkring.id)  # type: ignore[arg-type]
        .where(Gemeente.swv_id == swv_id, Gemeente.naam == gemeente)
    )
    return (await session.exec(stmt)).scalars().first()  # type: ignore[call-overload,no-any-return]


async def _existing(session: AsyncSession, swv_id: int, draft: HulpvraagDraft) -> Hulpvraag | None:
    esis_key = draft.external_keys.get("esis_request_key")
    if esis_key:
        stmt = select(Hulpvraag).where(Hulpvraag.esis_request_key == esis_key)
        return await _one(session, stmt)  # type: ignore[return-value]
    if not draft.pupil.leerlingid:
        return None
    stmt = (
        select(Hulpvraag)
        .where(
            Hulpvraag.swv_id == swv_id,
            Hulpvraag.brin6 == draft.brin6,
            Hulpvraag.leerlingid == draft.pupil.leerlingid,
            Hulpvraag.source_system == draft.source_system,
            Hulpvraag.open == True,  # noqa: E712
            Hulpvraag.aanvraagtype == draft.aanvraagtype
            if draft.aanvraagtype is not None
            else Hulpvraag.aanvraagtype.is_(None),  # type: ignore[union-attr]
        )
        .order_by(Hulpvraag.id.desc())  # type: ignore[union-attr]
        .limit(1)
    )
    return await _one(session, stmt)  # type: ignore[return-value]


async def store_draft(
    session: AsyncSession, exchange: ClaimedExchange, draft: HulpvraagDraft, *, actor: str, released: bool = False
) -> Outcome:
    """Create or update the hulpvraag for `draft`. Raises Refusal (the caller rolls back) on a rule breach.

    A bijlage with a blocking finding (corrupt ZIP, forbidden type, too large) holds the whole exchange for the
    secretariaat (`Hold`); once they release it (`released`), the request goes on without those bijlagen and
    their findings stay on the hulpvraag as warnings.
    """
    swv = await _one(session, select(Swv).where(Swv.code == draft.swv_code))
    if not isinstance(swv, Swv) or swv.id is None:
        raise Refusal([fout("SWV_ONBEKEND", f"Samenwerkingsverband {draft.swv_code} is hier niet bekend.", "swv")])
    vestiging = await _one(session, select(Vestiging).where(Vestiging.swv_id == swv.id, Vestiging.brin6 == draft.brin6))
    if not isinstance(vestiging, Vestiging) or vestiging.id is None:
        raise Refusal(
            [
                fout(
                    "VESTIGING_NIET_GEREGISTREERD",
                    f"Vestiging {draft.brin6} is niet aangemeld bij {swv.naam}. Vraag het secretariaat de "
                    "vestiging te registreren.",
                    "vestiging",
                )
            ]
        )
    catalogue = await _catalogue(session, swv.id)
    existing = await _existing(session, swv.id, draft)
    kept_roles: set[str] = set()
    known_sha: set[str] = set()
    withdrawn: dict[str, Bijlage] = {}  # sent before, then withdrawn by the sender; may be sent again
    if existing is not None:
        for b in (await session.exec(select(Bijlage).where(Bijlage.hulpvraag_id == existing.id))).scalars():  # type: ignore[call-overload]
            if b.removed or b.sha256 in draft.remove_bijlagen:
                withdrawn[b.sha256] = b
            else:
                kept_roles.add(b.role)
                known_sha.add(b.sha256)
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
    if existing is None:
        status = (regel.eerste_status or STATUS_NIEUW) if regel else STATUS_TE_CLASSIFICEREN
        hv = Hulpvraag(
            swv_id=swv.id,
            vestiging_id=vestiging.id,
            brin6=draft.brin6,
            leerlingid=draft.pupil.leerlingid,
            voornaam=draft.pupil.voornaam,
            tussenvoegsel=draft.pupil.tussenvoegsel,
            achternaam=draft.pupil.achternaam,
            geboortedatum=draft.pupil.geboortedatum,
            aanvraagtype=regel.naam if regel else None,
            omschrijving=draft.omschrijving,
            status=status,
            coordinator=await _coordinator(session, swv.id, vestiging.gemeente),
            source_system=draft.source_system,
            external_keys=dict(draft.external_keys),
            esis_request_key=draft.external_keys.get("esis_request_key"),
            contact=dict(draft.contact),
            opp_expected=draft.opp_expected,
            findings=[f.to_dict() for f in findings if not f.blocking] + [f.to_dict() for f in bad],
            created_at=now,
            updated_at=now,
        )
        session.add(hv)
        await session.flush()
        session.add(
            StatusHistorie(hulpvraag_id=hv.id, status=status, door="systeem", toelichting="Aanvraag ontvangen", at=now)
        )  # type: ignore[arg-type]
        audit(
            session,
            actor=actor,
            action="hulpvraag_aangemaakt",
            object_type="hulpvraag",
            object_id=hv.id,
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
        audit(
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
    assert hv.id is not None
    if draft.remove_bijlagen and existing is not None:
        for b in (
            await session.exec(
                select(Bijlage).where(Bijlage.hulpvraag_id == hv.id, Bijlage.sha256.in_(list(draft.remove_bijlagen)))
            )
        ).scalars():  # type: ignore[call-overload,union-attr]
            b.removed = True
            session.add(b)
    seen: set[str] = set()
    for b in new_bijlagen:
        if b.sha256 in seen:
            continue
        seen.add(b.sha256)  # type: ignore[arg-type]
        again = withdrawn.get(b.sha256)  # type: ignore[arg-type]
        if again is not None:  # the same file sent again after it was withdrawn: it counts again
            again.removed = False
            again.bestandsnaam, again.role, again.exchange_id, again.added_at = b.bestandsnaam, b.role, exchange.id, now
            session.add(again)
            continue
        session.add(
            Bijlage(
                hulpvraag_id=hv.id,
                bestandsnaam=b.bestandsnaam,
                omschrijving=b.omschrijving,
                role=b.role,
                detected_type=b.detected_type,
                size=b.size,
                sha256=b.sha256,  # type: ignore[arg-type]
                blob_key=b.blob_key,  # type: ignore[arg-type]
                findings=[f.to_dict() for f in b.findings],
                exchange_id=exchange.id,
                added_at=now,
            )
        )
    return Outcome(
        state="verwerkt", findings=tuple(f for f in findings if not f.blocking), hulpvraag_id=hv.id, created=created
    )
