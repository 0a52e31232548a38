"""Log-in throttling per address and per account (Dutch messages, no permanent lock from wrong passwords), HSTS
when the public URL is https, and the Origin check on state-changing requests."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from sqlmodel import col

from gateway.app import create_app
from gateway.components import Components
from gateway.store.models.accounts import Account, Role
from gateway.web.pages.security import LoginThrottle, origin_allowed
from tests.web.conftest import TEST_CONFIG
from tests.web.support import csrf_of, login, make_account, post_form

WRONG = "fout-fout-fout"


async def _account(c: Components, org: str, user: str) -> Account:
    async with c.db.reader() as s:
        return (
            (await s.exec(select(Account).where(col(Account.organisatie) == org, col(Account.gebruikersnaam) == user)))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            .scalars()
            .one()
        )


async def test_wrong_passwords_pause_the_account_with_a_dutch_message_and_never_lock_it(
    client: TestClient, web_components: Components
) -> None:
    victim = await make_account(web_components, Role.SCHOOLBEHEERDER, "ib-er", brin4="14SS")
    statuses = [await login(client, victim, password=WRONG) for _ in range(TEST_CONFIG.max_failed_logins + 2)]

    assert statuses[:3] == [401, 401, 401] and set(statuses[3:]) == {429}
    page = await client.get("/inloggen")
    paused = await client.post(
        "/inloggen",
        data={"csrf": csrf_of(await page.text()), "organisatie": "14SS", "gebruikersnaam": "ib-er", "wachtwoord": "x"},
    )
    text = await paused.text()
    assert paused.status == 429 and "Te veel mislukte inlogpogingen voor dit account" in text and "minuten" in text
    assert int(paused.headers["Retry-After"]) > 200
    assert not (await _account(web_components, "14SS", "ib-er")).locked  # a user name is not enough to lock


async def test_a_paused_account_does_not_pause_another_account(client: TestClient, web_components: Components) -> None:
    victim = await make_account(web_components, Role.SCHOOLBEHEERDER, "ib-er", brin4="14SS")
    colleague = await make_account(web_components, Role.SECRETARIAAT, "secretaris")
    for _ in range(4):
        await login(client, victim, password=WRONG)
    assert await login(client, colleague) == 303


@pytest.fixture
async def strict_address(web_components: Components) -> AsyncIterator[TestClient]:
    web_components.extras["web_config"] = dataclasses.replace(TEST_CONFIG, login_ip_failures=4)
    async with TestClient(TestServer(create_app(web_components, run_workers=False))) as c:
        yield c


async def test_many_failures_from_one_address_pause_that_address_for_every_account(
    strict_address: TestClient, web_components: Components
) -> None:
    users = [await make_account(web_components, Role.SCHOOLBEHEERDER, f"user{n}", brin4="14SS") for n in range(3)]
    for who in users[:2]:
        for _ in range(2):
            assert await login(strict_address, who, password=WRONG) == 401
    page = await strict_address.get("/inloggen")
    resp = await strict_address.post(
        "/inloggen",
        data={
            "csrf": csrf_of(await page.text()),
            "organisatie": "14SS",
            "gebruikersnaam": users[2].gebruikersnaam,
            "wachtwoord": users[2].password,
            "code": users[2].code(),
        },
    )
    assert resp.status == 429 and "vanaf dit adres" in await resp.text()


def test_the_account_pause_doubles_and_a_quiet_window_resets_it() -> None:
    now = [0.0]
    throttle = LoginThrottle(
        window=60, account_failures=2, account_pause=10, account_pause_max=25, clock=lambda: now[0]
    )
    pauses = []
    for _ in range(3):
        throttle.failure("1.2.3.4", "14SS/ib-er")
        throttle.failure("1.2.3.4", "14SS/ib-er")
        pause = throttle.paused("5.6.7.8", "14SS/ib-er")  # per account, from any address
        assert pause is not None and pause.scope == "account"
        pauses.append(pause.seconds)
        now[0] += pause.seconds + 0.1
    assert pauses == [10, 20, 25]
    now[0] += 200
    throttle.failure("1.2.3.4", "14SS/ib-er")
    throttle.failure("1.2.3.4", "14SS/ib-er")
    pause = throttle.paused("1.2.3.4", "14SS/ib-er")
    assert pause is not None and pause.seconds == 10


@pytest.fixture
async def https_client(web_components: Components) -> AsyncIterator[TestClient]:
    web_components.extras["web_config"] = dataclasses.replace(TEST_CONFIG, public_url="https://swv.example.nl")
    async with TestClient(TestServer(create_app(web_components, run_workers=False))) as c:
        yield c


async def test_hsts_is_sent_when_the_public_url_is_https(https_client: TestClient) -> None:
    assert (await https_client.get("/inloggen")).headers["Strict-Transport-Security"].startswith("max-age=31536000")


async def test_no_hsts_over_plain_http(client: TestClient) -> None:
    assert "Strict-Transport-Security" not in (await client.get("/inloggen")).headers


async def test_a_post_from_another_site_is_refused_before_anything_happens(
    client: TestClient, web_components: Components
) -> None:
    admin = await make_account(web_components, Role.SECRETARIAAT)
    assert await login(client, admin) == 303
    html = await (await client.get("/wachtrij")).text()

    foreign = await client.post(
        "/uitloggen", data={"csrf": csrf_of(html)}, headers={"Origin": "https://evil.example"}, allow_redirects=False
    )
    via_referer = await client.post(
        "/uitloggen",
        data={"csrf": csrf_of(html)},
        headers={"Referer": "https://evil.example/form"},
        allow_redirects=False,
    )
    assert foreign.status == 403 and "andere website" in await foreign.text()
    assert via_referer.status == 403
    assert (await client.get("/wachtrij", allow_redirects=False)).status == 200  # still logged in
    own = await post_form(client, "/uitloggen")
    assert own.status == 303


@pytest.mark.parametrize(
    ("method", "headers", "allowed"),
    [
        ("POST", {"Origin": "https://swv.example.nl"}, True),
        ("POST", {"Origin": "https://swv.example.nl.evil.example"}, False),
        ("POST", {"Origin": "null"}, False),
        ("POST", {}, True),  # no Origin or Referer: the CSRF token decides
        ("GET", {"Origin": "https://evil.example"}, True),
        ("DELETE", {"Referer": "https://evil.example/x"}, False),
    ],
)
def test_origin_rule(method: str, headers: dict[str, str], allowed: bool) -> None:
    assert origin_allowed(method, headers, "https://swv.example.nl", "gateway.intern:8443") is allowed
