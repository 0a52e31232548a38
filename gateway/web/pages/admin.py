"""The secretariaat's administration: the audit log (with filters) and the accounts (unlock, reset mail)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import func, or_, select
from sqlmodel import col

from gateway.store.audit import audit
from gateway.store.models import AuditEntry
from gateway.store.models.accounts import Account, Role
from gateway.web.auth.accounts import AccountError, add_account, list_accounts, reset_totp, set_active, unlock
from gateway.web.auth.sessions import start_reset
from gateway.web.pages.context import PAGES, TZ, int_param, render, viewer
from gateway.web.pages.limits import Field, check_fields
from gateway.web.pages.mailer import send_reset_mail

__all__ = ["routes"]

routes = web.RouteTableDef()
_NOTICES = {
    "gedeblokkeerd": "Het account is gedeblokkeerd.",
    "herstelmail": "Er staat een mail klaar om het wachtwoord en de tweestapsverificatie opnieuw in te stellen.",
    "geen_mail": "Dit account heeft geen e-mailadres; vraag de beheerder van de server het adres toe te voegen.",
    "aangemaakt": "Het account is aangemaakt. De gebruiker krijgt een mail om een wachtwoord te kiezen en stelt "
    "daarna bij de eerste keer inloggen de tweestapsverificatie in.",
    "gedeactiveerd": "Het account is gedeactiveerd; de gebruiker is uitgelogd en kan niet meer inloggen.",
    "geactiveerd": "Het account is weer actief.",
    "tweestaps": "De tweestapsverificatie is gewist; bij de volgende keer inloggen stelt de gebruiker haar opnieuw in.",
}
NEW_ACCOUNT_FIELDS = {
    "gebruikersnaam": Field("Gebruikersnaam", 100, required=True),
    "naam": Field("Naam", 200),
    "email": Field("E-mail", 254, required=True),
    "organisatie": Field("School (BRIN4)", 4),
}
ROLE_LABELS = {
    Role.SECRETARIAAT.value: "secretariaat",
    Role.MONITORING.value: "monitoring (alleen lezen, geen leerlingdocumenten)",
    Role.SCHOOLBEHEERDER.value: "schoolbeheerder (ICT van één school)",
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
        mine = or_(mine, col(AuditEntry.swv_code).is_(None))  # type: ignore[arg-type,assignment]  # SQLModel types a column attribute as its Python value
    stmt = select(AuditEntry).where(mine)  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
    count = select(func.count()).select_from(AuditEntry).where(mine)  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
    conditions = []
    if q["actor"]:
        conditions.append(col(AuditEntry.actor).ilike(f"%{q['actor']}%"))
    if q["action"]:
        conditions.append(AuditEntry.action == q["action"])  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
    if q["object_type"]:
        conditions.append(AuditEntry.object_type == q["object_type"])  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
    if q["object_id"]:
        conditions.append(AuditEntry.object_id == q["object_id"])  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
    if (van := _date(q["van"])) is not None:
        conditions.append(AuditEntry.at >= dt.datetime.combine(van, dt.time(), TZ))  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
    if (tot := _date(q["tot"])) is not None:
        conditions.append(AuditEntry.at < dt.datetime.combine(tot + dt.timedelta(days=1), dt.time(), TZ))  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
    stmt, count = stmt.where(*conditions), count.where(*conditions)
    page = int_param(request.query.get("pagina"), 1, low=1) or 1
    size = st.cfg.page_size
    async with st.c.db.reader() as s:
        total = int((await s.exec(count)).scalar() or 0)  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        pages = max(1, -(-total // size))
        page = min(page, pages)
        rows = list(
            (
                await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                    stmt.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
                    .offset((page - 1) * size)
                    .limit(size)
                )
            ).scalars()
        )
        actions = sorted(a for (a,) in (await s.exec(select(col(AuditEntry.action)).distinct())).all())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    base = urlencode({k: val for k, val in q.items() if val})
    return render(
        request,
        "audit.html",
        {"rows": rows, "q": q, "total": total, "page": page, "pages": pages, "actions": actions, "base": base},
    )


async def _accounts_page(request: web.Request, *, status: int = 200, **extra: object) -> web.Response:
    st, v = request.app[PAGES], viewer(request)
    accounts = await list_accounts(st.c.db, v.swv_code)
    ctx = {
        "accounts": accounts,
        "rollen": ROLE_LABELS,
        "velden": {},
        "melding": None if extra.get("fout") else _NOTICES.get(request.query.get("melding", "")),
        **extra,
    }
    return render(request, "accounts.html", ctx, status=status)


@routes.get("/accounts")
async def accounts_page(request: web.Request) -> web.StreamResponse:
    return await _accounts_page(request)


@routes.post("/accounts")
async def create_account(request: web.Request) -> web.StreamResponse:
    """A new account through the same function as `gateway users add`; the user sets the password through a
    reset mail and enrols the second factor at the first log-in (no secret is shown on the page)."""
    st, v = request.app[PAGES], viewer(request)
    form = await request.post()
    values = {k: " ".join(str(form.get(k, "")).split()) for k in (*NEW_ACCOUNT_FIELDS, "rol")}
    problems = check_fields(values, NEW_ACCOUNT_FIELDS)
    if values["rol"] not in ROLE_LABELS:
        problems.append("Kies een rol.")
    if values["rol"] == Role.SCHOOLBEHEERDER.value and len(values["organisatie"]) != 4:
        problems.append("Een schoolbeheerder hoort bij een school: vul de BRIN4 in (bijvoorbeeld 14SS).")
    if values["email"] and "@" not in values["email"]:
        problems.append("Het e-mailadres is ongeldig.")
    new = None
    if not problems:
        school = values["rol"] == Role.SCHOOLBEHEERDER.value
        try:
            new = await add_account(
                st.c.db,
                organisatie=values["organisatie"] if school else v.swv_code,
                gebruikersnaam=values["gebruikersnaam"],
                role=values["rol"],
                swv_code=v.swv_code,
                brin4=values["organisatie"] if school else None,
                email=values["email"],
                naam=values["naam"] or None,
                with_totp=False,
                password_log2_n=st.cfg.password_log2_n,
                actor=v.actor,
            )
        except AccountError as exc:
            problems.append(str(exc))
    if new is None:
        kept = {k: val[:300] for k, val in values.items()}
        return await _accounts_page(request, status=400, fout=" ".join(problems), velden=kept)
    found = await start_reset(st.c.db, st.cfg, new.organisatie, new.gebruikersnaam)
    if found is not None:
        await send_reset_mail(request.app, found[0], found[1])
    raise web.HTTPSeeOther("/accounts?melding=aangemaakt")


def _confirmed(form: object) -> bool:
    return getattr(form, "get", lambda _k: None)("bevestigd") == "ja"


def _confirm(request: web.Request, titel: str, vraag: str, actie: str) -> web.Response:
    return render(
        request, "bevestigen.html", {"titel": titel, "vraag": vraag, "actie": actie, "velden": {}, "terug": "/accounts"}
    )


@routes.post("/accounts/{account_id}/deactiveren")
async def deactivate_account(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    account = await _account(request)
    assert account.id is not None
    if account.id == v.account.id:
        return await _accounts_page(request, status=400, fout="U kunt uw eigen account niet deactiveren.")
    if not _confirmed(await request.post()):
        who = f"{account.organisatie}/{account.gebruikersnaam}"
        return _confirm(
            request,
            "Account deactiveren?",
            f"Account {who} deactiveren? De gebruiker wordt direct uitgelogd en kan niet meer inloggen.",
            f"/accounts/{account.id}/deactiveren",
        )
    await set_active(st.c.db, account.id, False, actor=v.actor, swv_code=v.swv_code)
    raise web.HTTPSeeOther("/accounts?melding=gedeactiveerd")


@routes.post("/accounts/{account_id}/activeren")
async def reactivate_account(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    account = await _account(request)
    assert account.id is not None
    await set_active(st.c.db, account.id, True, actor=v.actor, swv_code=v.swv_code)
    raise web.HTTPSeeOther("/accounts?melding=geactiveerd")


@routes.post("/accounts/{account_id}/tweestaps-wissen")
async def reset_second_factor(request: web.Request) -> web.StreamResponse:
    """Through the same function as `gateway users reset-totp`."""
    st, v = request.app[PAGES], viewer(request)
    account = await _account(request)
    assert account.id is not None
    if not _confirmed(await request.post()):
        who = f"{account.organisatie}/{account.gebruikersnaam}"
        return _confirm(
            request,
            "Tweestapsverificatie opnieuw laten instellen?",
            f"De tweestapsverificatie van {who} wissen? De gebruiker wordt uitgelogd en stelt bij de volgende keer "
            "inloggen (met het eigen wachtwoord) een nieuwe authenticator-app in.",
            f"/accounts/{account.id}/tweestaps-wissen",
        )
    await reset_totp(st.c.db, account.id, actor=v.actor)
    raise web.HTTPSeeOther("/accounts?melding=tweestaps")


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
