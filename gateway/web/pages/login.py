"""Log-in (organisation, user name, password, TOTP code), log-out, password reset and TOTP enrolment."""

from __future__ import annotations

from aiohttp import web

from gateway.logging import get_logger
from gateway.store.models.accounts import Role
from gateway.web.auth.accounts import authenticate, enrol_totp
from gateway.web.auth.sessions import (
    complete_reset,
    create_session,
    end_session,
    reset_account,
    start_reset,
)
from gateway.web.auth.totp import new_secret, provisioning_uri, qr_svg
from gateway.web.pages.context import PAGES, SESSION_COOKIE, VIEWER, render, viewer
from gateway.web.pages.mailer import send_reset_mail
from gateway.web.pages.middleware import set_cookie
from gateway.web.pages.security import LOGIN_THROTTLE, LoginThrottle, client_address, pause_message

__all__ = ["routes"]

log = get_logger(__name__)
routes = web.RouteTableDef()

_NOTICES = {
    "uit": "U bent uitgelogd.",
    "hersteld": "Uw wachtwoord en tweestapsverificatie zijn ingesteld. Log nu in met de code uit uw app.",
    "verlopen": "Uw sessie is verlopen. Log opnieuw in.",
}


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _field(form: object, name: str, limit: int = 200) -> str:
    value = form.get(name) if hasattr(form, "get") else None
    return value.strip()[:limit] if isinstance(value, str) else ""


async def _start(request: web.Request, account_id: int, stage: str, target: str) -> web.HTTPSeeOther:
    st = request.app[PAGES]
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await end_session(st.c.db, old)  # a fresh token at every log-in (no session fixation)
    token, _ = await create_session(st.c.db, st.cfg, account_id, stage)
    exc = web.HTTPSeeOther(target if stage == "volledig" else "/tweestaps-instellen")
    set_cookie(request, exc, SESSION_COOKIE, token, max_age=int(st.cfg.session_max.total_seconds()))
    return exc


@routes.get("/inloggen")
async def login_form(request: web.Request) -> web.StreamResponse:
    v = request.get(VIEWER)
    if v is not None and v.stage == "volledig":
        raise web.HTTPSeeOther("/")
    notice = _NOTICES.get(request.query.get("melding", ""))
    return render(
        request,
        "inloggen.html",
        {
            "melding": notice,
            "volgende": _safe_next(request.query.get("volgende")),
            "organisatie": request.app[PAGES].c.settings.swv_code,
        },
    )


@routes.post("/inloggen")
async def login(request: web.Request) -> web.StreamResponse:
    st = request.app[PAGES]
    form = await request.post()
    org, user = _field(form, "organisatie", 20), _field(form, "gebruikersnaam", 100)
    ctx = {"organisatie": org, "gebruikersnaam": user, "volgende": _safe_next(_field(form, "volgende", 500))}
    throttle = request.app[LOGIN_THROTTLE]
    ip, key = client_address(request, st.c.settings.trusted_proxies), LoginThrottle.account_key(org, user)
    pause = throttle.paused(ip, key)
    if pause is not None:  # answered without looking at the password: a guess now counts for nothing
        log.warning("inloggen_gepauzeerd", client=ip, reden=pause.scope, seconden=round(pause.seconds))
        response = render(request, "inloggen.html", {**ctx, "fout": pause_message(pause)}, status=429)
        response.headers["Retry-After"] = str(max(1, round(pause.seconds)))
        return response
    result = await authenticate(st.c.db, st.cfg, org, user, _field(form, "wachtwoord"), _field(form, "code", 20))
    if not result.ok:
        throttle.failure(ip, key)
        return render(request, "inloggen.html", {**ctx, "fout": result.message}, status=401)
    throttle.success(key)
    assert result.account is not None and result.account.id is not None and result.stage is not None
    raise await _start(request, result.account.id, result.stage, _safe_next(_field(form, "volgende", 500)))


@routes.post("/uitloggen")
async def logout(request: web.Request) -> web.StreamResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await end_session(request.app[PAGES].c.db, token)
    exc = web.HTTPSeeOther("/inloggen?melding=uit")
    exc.del_cookie(SESSION_COOKIE, path="/")
    raise exc


