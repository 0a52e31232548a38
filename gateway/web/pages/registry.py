"""Scholen en vestigingen: the registry with mandates (valid/expired/missing), routeringskenmerken,
scholenkring and coördinator; the CSV import (when gateway.registry.importer is part of the build)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlmodel import col

from gateway.registry.importer import import_registry_csv
from gateway.store.audit import audit
from gateway.store.models import Gemeente, Mandaat, Scholenkring, School, Swv, Vestiging
from gateway.web.pages.context import PAGES, TZ, render, viewer
from gateway.web.pages.limits import Field, check_fields

__all__ = ["MandateState", "mandate_state", "routes"]

routes = web.RouteTableDef()
SYSTEMS = ("ParnasSys", "Kindkans")
MAX_CSV_BYTES = 1024 * 1024 - 64 * 1024  # under the app's request limit (1 MB), with room for the form


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
        stmt = (
            select(School)
            .join(Swv, col(Swv.id) == col(School.swv_id))
            .where(col(Swv.code) == swv_code)
            .order_by(col(School.brin4))
        )
        if brin4:
            stmt = stmt.where(col(School.brin4) == brin4)
        schools = list((await s.exec(stmt)).scalars())
        ids = [sc.id for sc in schools]
        vestigingen = (
            list(
                (
                    await s.exec(
                        select(Vestiging).where(col(Vestiging.school_id).in_(ids)).order_by(col(Vestiging.brin6))
                    )
                ).scalars()
            )
            if ids
            else []
        )
        kringen = {
            g: (k, c)
            for g, k, c in (
                await s.exec(
                    select(col(Gemeente.naam), col(Scholenkring.naam), col(Scholenkring.coordinator))
                    .join(Scholenkring, col(Scholenkring.id) == col(Gemeente.scholenkring_id))
                    .join(Swv, col(Swv.id) == col(Gemeente.swv_id))
                    .where(Swv.code == swv_code)  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
                )
            ).all()
        }
        brins = [sc.brin4 for sc in schools]
        mandates = list((await s.exec(select(Mandaat).where(col(Mandaat.brin4).in_(brins)))).scalars()) if brins else []
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


COLUMN_HELP: tuple[tuple[str, str, str], ...] = (
    ("brin6", "verplicht", "BRIN van de vestiging, 6 tekens (bijvoorbeeld 14SS01)"),
    ("naam", "verplicht", "naam van de vestiging"),
    ("gemeente", "verplicht", "gemeente van de vestiging; bepaalt de scholenkring en de coördinator"),
    ("routeringskenmerk", "ParnasSys", "500 + vestigingscode (14SS01 → 501); leeg voor ESIS-scholen"),
    ("schoolnaam", "nieuwe school", "naam van de school (BRIN4); leeg: blijft zoals vastgelegd"),
    ("bestuur", "optioneel", "naam van het schoolbestuur"),
    ("las", "optioneel", "ParnasSys of ESIS: waarmee de school hulpvragen verstuurt"),
)
TEMPLATE_CSV = (
    "brin6;naam;gemeente;routeringskenmerk;schoolnaam;bestuur;las\r\n"
    "14SS01;De Regenboog dependance Brandevoort;Helmond;501;Basisschool De Regenboog;Stichting Primair Peelland;"
    "ParnasSys\r\n"
    "27ZX01;De Wilg locatie Coevering;Geldrop-Mierlo;;Basisschool De Wilg;Eenbes Basisonderwijs;ESIS\r\n"
)
SINGLE_FIELDS = {
    "brin6": Field("BRIN6", 6, required=True),
    "naam": Field("Naam vestiging", 200, required=True),
    "gemeente": Field("Gemeente", 100, required=True),
    "routeringskenmerk": Field("Routeringskenmerk", 3),
    "schoolnaam": Field("Schoolnaam", 200),
    "bestuur": Field("Bestuur", 200),
    "las": Field("LAS", 20),
}


def _import_context(**extra: object) -> dict[str, object]:
    return {"available": True, "columns": COLUMN_HELP, "max_mb": MAX_CSV_BYTES / 1_048_576, **extra}


@routes.get("/scholen/import")
async def import_form(request: web.Request) -> web.StreamResponse:
    return render(request, "scholen_import.html", _import_context(velden={}))


@routes.get("/scholen/import/sjabloon.csv")
async def import_template(request: web.Request) -> web.StreamResponse:
    return web.Response(
        body=("\ufeff" + TEMPLATE_CSV).encode(),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="scholen-sjabloon.csv"',
        },
    )


async def _run_import(request: web.Request, data: bytes, *, dry_run: bool, form_fields: dict[str, str]) -> web.Response:
    st, v = request.app[PAGES], viewer(request)
    report = await import_registry_csv(st.c.db, v.swv_code, data, actor=v.actor, dry_run=dry_run)
    async with st.c.db.session() as s:
        audit(
            s,
            actor=v.actor,
            action="register_geimporteerd",
            object_type="register",
            swv_code=v.swv_code,
            proef=dry_run,
            samenvatting=str(getattr(report, "summary", ""))[:500],
        )
    preview = data.decode("utf-8", errors="replace") if dry_run else None
    return render(
        request,
        "scholen_import.html",
        _import_context(report=report, proef=dry_run, inhoud=preview, velden=form_fields),
    )


@routes.post("/scholen/import")
async def import_csv(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    upload = form.get("bestand")
    kept = form.get("inhoud")  # the previewed file, sent again with "Importeren zoals getoond"
    data: bytes = b""
    if isinstance(kept, str) and kept:
        data = kept.encode()
    elif upload is not None and hasattr(upload, "file"):
        data = upload.file.read(MAX_CSV_BYTES + 1)
    if not data:
        return render(
            request, "scholen_import.html", _import_context(fout="Kies een CSV-bestand.", velden={}), status=400
        )
    if len(data) > MAX_CSV_BYTES:
        problem = f"Het bestand is groter dan {MAX_CSV_BYTES / 1_048_576:.0f} MB; splits het in delen."
        return render(request, "scholen_import.html", _import_context(fout=problem, velden={}), status=400)
    return await _run_import(request, data, dry_run=form.get("proef") == "ja", form_fields={})


@routes.post("/scholen/vestiging")
async def add_one(request: web.Request) -> web.StreamResponse:
    """One vestiging from a form: the same rules and report as one line of the CSV import."""
    form = await request.post()
    values = {name: " ".join(str(form.get(name, "")).split()) for name in SINGLE_FIELDS}
    problems = check_fields(values, SINGLE_FIELDS)
    if any(";" in v or '"' in v for v in values.values()):
        problems.append("Gebruik geen puntkomma's of aanhalingstekens in de velden.")
    if problems:
        kept = {k: v[: SINGLE_FIELDS[k].max_length] for k, v in values.items()}
        return render(request, "scholen_import.html", _import_context(fout=" ".join(problems), velden=kept), status=400)
    line = ";".join(values[name] for name in SINGLE_FIELDS)
    data = (";".join(SINGLE_FIELDS) + "\r\n" + line + "\r\n").encode()
    return await _run_import(request, data, dry_run=False, form_fields=values)
