"""The access-policy middleware: session, role, second-factor stage and CSRF, for every route of the app.

Order of checks for a request that matched a route:
1. the route's declared access (gateway.web.pages.policy); undeclared → 403 for everyone;
2. machine routes pass untouched (they authenticate their callers themselves);
3. the session cookie is loaded; public pages get a pre-log-in CSRF cookie (double submit);
4. no session → to the log-in page (GET) or 403; a session that still has to enrol its second factor only
   reaches the enrolment page; a role outside the route's roles → 403;
5. every non-GET request must carry the session's CSRF token (form field ``csrf`` or ``X-CSRF-Token``).
Before 3, a state-changing request whose Origin/Referer names another site is refused (`security`); every
page answer carries the security headers, plus HSTS when ``public_url`` is https.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from aiohttp import web

from gateway.logging import get_logger
from gateway.web.auth.sessions import load_session
from gateway.web.pages.context import PAGES, PRE_COOKIE, PRE_CSRF, SESSION_COOKIE, VIEWER, Viewer, render
from gateway.web.pages.policy import access_for
from gateway.web.pages.security import HSTS, origin_allowed

__all__ = ["guard", "set_cookie"]

log = get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_SAFE = ("GET", "HEAD", "OPTIONS")
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def set_cookie(
    request: web.Request, response: web.StreamResponse, name: str, value: str, *, max_age: int | None
) -> None:
    cfg = request.app[PAGES].cfg
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, secure=cfg.cookies_secure(), samesite="Strict"
    )


async def _form_token(request: web.Request) -> str:
    header = request.headers.get("X-CSRF-Token")
    if header:
        return header
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        value = form.get("csrf")
        return value if isinstance(value, str) else ""
    return ""


_MACHINE_PREFIXES = ("/esis/", "/api/", "/oso/", "/health/", "/metrics")
_ERROR_TITLES = {
    400: ("Verzoek niet te verwerken", "Het verzoek kon niet worden verwerkt. Ga terug en probeer het opnieuw."),
    403: ("Geen toegang", "U heeft geen toegang tot deze pagina."),
    404: ("Pagina niet gevonden", "Deze pagina bestaat niet (meer). Controleer het adres of ga naar de startpagina."),
    405: ("Niet toegestaan", "Deze pagina kan zo niet worden gebruikt. Ga terug en gebruik de knoppen op de pagina."),
    413: ("Te groot", "Wat u verstuurde is te groot. Kies een kleiner bestand of minder tekst."),
}


def _error_page(request: web.Request, exc: web.HTTPException) -> web.Response:
    """An HTTP error as a Dutch page in the layout (the handler's own Dutch text, when it gave one)."""
    titel, standaard = _ERROR_TITLES.get(
        exc.status, ("Er ging iets mis", "Er ging iets mis. Probeer het later opnieuw.")
    )
    own = exc.text or ""
    bericht = own if own and not own.startswith(f"{exc.status}:") and exc.status != 413 else standaard
    terug = None
    if exc.status == 413:  # aiohttp's own English text names the byte limit; say it in Dutch, in MB
        limit = request.app[PAGES].c.settings.max_request_bytes
        bericht = (
            f"Wat u verstuurde is groter dan {limit / 1_048_576:.0f} MB en is niet gelezen. Kies een kleiner bestand "
            "(splits een groot CSV-bestand in delen) en probeer het opnieuw."
        )
        terug = request.path if request.method == "POST" else None
    response = render(request, "fout.html", {"titel": titel, "bericht": bericht, "terug": terug}, status=exc.status)
    for k, v in _HEADERS.items():
        response.headers[k] = v
    return response


async def _unmatched(request: web.Request, handler: Handler) -> web.StreamResponse:
    st = request.app[PAGES]
    token = request.cookies.get(SESSION_COOKIE, "")
    active = await load_session(st.c.db, st.cfg, token) if token else None
    if active is not None:
        request[VIEWER] = Viewer(active.account, active.session.stage, active.session.csrf_token)
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _error_page(request, exc)


def _forbidden(request: web.Request, message: str) -> web.Response:
    return render(request, "fout.html", {"titel": "Geen toegang", "bericht": message}, status=403)


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    resource = request.match_info.route.resource
    if resource is None:  # 404 / 405: nothing matched
        if request.path.startswith(_MACHINE_PREFIXES):
            return await handler(request)  # machine clients get aiohttp's plain answer
        return await _unmatched(request, handler)
    access = access_for(request.method, resource.canonical, machine_routes=request.app[PAGES].c.machine_routes)
    if access is None:
        log.warning("route_zonder_beleid", method=request.method, path=resource.canonical)
        return web.Response(status=403, text="Geen toegang: deze route heeft geen toegangsbeleid.")
    if access.machine:
        return await handler(request)
    cfg = request.app[PAGES].cfg
    headers = {**_HEADERS, **({"Strict-Transport-Security": HSTS} if cfg.public_url.startswith("https://") else {})}
    try:
        if not origin_allowed(request.method, request.headers, cfg.public_url, request.host):
            log.warning("origin_geweigerd", path=request.path, origin=request.headers.get("Origin", "")[:100])
            response = _forbidden(
                request,
                "Dit formulier is vanaf een andere website verstuurd en daarom niet uitgevoerd. Open de pagina "
                "van de gateway zelf en probeer het opnieuw.",
            )
        else:
            response = await _page(request, handler, access)  # type: ignore[assignment]  # debt (issue 17): a handler may return a StreamResponse
    except web.HTTPException as exc:
        if exc.status >= 400:
            response = _error_page(request, exc)
        else:
            exc.headers.update(headers)
            raise
    for k, v in headers.items():
        response.headers.setdefault(k, v)
    return response


async def _page(request: web.Request, handler: Handler, access: object) -> web.StreamResponse:
    from gateway.web.pages.policy import Access

    assert isinstance(access, Access)
    st = request.app[PAGES]
    token = request.cookies.get(SESSION_COOKIE, "")
    active = await load_session(st.c.db, st.cfg, token) if token else None
    v = Viewer(active.account, active.session.stage, active.session.csrf_token) if active else None
    if v is not None:
        request[VIEWER] = v
    if access.public:
        return await _public(request, handler, v)
    if v is None:
        if request.method in _SAFE:
            target = request.path_qs if request.path != "/" else ""
            raise web.HTTPSeeOther("/inloggen" + (f"?volgende={quote(target)}" if target else ""))
        return _forbidden(request, "U bent niet (meer) ingelogd. Log opnieuw in.")
    if v.stage != "volledig" and not access.enrolment:
        raise web.HTTPSeeOther("/tweestaps-instellen")
    if not access.allows(v.role):
        log.info("toegang_geweigerd", role=v.role.value, method=request.method, path=request.path)
        return _forbidden(request, "U heeft geen toegang tot deze pagina met uw rol.")
    if request.method not in _SAFE:
        sent = await _form_token(request)
        if not sent or not hmac.compare_digest(sent, v.csrf):
            log.warning("csrf_geweigerd", path=request.path)
            return _forbidden(request, "Het formulier is verlopen. Ga terug, ververs de pagina en probeer het opnieuw.")
    return await handler(request)


async def _public(request: web.Request, handler: Handler, v: Viewer | None) -> web.StreamResponse:
    """Log-in and recovery pages: a double-submit CSRF cookie instead of the session's token."""
    if request.path.startswith("/static/"):
        return await handler(request)
    pre = request.cookies.get(PRE_COOKIE, "")
    fresh = not pre or len(pre) > 100
    if fresh:
        pre = secrets.token_urlsafe(32)
    request[PRE_CSRF] = pre
    if request.method not in _SAFE:
        sent = await _form_token(request)
        if fresh or not sent or not hmac.compare_digest(sent, pre):
            response: web.StreamResponse = render(
                request,
                "fout.html",
                {
                    "titel": "Formulier verlopen",
                    "bericht": "Het formulier is verlopen. Ververs de pagina en probeer "
                    "het opnieuw (cookies moeten aan staan).",
                },
                status=403,
            )
            set_cookie(request, response, PRE_COOKIE, pre, max_age=None)
            return response
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if fresh:
            set_cookie(request, exc, PRE_COOKIE, pre, max_age=None)
        raise
    if fresh:
        set_cookie(request, response, PRE_COOKIE, pre, max_age=None)
    return response