@routes.get("/")
async def home(request: web.Request) -> web.StreamResponse:
    v = viewer(request)
    raise web.HTTPSeeOther("/koppelcheck" if v.role is Role.SCHOOLBEHEERDER else "/wachtrij")


# -- password reset through the mail outbox ------------------------------------------------------------
@routes.get("/wachtwoord-vergeten")
async def forgot_form(request: web.Request) -> web.StreamResponse:
    return render(request, "wachtwoord_vergeten.html", {"organisatie": request.app[PAGES].c.settings.swv_code})


@routes.post("/wachtwoord-vergeten")
async def forgot(request: web.Request) -> web.StreamResponse:
    st = request.app[PAGES]
    form = await request.post()
    found = await start_reset(st.c.db, st.cfg, _field(form, "organisatie", 20), _field(form, "gebruikersnaam", 100))
    if found is not None:
        account, token = found
        await send_reset_mail(request.app, account, token)
    # the same answer whether or not the account exists
    return render(request, "wachtwoord_vergeten.html", {"verstuurd": True})


def _enrolment_context(secret: str, org: str, user: str) -> dict[str, object]:
    uri = provisioning_uri(secret, org, user)
    return {"secret": secret, "qr": qr_svg(uri), "uri": uri}


@routes.get("/wachtwoord-instellen/{token}")
async def reset_form(request: web.Request) -> web.StreamResponse:
    account = await reset_account(request.app[PAGES].c.db, request.match_info["token"])
    if account is None:
        return render(
            request,
            "fout.html",
            {
                "titel": "Link verlopen",
                "bericht": "Deze link is verlopen of al gebruikt. Vraag een nieuwe aan via 'Wachtwoord vergeten'.",
            },
            status=404,
        )
    ctx = _enrolment_context(new_secret(), account.organisatie, account.gebruikersnaam)
    return render(request, "wachtwoord_instellen.html", {**ctx, "account": account})


@routes.post("/wachtwoord-instellen/{token}")
async def reset(request: web.Request) -> web.StreamResponse:
    st = request.app[PAGES]
    token = request.match_info["token"]
    form = await request.post()
    secret = _field(form, "secret", 64)
    problem = await complete_reset(
        st.c.db, st.cfg, token, _field(form, "wachtwoord"), _field(form, "herhaling"), secret, _field(form, "code", 20)
    )
    if problem is None:
        raise web.HTTPSeeOther("/inloggen?melding=hersteld")
    account = await reset_account(st.c.db, token)
    if account is None or not secret:
        return render(request, "fout.html", {"titel": "Link verlopen", "bericht": problem}, status=404)
    ctx = _enrolment_context(secret, account.organisatie, account.gebruikersnaam)
    return render(request, "wachtwoord_instellen.html", {**ctx, "account": account, "fout": problem}, status=400)


# -- enrolment of the second factor after a log-in without one --------------------------------------------
@routes.get("/tweestaps-instellen")
async def enrol_form(request: web.Request) -> web.StreamResponse:
    v = viewer(request)
    if v.stage == "volledig":
        raise web.HTTPSeeOther("/")
    ctx = _enrolment_context(new_secret(), v.account.organisatie, v.account.gebruikersnaam)
    return render(request, "tweestaps.html", ctx)


@routes.post("/tweestaps-instellen")
async def enrol(request: web.Request) -> web.StreamResponse:
    v = viewer(request)
    if v.stage == "volledig":
        raise web.HTTPSeeOther("/")
    form = await request.post()
    secret = _field(form, "secret", 64)
    assert v.account.id is not None
    if secret and await enrol_totp(request.app[PAGES].c.db, v.account.id, secret, _field(form, "code", 20)):
        raise await _start(request, v.account.id, "volledig", "/")
    ctx = _enrolment_context(secret or new_secret(), v.account.organisatie, v.account.gebruikersnaam)
    ctx["fout"] = "De code klopt niet. Neem de nieuwste code uit de app (een code die net ververst is)."
    return render(request, "tweestaps.html", ctx, status=400)
