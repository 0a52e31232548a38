"""Inkomende wachtrij: the exchange table with filters and counts, the detail with its timeline, the actions."""

from __future__ import annotations

import json

from aiohttp import web
from sqlalchemy import func, select
from sqlmodel import col

from gateway.store.audit import audit
from gateway.store.db import Database
from gateway.store.models import Exchange, ExchangeEvent, ExchangeState
from gateway.web.pages.actions import ActionError, refuse_exchange, release_exchange, retry_exchanges
from gateway.web.pages.context import PAGES, int_param, render, viewer
from gateway.web.pages.queue_query import (
    RETRYABLE,
    QueueFilter,
    matching_ids,
    names_by_brin6,
    read_queue,
    reason_codes,
)
from gateway.web.pages.texts import (
    SOURCES,
    STATE_LABELS,
    reason_of,
    reasons_of,
    retry_hint,
    source_label,
    state_label,
)

__all__ = ["format_age", "routes"]

routes = web.RouteTableDef()
RAW_LIMIT = 256 * 1024
MAX_REFUSAL_REASON = 1000

_NOTICES = {
    "opnieuw": "De uitwisseling is opnieuw aangeboden; de verwerking start zo.",
    "vrijgegeven": "De uitwisseling is vrijgegeven en wordt opnieuw verwerkt.",
    "geweigerd": "De uitwisseling is geweigerd; de reden is vastgelegd.",
    "niets": "Er was niets om opnieuw aan te bieden.",
}


def format_age(age: object) -> str:
    import datetime as dt

    if not isinstance(age, dt.timedelta):
        return "—"
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return "minder dan een minuut"
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} uur"
    return f"{hours // 24} dagen"


@routes.get("/wachtrij")
async def queue_page(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    flt = QueueFilter.from_query(request.query)
    page = int_param(request.query.get("pagina"), 1, low=1) or 1
    data = await read_queue(st.c.db, v.swv_code, flt, page, st.cfg.page_size)
    ctx = {
        "flt": flt,
        "data": data,
        "states": STATE_LABELS,
        "sources": SOURCES,
        "state_label": state_label,
        "reason_of": reason_of,
        "reasons_of": reasons_of,
        "reason_codes": await reason_codes(st.c.db, v.swv_code),
        "source_label": source_label,
        "oldest": format_age(data.oldest_waiting),
        "retryable": RETRYABLE,
        "refresh": st.cfg.queue_refresh_seconds,
        "melding": _NOTICES.get(request.query.get("melding", "")),
        "aantal": int_param(request.query.get("aantal")),
    }
    return render(request, "wachtrij.html", ctx)


async def _exchange(request: web.Request) -> Exchange:
    st, v = request.app[PAGES], viewer(request)
    exchange_id = int_param(request.match_info["exchange_id"])
    if exchange_id is None:
        raise web.HTTPNotFound()
    async with st.c.db.reader() as s:
        row = (
            (
                await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                    select(Exchange).where(col(Exchange.id) == exchange_id, col(Exchange.swv_code) == v.swv_code)
                )
            )
            .scalars()
            .first()
        )
    if row is None:
        raise web.HTTPNotFound(text="Deze uitwisseling bestaat niet.")
    return row


@routes.get("/wachtrij/{exchange_id}")
async def exchange_detail(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    ex = await _exchange(request)
    async with st.c.db.session() as s:
        events = list(
            (
                await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                    select(ExchangeEvent)
                    .where(col(ExchangeEvent.exchange_id) == ex.id)
                    .order_by(col(ExchangeEvent.at), col(ExchangeEvent.id))
                )
            ).scalars()
        )
        names = await names_by_brin6(s, {ex.brin6} if ex.brin6 else set(), v.swv_code)
        audit(
            s,
            actor=v.actor,
            action="uitwisseling_bekeken",
            object_type="exchange",
            object_id=ex.id,
            swv_code=v.swv_code,
        )
    school, ves = names.get(ex.brin6 or "", (None, None))
    ctx = {
        "ex": ex,
        "events": events,
        "school": school,
        "vestiging": ves,
        "state_label": state_label(ex),
        "reason": reason_of(ex),
        "reasons": reasons_of(ex),
        "retry_hint": retry_hint(ex) if v.is_secretariaat else None,
        "source": source_label(ex.source),
        "aanvraagtype": ex.meta.get("aanvraagtype") if isinstance(ex.meta.get("aanvraagtype"), str) else None,
        "retryable": ex.state in RETRYABLE and not ex.payload_purged,
        "held": ex.state == ExchangeState.VASTGEHOUDEN.value,
        "melding": _NOTICES.get(request.query.get("melding", "")),
    }
    return render(request, "uitwisseling.html", ctx)


