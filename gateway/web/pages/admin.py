"""The secretariaat's administration: the audit log (with filters) and the accounts (unlock, reset mail)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import func, or_, select

from gateway.store.audit import audit
from gateway.store.models import AuditEntry
from gateway.store.models.accounts import Account
from gateway.web.auth.accounts import list_accounts, unlock
from gateway.web.auth.sessions import start_reset
from gateway.web.pages.context import PAGES, TZ, int_param, render, viewer
from gateway.web.pages.mailer import send_reset_mail

__all__ = ["routes"]

routes = web.RouteTableDef()
_NOTICES = {
    "gedeblokkeerd": "Het account is gedeblokkeerd.",
    "herstelmail": "Er staat een mail klaar om het wachtwoord en de tweestapsverificatie opnieuw in te stellen.",
    "geen_mail": "Dit account heeft geen e-mailadres; gebruik 'gateway users' op de server.",
}


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@routes.get("/audit")
async def audit_page(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    q = {
        k: " ".join(str(request.query.get(k, "")).split())[:100]
        for k in ("actor", "action", "object_type", "object_id", "van", "tot")
    }
    # entries without an SWV (written by code that does not know it) belong to the gateway's own SWV
    mine = AuditEntry.swv_code == v.swv_code
    if v.swv_code == st.c.settings.swv_code:
        mine = or_(mine, AuditEntry.swv_code.is_(None))  # type: ignore[union-attr]
    stmt = select(AuditEntry).where(mine)
    count = select(func.count()).select_from(AuditEntry).where(mine)
    conditions = []
    if q["actor"]:
        conditions.append(AuditEntry.actor.ilike(f"%{q['actor']}%"))  # type: ignore[attr-defined]
    if q["action"]:
        conditions.append(AuditEntry.action == q["action"])
    if q["object_type"]:
        conditions.append(AuditEntry.object_type == q["object_type"])
    if q["object_id"]:
        conditions.append(AuditEntry.object_id == q["object_id"])
    if (van := _date(q["van"])) is not None:
        conditions.append(AuditEntry.at >= dt.datetime.combine(van, dt.time(), TZ))
    if (tot := _date(q["tot"])) is not None:
        conditions.append(AuditEntry.at < dt.datetime.combine(tot + dt.timedelta(days=1), dt.time(), TZ))
    stmt, count = stmt.where(*conditions), count.where(*conditions)
    page = int_param(request.query.get("pagina"), 1, low=1) or 1
    size = st.cfg.page_size
    async with st.c.db.reader() as s:
        total = int((await s.exec(count)).scalar() or 0)  # type: ignore[call-overload]
        pages = max(1, -(-total // size))
        page = min(page, pages)
        rows = list(
            (
                await s.exec(
                    stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())  # type: ignore[call-overload,attr-defined,union-attr]
                    .offset((page - 1) * size)
                    .limit(size)
                )
            ).scalars()
        )
        actions = sorted(a for (a,) in (await s.exec(select(AuditEntry.action).distinct())).all())  # type: ignore[call-overload]
    base = urlencode({k: val for k, val in q.items() if val})
    return render(
        request,
        "audit.html",
        {"rows": rows, "q": q, "total": total, "page": page, "pages": pages, "actions": actions, "base": base},
    )


@routes.get("/accounts")
async def accounts_page(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    accounts = await list_accounts(st.c.db, v.swv_code)
    return render(
        request, "accounts.html", {"accounts": accounts, "melding": _NOTICES.get(request.query.get("melding", ""))}
    )


async def _account(request: web.Request) -> Account:
    st, v = request.app[PAGES], viewer(request)
    account_id = int_param(request.match_info["account_id"])
    for a in await list_accounts(st.c.db, v.swv_code):
        if a.id == account_id:
            return a
    raise web.HTTPNotFound(text="Dit account bestaat niet.")


@routes.post("/accounts/{account_id}/deblokkeren")
async def unlock_account(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    account = await _account(request)
    assert account.id is not None
    await unlock(st.c.db, account.id, actor=v.actor, swv_code=v.swv_code)
    raise web.HTTPSeeOther("/accounts?melding=gedeblokkeerd")


@routes.post("/accounts/{account_id}/herstelmail")
async def reset_mail(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    account = await _account(request)
    found = await start_reset(st.c.db, st.cfg, account.organisatie, account.gebruikersnaam)
    if found is None:
        raise web.HTTPSeeOther("/accounts?melding=geen_mail")
    await send_reset_mail(request.app, found[0], found[1])
    async with st.c.db.session() as s:
        audit(
            s,
            actor=v.actor,
            action="herstelmail_verstuurd",
            object_type="account",
            object_id=account.id,
            swv_code=v.swv_code,
        )
    raise web.HTTPSeeOther("/accounts?melding=herstelmail")
