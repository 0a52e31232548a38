"""Koppelcheck: the same report as `gateway koppelcheck`, per vestiging, with what to do next.

A schoolbeheerder sees its own school's vestigingen; the secretariaat and monitoring see all of the SWV's.
The report is made by gateway.registry.koppelcheck (as for the CLI); this page only renders it.
"""

from __future__ import annotations

from aiohttp import web

from gateway.registry.koppelcheck import koppelcheck
from gateway.store.audit import audit
from gateway.web.pages.codes import _vestigingen
from gateway.web.pages.context import PAGES, render, viewer

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.get("/koppelcheck")
async def overview(request: web.Request) -> web.StreamResponse:
    v = viewer(request)
    vestigingen = await _vestigingen(request, v)
    return render(request, "koppelcheck_overzicht.html", {"vestigingen": vestigingen})


@routes.get("/koppelcheck/{brin6}")
async def report(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    brin6 = request.match_info["brin6"].upper()[:6]
    if not v.sees_brin6(brin6) or brin6 not in {x.brin6 for x in await _vestigingen(request, v)}:
        raise web.HTTPNotFound(text="Deze vestiging is niet bekend of niet van uw school.")
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
    return render(request, "koppelcheck.html", {"brin6": brin6, "report": result})
