"""Scholen en vestigingen: the registry with mandates (valid/expired/missing), routeringskenmerken,
scholenkring and coördinator; the CSV import (when gateway.registry.importer is part of the build)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy import select

from gateway.registry.importer import import_registry_csv
from gateway.store.audit import audit
from gateway.store.models import Gemeente, Mandaat, Scholenkring, School, Swv, Vestiging
from gateway.web.pages.context import PAGES, TZ, render, viewer

__all__ = ["MandateState", "mandate_state", "routes"]

routes = web.RouteTableDef()
SYSTEMS = ("ParnasSys", "Kindkans")
MAX_CSV_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class MandateState:
    systeem: str
    state: str  # geldig | verlopen | toekomstig | ontbreekt
    label: str
    until: dt.date | None = None


def mandate_state(systeem: str, mandates: list[Mandaat], today: dt.date) -> MandateState:
    mine = [m for m in mandates if m.systeem.lower() == systeem.lower()]
    valid = [m for m in mine if m.start_date <= today and (m.end_date is None or m.end_date >= today)]
    if valid:
        until = max((m.end_date for m in valid if m.end_date), default=None)
        if any(m.end_date is None for m in valid):
            until = None
        return MandateState(systeem, "geldig", "Geldig", until)
    if any(m.start_date > today for m in mine):
        return MandateState(systeem, "toekomstig", "Nog niet ingegaan")
    if mine:
        last = max((m.end_date for m in mine if m.end_date), default=None)
        return MandateState(systeem, "verlopen", "Verlopen", last)
    return MandateState(systeem, "ontbreekt", "Ontbreekt")


async def registry_view(db: Any, swv_code: str, brin4: str | None) -> list[dict[str, Any]]:
    today = dt.datetime.now(TZ).date()
    async with db.reader() as s:
        stmt = select(School).join(Swv, Swv.id == School.swv_id).where(Swv.code == swv_code).order_by(School.brin4)  # type: ignore[arg-type]
        if brin4:
            stmt = stmt.where(School.brin4 == brin4)
        schools = list((await s.exec(stmt)).scalars())
        ids = [sc.id for sc in schools]
        vestigingen = (
            list(
                (
                    await s.exec(select(Vestiging).where(Vestiging.school_id.in_(ids)).order_by(Vestiging.brin6))
                ).scalars()  # type: ignore[attr-defined]
            )
            if ids
            else []
        )
        kringen = {
            g: (k, c)
            for g, k, c in (
                await s.exec(
                    select(Gemeente.naam, Scholenkring.naam, Scholenkring.coordinator)
                    .join(Scholenkring, Scholenkring.id == Gemeente.scholenkring_id)  # type: ignore[arg-type]
                    .join(Swv, Swv.id == Gemeente.swv_id)  # type: ignore[arg-type]
                    .where(Swv.code == swv_code)
                )
            ).all()
        }
        brins = [sc.brin4 for sc in schools]
        mandates = list((await s.exec(select(Mandaat).where(Mandaat.brin4.in_(brins)))).scalars()) if brins else []  # type: ignore[attr-defined]
    out = []
    for sc in schools:
        own = [m for m in mandates if m.brin4 == sc.brin4]
        out.append(
            {
                "school": sc,
                "mandaten": [mandate_state(sysname, own, today) for sysname in SYSTEMS],
                "vestigingen": [
                    {
                        "v": ves,
                        "kring": kringen.get(ves.gemeente, (None, None))[0],
                        "coordinator": kringen.get(ves.gemeente, (None, None))[1],
                    }
                    for ves in vestigingen
                    if ves.school_id == sc.id
                ],
            }
        )
    return out


@routes.get("/scholen")
async def registry_page(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    schools = await registry_view(st.c.db, v.swv_code, v.brin4)
    return render(request, "scholen.html", {"schools": schools, "import_available": True})


@routes.get("/scholen/import")
async def import_form(request: web.Request) -> web.StreamResponse:
    return render(request, "scholen_import.html", {"available": True})


@routes.post("/scholen/import")
async def import_csv(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    form = await request.post()
    upload = form.get("bestand")
    data: bytes = b""
    if upload is not None and hasattr(upload, "file"):
        data = upload.file.read(MAX_CSV_BYTES + 1)
    if not data:
        return render(request, "scholen_import.html", {"available": True, "fout": "Kies een CSV-bestand."}, status=400)
    if len(data) > MAX_CSV_BYTES:
        return render(
            request, "scholen_import.html", {"available": True, "fout": "Het bestand is groter dan 2 MB."}, status=400
        )
    report = await import_registry_csv(st.c.db, v.swv_code, data, actor=v.actor, dry_run=form.get("proef") == "ja")
    async with st.c.db.session() as s:
        audit(
            s,
            actor=v.actor,
            action="register_geimporteerd",
            object_type="register",
            swv_code=v.swv_code,
            proef=form.get("proef") == "ja",
            samenvatting=str(getattr(report, "summary", ""))[:500],
        )
    return render(request, "scholen_import.html", {"available": True, "report": report})
