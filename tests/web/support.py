"""Helpers for the web tests: accounts per role, log-in through the real form, CSRF tokens from pages."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pyotp
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from gateway.components import Components
from gateway.store.models.accounts import Role
from gateway.web.auth.accounts import add_account

PASSWORD = "een-lang-wachtwoord-1"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass(frozen=True)
class Login:
    role: Role
    organisatie: str
    gebruikersnaam: str
    password: str
    secret: str

    def code(self, steps_ahead: int = 0) -> str:
        return pyotp.TOTP(self.secret).at(time.time() + 30 * steps_ahead)


async def make_account(
    c: Components, role: Role, name: str | None = None, *, brin4: str = "27ZX", email: str | None = None
) -> Login:
    org = brin4 if role is Role.SCHOOLBEHEERDER else "PO3008"
    user = name or role.value
    new = await add_account(
        c.db,
        organisatie=org,
        gebruikersnaam=user,
        role=role,
        swv_code="PO3008",
        brin4=brin4 if role is Role.SCHOOLBEHEERDER else None,
        password=PASSWORD,
        email=email or f"{user}@example.invalid",
        password_log2_n=10,
    )
    assert new.totp_secret
    return Login(role, org, user, PASSWORD, new.totp_secret)


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token in page"
    return found.group(1)


async def login(
    client: TestClient, who: Login, *, steps_ahead: int = 0, password: str | None = None, code: str | None = None
) -> int:
    page = await client.get("/inloggen")
    token = csrf_of(await page.text())
    resp = await client.post(
        "/inloggen",
        data={
            "csrf": token,
            "organisatie": who.organisatie,
            "gebruikersnaam": who.gebruikersnaam,
            "wachtwoord": password or who.password,
            "code": code if code is not None else who.code(steps_ahead),
        },
        allow_redirects=False,
    )
    return resp.status


async def post_form(
    client: TestClient, path: str, data: dict[str, object] | None = None, *, page: str = "/wachtrij"
) -> ClientResponse:
    """POST a form with the session's CSRF token (read from a page the user can see)."""
    html = await (await client.get(page)).text()
    return await client.post(path, data={"csrf": csrf_of(html), **(data or {})}, allow_redirects=False)