@routes.get("/wachtrij/{exchange_id}/ruw")
async def exchange_raw(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    ex = await _exchange(request)
    async with st.c.db.session() as s:
        audit(
            s,
            actor=v.actor,
            action="uitwisseling_ruw_bekeken",
            object_type="exchange",
            object_id=ex.id,
            swv_code=v.swv_code,
        )
    payload = ex.payload or b""
    text = payload[:RAW_LIMIT].decode("utf-8", errors="replace")
    ctx = {
        "ex": ex,
        "payload": text,
        "truncated": len(payload) > RAW_LIMIT,
        "size": len(payload),
        "meta": json.dumps(ex.meta, indent=2, ensure_ascii=False, default=str),
    }
    return render(request, "uitwisseling_ruw.html", ctx)


async def _count_refused(db: Database, ids: list[int]) -> int:
    if not ids:
        return 0
    async with db.reader() as s:
        stmt = select(func.count()).where(
            col(Exchange.id).in_(ids),
            col(Exchange.state) == ExchangeState.GEWEIGERD.value,
        )
        return int((await s.exec(stmt)).scalar() or 0)  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


def _confirmed(form: object) -> bool:
    return getattr(form, "get", lambda _k: None)("bevestigd") == "ja"


def _confirm_exchange_action(
    request: web.Request, ex: Exchange, action: str, titel: str, vraag: str, **extra: object
) -> web.StreamResponse:
    """The confirmation page for an action on one exchange (the form posts again with bevestigd=ja)."""
    context = {"titel": titel, "vraag": vraag, "actie": f"/wachtrij/{ex.id}/{action}", "velden": {}}
    return render(request, "bevestigen.html", {**context, "terug": f"/wachtrij/{ex.id}", **extra})


@routes.post("/wachtrij/{exchange_id}/opnieuw")
async def retry_one(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    ex = await _exchange(request)
    form = await request.post()
    if not _confirmed(form):
        return _confirm_exchange_action(
            request,
            ex,
            "opnieuw",
            "Opnieuw aanbieden?",
            f"Uitwisseling {ex.id} opnieuw aanbieden? De gateway verwerkt haar dan direct opnieuw.",
            waarschuwing=retry_hint(ex),
        )
    assert ex.id is not None
    moved = await retry_exchanges(st.c, [ex.id], actor=v.actor, swv_code=v.swv_code)
    raise web.HTTPSeeOther(f"/wachtrij/{ex.id}?melding={'opnieuw' if moved else 'niets'}")


@routes.post("/wachtrij/opnieuw")
async def retry_matching(request: web.Request) -> web.StreamResponse:
    """Retry all retryable exchanges that match the filter (or the ticked ones)."""
    st, v = request.app[PAGES], viewer(request)
    form = await request.post()
    flt = QueueFilter.from_query({k: str(val) for k, val in form.items() if isinstance(val, str)})
    ticked = [i for i in (int_param(str(x)) for x in form.getall("ids", [])) if i is not None]
    ids = ticked or await matching_ids(st.c.db, v.swv_code, flt)
    if not _confirmed(form):
        velden = {**flt.as_dict()}
        refused = await _count_refused(st.c.db, ids)
        return render(
            request,
            "bevestigen.html",
            {
                "titel": "Alles opnieuw aanbieden?",
                "vraag": f"{len(ids)} uitwisseling(en) opnieuw aanbieden"
                + (
                    " (de aangevinkte)."
                    if ticked
                    else " die aan het filter voldoen (wacht op herhaling, vastgehouden of geweigerd)."
                ),
                "actie": "/wachtrij/opnieuw",
                "velden": velden,
                "ids": ticked,
                "terug": f"/wachtrij?{flt.query_string()}",
                "waarschuwing": (
                    f"{refused} hiervan zijn geweigerd om wat de school stuurde: die worden opnieuw geweigerd tenzij "
                    "de school het eerst heeft aangepast (bij ParnasSys in het dossier)."
                    if refused
                    else None
                ),
            },
        )
    moved = await retry_exchanges(st.c, ids, actor=v.actor, swv_code=v.swv_code, bulk=True, filter_desc=flt.as_dict())
    raise web.HTTPSeeOther(f"/wachtrij?{flt.query_string(melding='opnieuw' if moved else 'niets', aantal=moved)}")


@routes.post("/wachtrij/{exchange_id}/vrijgeven")
async def release(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    ex = await _exchange(request)
    form = await request.post()
    if not _confirmed(form):
        return _confirm_exchange_action(
            request,
            ex,
            "vrijgeven",
            "Vrijgeven?",
            f"Uitwisseling {ex.id} vrijgeven? Ze wordt dan verwerkt alsof de regel die haar vasthield, is "
            "beoordeeld en goedgekeurd.",
        )
    assert ex.id is not None
    try:
        await release_exchange(st.c, ex.id, actor=v.actor, swv_code=v.swv_code)
    except ActionError as e:
        return render(request, "fout.html", {"titel": "Niet vrijgegeven", "bericht": str(e)}, status=409)
    raise web.HTTPSeeOther(f"/wachtrij/{ex.id}?melding=vrijgegeven")


@routes.post("/wachtrij/{exchange_id}/weigeren")
async def refuse(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    ex = await _exchange(request)
    form = await request.post()
    reden = " ".join(str(form.get("reden", "")).split())
    if not 5 <= len(reden) <= MAX_REFUSAL_REASON:
        problem = f"Geef de school een reden van 5 tot {MAX_REFUSAL_REASON} tekens (nu {len(reden)})."
        return render(
            request,
            "fout.html",
            {"titel": "Niet geweigerd", "bericht": problem, "terug": f"/wachtrij/{ex.id}"},
            status=400,
        )
    if not _confirmed(form):
        return _confirm_exchange_action(
            request,
            ex,
            "weigeren",
            "Weigeren?",
            f"Uitwisseling {ex.id} weigeren met deze reden? De school krijgt de reden te zien.",
            velden={"reden": reden},
            toon=reden,
        )
    assert ex.id is not None
    try:
        await refuse_exchange(st.c, ex.id, reden, actor=v.actor, swv_code=v.swv_code)
    except ActionError as e:
        return render(request, "fout.html", {"titel": "Niet geweigerd", "bericht": str(e)}, status=409)
    raise web.HTTPSeeOther(f"/wachtrij/{ex.id}?melding=geweigerd")
