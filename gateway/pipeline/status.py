"""Changing a hulpvraag's status: statushistorie, audit and — for ParnasSys requests — the terugkoppeling.

The terugkoppeling to the school's LAS is written to the outbox in the same transaction as the change, so the
school is told exactly once even if the gateway stops right after the change — once per koppelsleutel that
contributed to the hulpvraag (exchanges merged by the "same request" rule each carry their own).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.doorbell import doorbell
from gateway.errors import Refusal
from gateway.pipeline.status_catalogue import load_catalogue
from gateway.store.audit import audit
from gateway.store.db import Database
from gateway.store.models import Exchange, ExchangeState, Hulpvraag, OutboxMessage, StatusHistorie, Swv
from gateway.store.types import utcnow
from verification.findings import fout
from verification.status_flow import clean_status

__all__ = ["change_status", "set_labels"]


async def change_status(
    db: Database, hulpvraag_id: int, nieuwe_status: str, *, actor: str, toelichting: str | None = None
) -> StatusHistorie:
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
        told = hv.source_system == "parnassys"
        if told:
            for keys in await _contributors(s, hv):  # one per koppelsleutel: every school conversation hears it
                s.add(
                    OutboxMessage(
                        key=f"terugkoppeling:{hulpvraag_id}:{entry.id}:{keys.get('koppelsleutel', '')}"[:200],
                        kind="oso_terugkoppeling",
                        payload={
                            "hulpvraag_id": hulpvraag_id,
                            "status": nieuwe_status,
                            "toelichting": toelichting,
                            "brin6": hv.brin6,
                            "external_keys": keys,
                        },
                    )
                )
    if told:
        doorbell(db, "outbox").ring()  # committed: this process's outbox loop sends it now, not at its next poll
    return entry


_SENDER_KEYS = ("koppelsleutel", "bronRouteringsKenmerk", "bronBrin")


async def _contributors(s: AsyncSession, hv: Hulpvraag) -> list[dict[str, Any]]:
    """The external keys of every exchange that made or added to the hulpvraag (merged exchanges each have
    their own koppelsleutel), the hulpvraag's own first; one entry per koppelsleutel."""
    rows = (
        await s.exec(  # type: ignore[call-overload]
            select(col(Exchange.meta))
            .where(Exchange.hulpvraag_id == hv.id, Exchange.state == ExchangeState.VERWERKT.value)  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
            .order_by(col(Exchange.id))
        )
    ).scalars()
    found: dict[str, dict[str, Any]] = {}
    first = hv.external_keys.get("koppelsleutel")
    if first:
        found[str(first)] = dict(hv.external_keys)
    for meta in rows:
        koppelsleutel = (meta or {}).get("koppelsleutel")
        if koppelsleutel and str(koppelsleutel) not in found:
            own = {k: str(meta[k]) for k in _SENDER_KEYS if meta.get(k)}
            found[str(koppelsleutel)] = {**hv.external_keys, **own}
    return list(found.values()) or [dict(hv.external_keys)]


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
