"""What every page handler needs: the signed-in viewer, the components, the config, rendering, errors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web

from gateway.components import Components
from gateway.store.models.accounts import Account, Role
from gateway.web.auth.accounts import actor_of
from gateway.web.auth.config import WebConfig

__all__ = [
    "CONFIG",
    "JINJA",
    "PAGES",
    "PRE_CSRF",
    "TZ",
    "VIEWER",
    "Viewer",
    "int_param",
    "local",
    "render",
    "see_other",
    "viewer",
]

TZ = ZoneInfo("Europe/Amsterdam")
JINJA: web.AppKey[jinja2.Environment] = web.AppKey("pages_jinja2", jinja2.Environment)
SESSION_COOKIE = "gw_sessie"
PRE_COOKIE = "gw_formulier"  # CSRF token for forms used before log-in (double submit)


@dataclass(frozen=True)
class PagesState:
    c: Components
    cfg: WebConfig


PAGES: web.AppKey[PagesState] = web.AppKey("pages", PagesState)
CONFIG = PAGES  # alias for readers looking for the config key


@dataclass(frozen=True)
class Viewer:
    account: Account
    stage: str
    csrf: str

    @property
    def role(self) -> Role:
        return Role(self.account.role)

    @property
    def actor(self) -> str:
        return actor_of(self.account)

    @property
    def swv_code(self) -> str:
        return self.account.swv_code

    @property
    def brin4(self) -> str | None:
        return self.account.brin4 if self.role is Role.SCHOOLBEHEERDER else None

    @property
    def is_secretariaat(self) -> bool:
        return self.role is Role.SECRETARIAAT

    def sees_brin6(self, brin6: str | None) -> bool:
        """A schoolbeheerder sees only its own school's vestigingen; the SWV roles see all."""
        if self.brin4 is None:
            return True
        return brin6 is not None and brin6[:4].upper() == self.brin4


VIEWER: web.RequestKey[Viewer] = web.RequestKey("viewer", Viewer)
PRE_CSRF: web.RequestKey[str] = web.RequestKey("pre_csrf", str)


def state(request: web.Request) -> PagesState:
    return request.app[PAGES]


def viewer(request: web.Request) -> Viewer:
    v = request.get(VIEWER)
    if v is None:  # the middleware lets no page handler run without one
        raise web.HTTPForbidden()
    return v


def local(value: dt.datetime | None, fmt: str = "%d-%m-%Y %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(TZ).strftime(fmt)


def render(request: web.Request, template: str, context: dict[str, Any], *, status: int = 200) -> web.Response:
    v = request.get(VIEWER)
    ctx = {"viewer": v, "csrf": v.csrf if v else request.get(PRE_CSRF, ""), "path": request.path, **context}
    return aiohttp_jinja2.render_template(template, request, ctx, status=status, app_key=JINJA)


def see_other(location: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(location)


def int_param(value: str | None, default: int | None = None, *, low: int = 0, high: int = 10**12) -> int | None:
    try:
        n = int(str(value))
    except (TypeError, ValueError):
        return default
    return n if low <= n <= high else default
