"""Verificatiecodes: the school registers a code for a vestiging and ESIS environment (shown once, then only
its fingerprint); the secretariaat activates, revokes and rotates. The work is done by gateway.registry.codes."""

from __future__ import annotations

import secrets
import string

from aiohttp import web
from sqlalchemy import select
from sqlmodel import col

from gateway.errors import Refusal
from gateway.registry import codes
from gateway.store.models import School, Swv, Vestiging
from gateway.store.models.codes import CodeState
from gateway.web.pages.context import PAGES, Viewer, int_param, render, viewer
from gateway.web.pages.limits import Field, check_fields

__all__ = ["generate_code", "routes"]

routes = web.RouteTableDef()
_ALPHABET = string.ascii_letters + string.digits
_NOTICES = {
    "geactiveerd": "De verificatiecode is geactiveerd; de school krijgt een bevestiging per mail.",
    "ingetrokken": "De verificatiecode is ingetrokken.",
}


def generate_code(brin6: str, length: int = 40) -> str:
    """A random code that meets the handbook's rule (starts with the BRIN6, 20–50 characters)."""
    return brin6.upper() + "".join(secrets.choice(_ALPHABET) for _ in range(length - 6))


async def _vestigingen(request: web.Request, v: Viewer) -> list[Vestiging]:
    async with request.app[PAGES].c.db.reader() as s:
        stmt = (
            select(Vestiging)
            .join(Swv, col(Swv.id) == col(Vestiging.swv_id))
            .join(School, col(School.id) == col(Vestiging.school_id))
            .where(col(Swv.code) == v.swv_code, col(Vestiging.actief) == True)  # noqa: E712
            .order_by(Vestiging.brin6)
        )
        if v.brin4:
            stmt = stmt.where(col(School.brin4) == v.brin4)
        return list((await s.exec(stmt)).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def _page(request: web.Request, *, status: int = 200, **extra: object) -> web.Response:
    st, v = request.app[PAGES], viewer(request)
    views = await codes.list_codes(st.c.db, v.swv_code, v.brin4)
    ctx = {
        "codes": views,
        "vestigingen": await _vestigingen(request, v),
        "states": {s.value: s.value for s in CodeState},
        "melding": _NOTICES.get(request.query.get("melding", "")),
        **extra,
    }
    return render(request, "verificatiecodes.html", ctx, status=status)


@routes.get("/verificatiecodes")
async def codes_page(request: web.Request) -> web.StreamResponse:
    return await _page(request)


def _text(form: object, name: str, limit: int) -> str:
    value = getattr(form, "get", lambda _k, _d=None: None)(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


_REGISTER_FIELDS = {
    "omgeving": Field("ESIS-omgeving", 64),
    "naam": Field("Contactpersoon", 200),
    "email": Field("E-mail voor de bevestiging", 254),
}
MAX_CODE_INPUT = 1000  # longer input is refused outright; up to this the code rules say what is wrong
MIN_REASON, MAX_REASON = 5, 500


def _code_input(form: object) -> tuple[str, str | None]:
    """The typed code, whole (never cut: a cut code could pass a check the typed one fails), or a refusal."""
    value = _text(form, "code", MAX_CODE_INPUT + 1)
    if len(value) > MAX_CODE_INPUT:
        return "", f"De verificatiecode is langer dan {MAX_CODE_INPUT} tekens; een code is 20 tot 50 tekens lang."
    return value, None


def _confirm(request: web.Request, titel: str, vraag: str, actie: str, **extra: object) -> web.Response:
    context = {"titel": titel, "vraag": vraag, "actie": actie, "velden": {}, "terug": "/verificatiecodes"}
    return render(request, "bevestigen.html", {**context, **extra})


def _confirmed(form: object) -> bool:
    return getattr(form, "get", lambda _k: None)("bevestigd") == "ja"


@routes.post("/verificatiecodes")
async def register(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    form = await request.post()
    brin6 = _text(form, "brin6", 6).upper()
    if not v.sees_brin6(brin6):
        return await _page(
            request, status=400, fouten=["U kunt alleen codes aanmelden voor de vestigingen van uw eigen school."]
        )
    typed, too_long = _code_input(form)
    problems = ([too_long] if too_long else []) + check_fields(form, _REGISTER_FIELDS)
    if problems:
        return await _page(request, status=400, fouten=problems)
    code = typed or generate_code(brin6)
    try:
        view = await codes.register(
            st.c.db,
            brin6,
            _text(form, "omgeving", 64) or "productie",
            code,
            v.actor,
            contact_email=_text(form, "email", 254) or None,
            contact_naam=_text(form, "naam", 200) or None,
            swv_code=v.swv_code,
        )
    except Refusal as r:
        return await _page(request, status=400, fouten=[f.message for f in r.findings])
    # shown once, on this response only (not stored, not in a URL, not cached)
    return await _page(request, nieuw=view, nieuwe_code=code)


async def _own_code(request: web.Request) -> codes.CodeView:
    st, v = request.app[PAGES], viewer(request)
    code_id = int_param(request.match_info["code_id"])
    if code_id is None:
        raise web.HTTPNotFound()
    try:
        view = await codes.get_code(st.c.db, code_id)
    except Refusal:
        raise web.HTTPNotFound(text="Deze verificatiecode bestaat niet.") from None
    if view.swv_code != v.swv_code or not v.sees_brin6(view.brin6):
        raise web.HTTPNotFound(text="Deze verificatiecode bestaat niet.")
    return view


@routes.post("/verificatiecodes/{code_id}/activeren")
async def activate(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    view = await _own_code(request)
    if not _confirmed(await request.post()):
        return _confirm(
            request,
            "Verificatiecode activeren?",
            f"De code {view.fingerprint} voor vestiging {view.brin6} ({view.environment}) activeren? ESIS kan "
            "daarna hulpvragen versturen; een actieve code voor dezelfde omgeving wordt ingetrokken.",
            f"/verificatiecodes/{view.id}/activeren",
        )
    try:
        await codes.activate(st.c.db, view.id, v.actor)
    except Refusal as r:
        return await _page(request, status=409, fouten=[f.message for f in r.findings])
    raise web.HTTPSeeOther("/verificatiecodes?melding=geactiveerd")


@routes.post("/verificatiecodes/{code_id}/intrekken")
async def revoke(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    view = await _own_code(request)
    form = await request.post()
    reden = " ".join(_text(form, "reden", MAX_REASON + 1).split())
    if len(reden) < MIN_REASON or len(reden) > MAX_REASON:
        problem = (
            f"Geef een reden om code {view.fingerprint} in te trekken ({MIN_REASON} tot {MAX_REASON} tekens); "
            "de reden komt in het overzicht en het auditlog."
        )
        return await _page(request, status=400, fouten=[problem], reden_voor=view.id, reden=reden[:MAX_REASON])
    if not _confirmed(form):
        return _confirm(
            request,
            "Verificatiecode intrekken?",
            f"De code {view.fingerprint} voor vestiging {view.brin6} ({view.environment}) intrekken? ESIS kan "
            "met deze code daarna niets meer versturen.",
            f"/verificatiecodes/{view.id}/intrekken",
            velden={"reden": reden},
            toon=reden,
        )
    await codes.revoke(st.c.db, view.id, v.actor, reden)
    raise web.HTTPSeeOther("/verificatiecodes?melding=ingetrokken")


@routes.post("/verificatiecodes/{code_id}/vervangen")
async def rotate(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    view = await _own_code(request)
    form = await request.post()
    typed, too_long = _code_input(form)
    if too_long:
        return await _page(request, status=400, fouten=[too_long])
    code = typed or generate_code(view.brin6)
    try:
        new = await codes.rotate(st.c.db, view.id, code, v.actor)
    except Refusal as r:
        return await _page(request, status=400, fouten=[f.message for f in r.findings])
    return await _page(request, nieuw=new, nieuwe_code=code)
