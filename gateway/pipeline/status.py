"""Changing a hulpvraag's status: statushistorie, audit and what the source system's `StatusHook` says
follows (for OSO the terugkoppeling to the school's LAS, `adapters.parnassys.status_hook`).

The hook's messages are written to the outbox in the same transaction as the change, so the school is told
exactly once even if the gateway stops right after the change. The hook sees the hand-offs of every exchange
that contributed to the hulpvraag (exchanges merged by the "same request" rule each carry their own).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.doorbell import doorbell
from gateway.errors import Refusal
from gateway.pipeline.contracts import StatusChange, StatusHook, StoredHandoff
from gateway.pipeline.status_catalogue import load_catalogue
from gateway.store.audit import audit
from gateway.store.db import Database
from gateway.store.models import Exchange, ExchangeState, Hulpvraag, OutboxMessage, StatusHistorie, Swv
from gateway.store.types import utcnow
from verification.findings import fout
from verification.status_flow import clean_status

__all__ = ["change_status", "set_labels"]


async def change_status(
    db: Database,
    hulpvraag_id: int,
    nieuwe_status: str,
    *,
    actor: str,
    hooks: Mapping[str, StatusHook],
    toelichting: str | None = None,
) -> StatusHistorie:
    """Change the status (only catalogue statuses, by allowed steps) and write what the hulpvraag's source
    system registered to follow (``hooks``: `Components.status_hooks`) in the same transaction."""
    nieuwe_status = clean_status(nieuwe_status)
    if not nieuwe_status:
        raise Refusal([fout("STATUS_LEEG", "Kies een nieuwe status uit de lijst.", "status")])
    async with db.session() as s:
        hv = (await s.exec(select(Hulpvraag).where(col(Hulpvraag.id) == hulpvraag_id))).scalars().first()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        if hv is None:
            raise Refusal([fout("HULPVRAAG_ONBEKEND", f"Hulpvraag {hulpvraag_id} bestaat niet.", "hulpvraag")])
        catalogue = await load_catalogue(s, hv.swv_id)  # only catalogue statuses exist, reached by allowed steps
        refused = catalogue.check(hv.status, nieuwe_status)
        if refused is not None:
            raise Refusal([refused])
        now = utcnow()
        entry = StatusHistorie(
            hulpvraag_id=hulpvraag_id,
            status=nieuwe_status,
            vorige_status=hv.status,
            door=actor,
            toelichting=toelichting,
            at=now,
        )
        s.add(entry)
        hv.status = nieuwe_status
        hv.updated_at = now
        hv.last_reaction_at = hv.last_reaction_at or now
        hv.open = not catalogue.closed(nieuwe_status)
        s.add(hv)
        await s.flush()
        swv_code = (await s.exec(select(col(Swv.code)).where(col(Swv.id) == hv.swv_id))).scalars().first()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        audit(
            s,
            actor=actor,
            action="status_gewijzigd",
            object_type="hulpvraag",
            object_id=hulpvraag_id,
            swv_code=swv_code,
            van=entry.vorige_status,
            naar=nieuwe_status,
        )
        told = False
        hook = hooks.get(hv.source_system)
        if hook is not None:
            assert entry.id is not None
            change = StatusChange(
                hulpvraag_id=hulpvraag_id,
                change_id=entry.id,
                status=nieuwe_status,
                vorige_status=entry.vorige_status,
                toelichting=toelichting,
                brin6=hv.brin6,
                source_system=hv.source_system,
                external_keys=dict(hv.external_keys),
                contributions=await _contributions(s, hulpvraag_id),
            )
            for message in hook.after_status_change(change):
                s.add(OutboxMessage(key=message.key[:200], kind=message.kind, payload=dict(message.payload)))
                told = True
    if told:
        doorbell(db, "outbox").ring()  # committed: this process's outbox loop sends it now, not at its next poll
    return entry


async def _contributions(s: AsyncSession, hulpvraag_id: int) -> tuple[StoredHandoff, ...]:
    """The stored hand-offs of every processed exchange that made or added to the hulpvraag, oldest first."""
    rows = (
        await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            select(col(Exchange.kind), col(Exchange.handoff_version), col(Exchange.meta))
            .where(Exchange.hulpvraag_id == hulpvraag_id, Exchange.state == ExchangeState.VERWERKT.value)  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
            .order_by(col(Exchange.id))
        )
    ).all()
    return tuple(StoredHandoff(kind=kind, version=version, data=meta or {}) for kind, version, meta in rows)


async def set_labels(db: Database, hulpvraag_id: int, labels: list[str], *, actor: str) -> list[str]:
    clean = sorted({" ".join(label.split())[:50] for label in labels if label.strip()})
    async with db.session() as s:
        hv = (await s.exec(select(Hulpvraag).where(col(Hulpvraag.id) == hulpvraag_id))).scalars().first()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        if hv is None:
            raise Refusal([fout("HULPVRAAG_ONBEKEND", f"Hulpvraag {hulpvraag_id} bestaat niet.", "hulpvraag")])
        hv.labels = clean
        hv.updated_at = utcnow()
        s.add(hv)
        swv_code = (await s.exec(select(col(Swv.code)).where(col(Swv.id) == hv.swv_id))).scalars().first()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        audit(
            s,
            actor=actor,
            action="labels_gewijzigd",
            object_type="hulpvraag",
            object_id=hulpvraag_id,
            swv_code=swv_code,
            labels=clean,
        )
    return clean
