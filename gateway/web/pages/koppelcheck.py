"""Koppelcheck: the same report as `gateway koppelcheck`, per vestiging, with what a person does next.

A schoolbeheerder sees its own school's vestigingen; the secretariaat and monitoring see all of the SWV's.
The report is made by gateway.registry.koppelcheck (as for the CLI) and judges the vestiging on its own
channel (ESIS: verificatiecodes and ESIS exchanges; ParnasSys: mandates and routeringskenmerk). Where the
gateway can act itself, the page offers the button: the secretariaat fetches a school's mandates from the
OSR ("Mandaten nu ophalen") through the same lookup the intake uses.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.errors import Transient
from gateway.registry.koppelcheck import MANDATE_KEYS, koppelcheck, today
from gateway.registry.mandates import parties_from_settings, replace_mandates
from gateway.store.audit import audit
from gateway.web.pages.codes import _vestigingen
from gateway.web.pages.context import PAGES, render, viewer

__all__ = ["routes"]

routes = web.RouteTableDef()

STATUS_LABELS = {"ok": "in orde", "fout": "actie nodig", "waarschuwing": "let op", "onbekend": "onbekend"}
_NOTICES = {"opgehaald": "De mandaten zijn opnieuw opgehaald uit het OSR."}


@routes.get("/koppelcheck")
async def overview(request: web.Request) -> web.StreamResponse:
    v = viewer(request)
    vestigingen = await _vestigingen(request, v)
    return render(request, "koppelcheck_overzicht.html", {"vestigingen": vestigingen})


async def _visible(request: web.Request) -> str:
    v = viewer(request)
    brin6 = request.match_info["brin6"].upper()[:6]
    if not v.sees_brin6(brin6) or brin6 not in {x.brin6 for x in await _vestigingen(request, v)}:
        raise web.HTTPNotFound(text="Deze vestiging is niet bekend of niet van uw school.")
    return brin6


async def _page(request: web.Request, brin6: str, *, fout: str | None = None, status: int = 200) -> web.Response:
    st, v = request.app[PAGES], viewer(request)
    result = await koppelcheck(st.c, brin6)
    async with st.c.db.session() as s:
        audit(
            s,
            actor=v.actor,
            action="koppelcheck_bekeken",
            object_type="vestiging",
            object_id=brin6,
            swv_code=v.swv_code,
            gereed=bool(result.ready),
        )
    keys = {line.key for line in result.lines}
    can_fetch = (
        v.is_secretariaat
        and "mandate_lookup" in st.c.extras
        and any(line.key in MANDATE_KEYS and line.status.value != "ok" for line in result.lines)
    )
    ctx: dict[str, Any] = {
        "brin6": brin6,
        "report": result,
        "labels": STATUS_LABELS,
        "esis": "esis_verificatiecodes" in keys and "mandaat_parnassys" not in keys,
        "can_fetch": can_fetch,
        "fout": fout,
        "melding": None if fout else _NOTICES.get(request.query.get("melding", "")),
    }
    return render(request, "koppelcheck.html", ctx, status=status)


@routes.get("/koppelcheck/{brin6}")
async def report(request: web.Request) -> web.StreamResponse:
    return await _page(request, await _visible(request))


@routes.post("/koppelcheck/{brin6}/mandaten-ophalen")
async def fetch_mandates(request: web.Request) -> web.StreamResponse:
    """Ask the OSR afresh for this school's mandates and store the answer (as `gateway osr sync` does)."""
    st, v = request.app[PAGES], viewer(request)
    brin6 = await _visible(request)
    lookup = st.c.extras.get("mandate_lookup")
    if lookup is None:
        return await _page(request, brin6, fout="Het OSR is in deze installatie niet ingesteld.", status=503)
    try:
        facts = await lookup.mandates_for(brin6[:4], today(), force=True)
    except Transient:
        facts = None
    if facts is None or facts.source != "osr":
        problem = (
            "Het OSR antwoordde niet; de opgeslagen mandaten blijven staan. Probeer het over een paar minuten opnieuw."
        )
        return await _page(request, brin6, fout=problem, status=503)
    parties = parties_from_settings(st.c.settings.section("osr"))
    await replace_mandates(
        st.c.db, {brin6[:4]: facts.mandates}, bron="osr", parties=parties, actor=v.actor, swv_code=v.swv_code
    )
    raise web.HTTPSeeOther(f"/koppelcheck/{brin6}?melding=opgehaald")
