"""Hulpvragen: list and detail, status change and labels, and the audited download of a bijlage.

Every page that shows pupil data writes an audit entry (who saw which hulpvragen); monitoring sees the pupil
only by initials and cannot download bijlagen (the policy refuses the route).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web
from sqlalchemy import String, cast, func, or_, select
from sqlmodel import col

from gateway.errors import Refusal
from gateway.pipeline.status import change_status, set_labels
from gateway.pipeline.status_catalogue import load_catalogue
from gateway.store.audit import audit
from gateway.store.models import Bijlage, Hulpvraag, Status, StatusHistorie, Swv
from gateway.store.types import utcnow
from gateway.web.pages.context import PAGES, TZ, Viewer, int_param, render, viewer
from gateway.web.pages.limits import LABEL_MAX, LABELS_MAX, check_labels, split_labels
from gateway.web.pages.queue_query import names_by_brin6
from gateway.web.pages.workdays import add_working_days, is_overdue, overdue_before
from verification.status_flow import MAX_STATUS_LENGTH

__all__ = ["routes"]

routes = web.RouteTableDef()
CHUNK = 256 * 1024
_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
}
LABEL_SCAN = 2000  # the label filter suggests the labels of this many most recent hulpvragen
MAX_TOELICHTING = 1000  # characters of a status change's toelichting
_NOTICES = {"status": "De status is gewijzigd.", "labels": "De labels zijn opgeslagen."}


def pupil_name(hv: Hulpvraag, v: Viewer) -> str:
    parts = [hv.voornaam, hv.tussenvoegsel, hv.achternaam]
    if not v.is_secretariaat:  # monitoring: initials only
        return " ".join(f"{p[0]}." for p in parts if p) or "—"
    return " ".join(p for p in parts if p) or "—"


async def _swv_id(s: Any, code: str) -> int:
    found = (await s.exec(select(col(Swv.id)).where(col(Swv.code) == code))).scalars().first()
    if found is None:
        raise web.HTTPNotFound()
    return int(found)


@dataclass(frozen=True)
class HulpvraagFilter:
    status: str = ""
    school: str = ""
    aanvraagtype: str = ""
    open: str = "open"  # open | gesloten | alle
    te_laat: str = ""
    q: str = ""
    label: str = ""

    @classmethod
    def from_query(cls, query: Any) -> HulpvraagFilter:
        def clean(name: str, limit: int, default: str = "") -> str:
            return " ".join(str(query.get(name, default)).split())[:limit]

        open_ = clean("open", 10, "open")
        return cls(
            clean("status", 100),
            clean("school", 6).upper(),
            clean("aanvraagtype", 200),
            open_ if open_ in ("open", "gesloten", "alle") else "open",
            "1" if query.get("te_laat") else "",
            clean("q", 100),
            clean("label", LABEL_MAX),
        )

    def query_string(self, **extra: object) -> str:
        values = {k: v for k, v in self.__dict__.items() if v}
        values.update({k: str(v) for k, v in extra.items() if v})
        return urlencode(values)

    def apply(self, stmt: Any, swv_id: int, days: int) -> Any:
        stmt = stmt.where(Hulpvraag.swv_id == swv_id)
        if self.status:
            stmt = stmt.where(Hulpvraag.status == self.status)
        if self.school:
            stmt = stmt.where(col(Hulpvraag.brin6).startswith(self.school))
        if self.aanvraagtype:
            stmt = stmt.where(Hulpvraag.aanvraagtype == self.aanvraagtype)
        if self.open != "alle":
            stmt = stmt.where(Hulpvraag.open == (self.open == "open"))
        if self.te_laat:
            stmt = stmt.where(
                col(Hulpvraag.last_reaction_at).is_(None),
                col(Hulpvraag.created_at) < overdue_before(utcnow(), days, TZ),
            )
        if self.label:  # labels are stored as JSON text: match the label the way JSON writes it
            escaped = json.dumps(self.label)[1:-1].replace("!", "!!").replace("%", "!%").replace("_", "!_")
            stmt = stmt.where(cast(Hulpvraag.labels, String).ilike(f"%{escaped}%", escape="!"))
        if self.q:
            like = f"%{self.q}%"
            stmt = stmt.where(
                or_(
                    col(Hulpvraag.leerlingid).ilike(like),
                    col(Hulpvraag.achternaam).ilike(like),
                    col(Hulpvraag.voornaam).ilike(like),
                    col(Hulpvraag.brin6).ilike(like),
                )
            )
        return stmt


@routes.get("/hulpvragen")
async def list_page(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    flt = HulpvraagFilter.from_query(request.query)
    page = int_param(request.query.get("pagina"), 1, low=1) or 1
    days = st.cfg.reaction_working_days
    async with st.c.db.session() as s:
        swv_id = await _swv_id(s, v.swv_code)
        total = int((await s.exec(flt.apply(select(func.count()).select_from(Hulpvraag), swv_id, days))).scalar() or 0)
        pages = max(1, -(-total // st.cfg.page_size))
        page = min(page, pages)
        stmt = flt.apply(select(Hulpvraag), swv_id, days).order_by(col(Hulpvraag.created_at).desc())
        rows = list((await s.exec(stmt.offset((page - 1) * st.cfg.page_size).limit(st.cfg.page_size))).scalars())
        names = await names_by_brin6(s, {h.brin6 for h in rows}, v.swv_code)
        statuses = [n for (n,) in (await s.exec(select(col(Status.naam)).where(col(Status.swv_id) == swv_id))).all()]  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        types = await _aanvraagtypes(s, swv_id)
        counts = await _bijlage_counts(s, rows)
        known_labels = await _known_labels(s, swv_id)
        if rows:
            audit(
                s,
                actor=v.actor,
                action="hulpvragen_bekeken",
                object_type="hulpvraag",
                swv_code=v.swv_code,
                ids=[h.id for h in rows],
            )
    now = utcnow()
    items = [
        {
            "hv": h,
            "leerling": pupil_name(h, v),
            "school": names.get(h.brin6, (None, None))[0],
            "vestiging": names.get(h.brin6, (None, None))[1],
            "te_laat": h.open and is_overdue(h.created_at, h.last_reaction_at, now, days, TZ),
            "bijlagen": counts.get(h.id or 0, 0),
        }
        for h in rows
    ]
    ctx = {
        "flt": flt,
        "items": items,
        "total": total,
        "page": page,
        "pages": pages,
        "statuses": statuses,
        "types": types,
        "labels": known_labels,
        "days": days,
    }
    return render(request, "hulpvragen.html", ctx)


async def _aanvraagtypes(s: Any, swv_id: int) -> list[str]:
    """The aanvraagtypes the SWV's hulpvragen carry (the filter's choices)."""
    found = (await s.exec(select(col(Hulpvraag.aanvraagtype)).where(col(Hulpvraag.swv_id) == swv_id).distinct())).all()
    return sorted({t for (t,) in found if t})


async def _bijlage_counts(s: Any, rows: list[Hulpvraag]) -> dict[int, int]:
    """How many bijlagen (not removed) each listed hulpvraag has."""
    if not rows:
        return {}
    return dict(
        (
            await s.exec(
                select(col(Bijlage.hulpvraag_id), func.count())
                .where(col(Bijlage.hulpvraag_id).in_([h.id for h in rows]), col(Bijlage.removed) == False)  # noqa: E712
                .group_by(col(Bijlage.hulpvraag_id))
            )
        ).all()
    )


async def _known_labels(s: Any, swv_id: int) -> list[str]:
    """The labels in use on the SWV's most recent hulpvragen (the filter's suggestions)."""
    found = (
        await s.exec(
            select(col(Hulpvraag.labels))
            .where(col(Hulpvraag.swv_id) == swv_id)
            .order_by(col(Hulpvraag.id).desc())
            .limit(LABEL_SCAN)
        )
    ).all()
    return sorted({label for (labels,) in found for label in labels or ()}, key=str.casefold)


async def _load(request: web.Request) -> tuple[Hulpvraag, int]:
    st, v = request.app[PAGES], viewer(request)
    hv_id = int_param(request.match_info["hulpvraag_id"])
    async with st.c.db.reader() as s:
        swv_id = await _swv_id(s, v.swv_code)
        hv = (
            (await s.exec(select(Hulpvraag).where(col(Hulpvraag.id) == hv_id, col(Hulpvraag.swv_id) == swv_id)))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            .scalars()
            .first()
        )
    if hv is None:
        raise web.HTTPNotFound(text="Deze hulpvraag bestaat niet.")
    return hv, swv_id


@routes.get("/hulpvragen/{hulpvraag_id}")
async def detail(request: web.Request) -> web.StreamResponse:
    hv, swv_id = await _load(request)
    return await _detail_page(request, hv, swv_id)


async def _detail_page(
    request: web.Request,
    hv: Hulpvraag,
    swv_id: int,
    *,
    fout: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    st, v = request.app[PAGES], viewer(request)
    async with st.c.db.session() as s:
        history = list(
            (
                await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                    select(StatusHistorie)
                    .where(col(StatusHistorie.hulpvraag_id) == hv.id)
                    .order_by(col(StatusHistorie.at).desc(), col(StatusHistorie.id).desc())
                )
            ).scalars()
        )
        bijlagen = list(
            (
                await s.exec(select(Bijlage).where(col(Bijlage.hulpvraag_id) == hv.id).order_by(col(Bijlage.added_at)))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            ).scalars()
        )
        catalogue = await load_catalogue(s, swv_id)
        names = await names_by_brin6(s, {hv.brin6}, v.swv_code)
        audit(
            s, actor=v.actor, action="hulpvraag_bekeken", object_type="hulpvraag", object_id=hv.id, swv_code=v.swv_code
        )
    days = st.cfg.reaction_working_days
    ctx = {
        "hv": hv,
        "leerling": pupil_name(hv, v),
        "geboortedatum": hv.geboortedatum.strftime("%d-%m-%Y") if hv.geboortedatum and v.is_secretariaat else None,
        "school": names.get(hv.brin6, (None, None))[0],
        "vestiging": names.get(hv.brin6, (None, None))[1],
        "history": history,
        "bijlagen": bijlagen,
        "statuses": catalogue.allowed_from(hv.status),
        "form": form or {},
        "fout": fout,
        "te_laat": hv.open and is_overdue(hv.created_at, hv.last_reaction_at, utcnow(), days, TZ),
        "deadline": add_working_days(hv.created_at.astimezone(TZ).date(), days).strftime("%d-%m-%Y"),
        "melding": None if fout else _NOTICES.get(request.query.get("melding", "")),
    }
    return render(request, "hulpvraag.html", ctx, status=status)


@routes.post("/hulpvragen/{hulpvraag_id}/status")
async def status(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    hv, swv_id = await _load(request)
    form = await request.post()
    assert hv.id is not None
    chosen, toelichting = str(form.get("status", "")), str(form.get("toelichting", "")).strip()
    kept = {"status": chosen[:MAX_STATUS_LENGTH], "toelichting": toelichting[:MAX_TOELICHTING]}
    if len(toelichting) > MAX_TOELICHTING:
        problem = f"De toelichting is {len(toelichting)} tekens; maximaal {MAX_TOELICHTING}. Maak hem korter."
        return await _detail_page(request, hv, swv_id, fout=problem, form=kept, status=400)
    try:
        await change_status(
            st.c.db, hv.id, chosen, actor=v.actor, hooks=st.c.status_hooks, toelichting=toelichting or None
        )
    except Refusal as r:
        return await _detail_page(request, hv, swv_id, fout=r.first.message, form=kept, status=400)
    raise web.HTTPSeeOther(f"/hulpvragen/{hv.id}?melding=status")


@routes.post("/hulpvragen/{hulpvraag_id}/labels")
async def labels(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    hv, swv_id = await _load(request)
    form = await request.post()
    assert hv.id is not None
    text = str(form.get("labels", ""))
    wanted = split_labels(text[: LABELS_MAX * (LABEL_MAX + 2) + 1])
    problems = check_labels(wanted) or (
        ["De labels zijn samen te lang."] if len(text) > LABELS_MAX * (LABEL_MAX + 2) else []
    )
    if problems:
        kept = {"labels": text[: LABELS_MAX * (LABEL_MAX + 2)]}
        return await _detail_page(request, hv, swv_id, fout=" ".join(problems), form=kept, status=400)
    await set_labels(st.c.db, hv.id, wanted, actor=v.actor)
    raise web.HTTPSeeOther(f"/hulpvragen/{hv.id}?melding=labels")


def _disposition(name: str) -> str:
    ascii_name = (
        "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._- ") else "_" for ch in name)[:150] or "bijlage"
    )
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name[:150])}"


@routes.get("/bijlagen/{bijlage_id}")
async def download(request: web.Request) -> web.StreamResponse:
    """Stream a bijlage from the blob store; the download is audited before the first byte is sent."""
    st, v = request.app[PAGES], viewer(request)
    bijlage_id = int_param(request.match_info["bijlage_id"])
    async with st.c.db.session() as s:
        swv_id = await _swv_id(s, v.swv_code)
        row = (
            await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                select(Bijlage, col(Hulpvraag.id))
                .join(Hulpvraag, col(Hulpvraag.id) == col(Bijlage.hulpvraag_id))
                .where(Bijlage.id == bijlage_id, Hulpvraag.swv_id == swv_id)  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
            )
        ).first()
        if row is None:
            raise web.HTTPNotFound(text="Deze bijlage bestaat niet.")
        bijlage, hv_id = row
        audit(
            s,
            actor=v.actor,
            action="bijlage_gedownload",
            object_type="bijlage",
            object_id=bijlage.id,
            swv_code=v.swv_code,
            hulpvraag_id=hv_id,
            bestandsnaam=bijlage.bestandsnaam,
            sha256=bijlage.sha256,
        )
    try:
        handle = await asyncio.to_thread(st.c.blobs.open, bijlage.blob_key)
    except (FileNotFoundError, KeyError):
        raise web.HTTPNotFound(text="Het bestand van deze bijlage is niet (meer) aanwezig.") from None
    response = web.StreamResponse(
        headers={
            "Content-Type": _CONTENT_TYPES.get(bijlage.detected_type or "", "application/octet-stream"),
            "Content-Disposition": _disposition(bijlage.bestandsnaam),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        }
    )
    response.content_length = bijlage.size or None
    await response.prepare(request)
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK):
            await response.write(chunk)
    finally:
        await asyncio.to_thread(handle.close)
    await response.write_eof()
    return response
