"""Every route the app registers has a declared access policy, and each role gets exactly that access."""

from __future__ import annotations

import re

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from gateway.app import create_app
from gateway.components import Components
from gateway.store.models.accounts import Role
from gateway.web.pages.policy import Access, declared_routes, undeclared_routes
from tests.web.support import csrf_of, login, make_account

SAMPLE = {"brin6": "14SS00", "token": "onbekend-token"}


def concrete(path: str) -> str:
    if path == "/static":
        return "/static/gateway.css"
    return re.sub(r"\{(\w+)(:[^}]*)?\}", lambda m: SAMPLE.get(m.group(1), "1"), path)


def page_routes(app: web.Application) -> list[tuple[str, str, Access]]:
    seen = set()
    out = []
    for method, path, access in declared_routes(app):
        assert access is not None
        if method == "HEAD" or access.machine or (method, path) in seen:
            continue
        seen.add((method, path))
        out.append((method, path, access))
    # log-out last: it ends the session the other requests use
    return sorted(out, key=lambda r: r[1] == "/uitloggen")


async def test_every_route_of_the_app_has_a_declared_policy(app: web.Application) -> None:
    routes = declared_routes(app)
    assert any(p.startswith("/health") for _, p, _ in routes)  # the core's machine routes are enumerated too
    assert undeclared_routes(app) == []


async def test_a_route_without_a_policy_is_refused_for_everyone_and_reported(web_components: Components) -> None:
    app = create_app(web_components, run_workers=False)

    async def secret(_: web.Request) -> web.Response:
        return web.Response(text="geheim")

    app.router.add_get("/geheim", secret)
    assert sorted(undeclared_routes(app)) == [("GET", "/geheim"), ("HEAD", "/geheim")]
    async with TestClient(TestServer(app)) as client:
        who = await make_account(web_components, Role.SECRETARIAAT)
        assert await login(client, who) == 303
        resp = await client.get("/geheim")
        assert resp.status == 403


async def _status(client: TestClient, method: str, path: str) -> tuple[int, str]:
    url = concrete(path)
    if method == "GET":
        resp = await client.get(url, allow_redirects=False)
    else:
        token = ""
        home = await client.get("/scholen", allow_redirects=False)
        if home.status == 200:
            token = csrf_of(await home.text())
        resp = await client.post(url, data={"csrf": token}, allow_redirects=False)
    return resp.status, resp.headers.get("Location", "")


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r.value if r else "anoniem")
async def test_each_role_gets_exactly_the_declared_access_on_every_page_route(
    app: web.Application, web_components: Components, role: Role | None
) -> None:
    async with TestClient(TestServer(app)) as client:
        if role is not None:
            who = await make_account(web_components, role)
            assert await login(client, who) == 303
        checked = 0
        for method, path, access in page_routes(app):
            if access.public and method != "GET":
                continue  # public forms are checked by the log-in tests (their own CSRF cookie)
            status, location = await _status(client, method, path)
            allowed = access.allows(role)
            checked += 1
            if allowed:
                assert status != 403, f"{role} {method} {path}: refused but allowed by the policy"
                if path != "/uitloggen":
                    assert not location.startswith("/inloggen"), f"{role} {method} {path}: sent to log-in"
            elif role is None:
                assert status in (303, 403), f"anonymous {method} {path}: {status}"
                if status == 303:
                    assert location.startswith("/inloggen")
            else:
                assert status == 403, f"{role} {method} {path}: {status}, but the policy refuses it"
        assert checked > 30


async def test_machine_routes_pass_without_a_session_or_csrf(client: TestClient) -> None:
    assert (await client.get("/health/live")).status == 200
    esis = [p for m, p, a in declared_routes(client.app) if a and a.machine and p.startswith("/esis") and m == "GET"]
    if esis:  # the ESIS capability is part of this build
        resp = await client.get(concrete(esis[0]), allow_redirects=False)
        assert resp.status != 303 and "gw_formulier" not in resp.cookies
