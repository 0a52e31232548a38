"""The secretariaat's and the schools' web pages (server-rendered Dutch HTML, aiohttp-jinja2).

`install(app, c)` adds the routes, the templates, the sessions, the CSRF checks and the access-policy
middleware (gateway.web.pages.policy declares who may use every route of the app, machine routes included).
The knobs are `WebConfig` (from the ``[web]`` settings section, or ``c.extras["web_config"]`` in tests).
"""

from __future__ import annotations

import aiohttp_jinja2
import jinja2
from aiohttp import web

from gateway.components import Components
from gateway.resources import resource_path
from gateway.web.auth.config import WebConfig
from gateway.web.pages import admin, codes, hulpvragen, kengetallen, koppelcheck, login, plain, queue, registry
from gateway.web.pages.context import JINJA, PAGES, PagesState, local
from gateway.web.pages.middleware import guard
from gateway.web.pages.security import LOGIN_THROTTLE, LoginThrottle

__all__ = ["WebConfig", "install", "web_config"]


def web_config(c: Components) -> WebConfig:
    given = c.extras.get("web_config")
    if isinstance(given, WebConfig):
        return given
    return WebConfig.from_section(c.settings.section("web"), public_url=c.settings.effective_public_url)


def _size(n: int | None) -> str:
    if not n:
        return "0 B"
    size = float(n)
    for unit in ("B", "kB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size = size / 1024
    return str(size)


def install(app: web.Application, c: Components) -> None:
    cfg = web_config(c)
    app[PAGES] = PagesState(c, cfg)
    app[LOGIN_THROTTLE] = LoginThrottle(
        window=cfg.login_window_minutes * 60.0,
        ip_failures=max(1, cfg.login_ip_failures),
        ip_pause=cfg.login_ip_pause_minutes * 60.0,
        account_failures=max(1, cfg.login_account_failures),
        account_pause=cfg.login_account_pause_minutes * 60.0,
        account_pause_max=cfg.login_account_pause_max_minutes * 60.0,
    )
    env = aiohttp_jinja2.setup(
        app,
        app_key=JINJA,
        loader=jinja2.PackageLoader("gateway.web.pages", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        default_helpers=False,
    )
    env.filters["lokaal"] = local
    env.filters["grootte"] = _size
    env.filters["handeling"] = plain.audit_action
    env.filters["objectsoort"] = plain.object_label
    env.filters["stap"] = plain.step_label
    env.filters["ernst"] = plain.severity_label
    env.globals["audit_details"] = plain.audit_details
    env.globals["swv_code"] = c.settings.swv_code
    env.globals["helpdesk_email"] = cfg.helpdesk_email
    env.globals["helpdesk_telefoon"] = cfg.helpdesk_telefoon
    app.middlewares.append(guard)
    for module in (login, queue, hulpvragen, kengetallen, registry, codes, koppelcheck, admin):
        app.router.add_routes(module.routes)
    app.router.add_static("/static", resource_path("gateway.web.pages", "static"), name="static", append_version=True)
