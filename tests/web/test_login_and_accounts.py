"""Log-in with password and TOTP, lock-out and unlock, CSRF, session cookies, log-out, reset through the mail
outbox and enrolment of the second factor."""

from __future__ import annotations

import dataclasses
import re

import pyotp
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlmodel import col

from gateway.components import Components
from gateway.store.models import AuditEntry
from gateway.store.models.accounts import Account, Role
from gateway.store.models.mail import Mail
from gateway.web.auth.accounts import add_account, reset_totp
from gateway.web.auth.passwords import hash_password, verify_password
from tests.web.conftest import TEST_CONFIG
from tests.web.support import PASSWORD, csrf_of, login, make_account, post_form


async def _account(c: Components, org: str, user: str) -> Account:
    async with c.db.reader() as s:
        return (
            (await s.exec(select(Account).where(col(Account.organisatie) == org, col(Account.gebruikersnaam) == user)))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            .scalars()
            .one()
        )


async def _actions(c: Components) -> list[str]:
    async with c.db.reader() as s:
        return [a.action for a in (await s.exec(select(AuditEntry).order_by(col(AuditEntry.id)))).scalars()]  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


def test_passwords_are_hashed_with_scrypt_and_verified() -> None:
    stored = hash_password("correct horse battery", log2_n=10)
    assert stored.startswith("scrypt$10$") and "correct" not in stored
    assert verify_password("correct horse battery", stored)
    assert not verify_password("wrong horse battery", stored)
    assert not verify_password("anything", None)


async def test_log_in_with_password_and_totp_opens_the_queue(client: TestClient, web_components: Components) -> None:
    who = await make_account(web_components, Role.SECRETARIAAT)
    page = await client.get("/wachtrij", allow_redirects=False)
    assert page.status == 303 and page.headers["Location"].startswith("/inloggen")
    assert await login(client, who) == 303
    queue = await client.get("/wachtrij")
    assert queue.status == 200 and "Inkomende wachtrij" in await queue.text()
    assert "ingelogd" in await _actions(web_components)


async def test_session_cookie_is_httponly_samesite_strict_and_secure_when_configured(
    client: TestClient, web_components: Components
) -> None:
    who = await make_account(web_components, Role.MONITORING)
    page = await client.get("/inloggen")
    token = csrf_of(await page.text())
    resp = await client.post(
        "/inloggen",
        allow_redirects=False,
        data={
            "csrf": token,
            "organisatie": who.organisatie,
            "gebruikersnaam": who.gebruikersnaam,
            "wachtwoord": who.password,
            "code": who.code(),
        },
    )
    cookie = resp.cookies["gw_sessie"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert not cookie["secure"]  # the test config is plain HTTP
    assert TEST_CONFIG.cookies_secure() is False
    assert type(TEST_CONFIG)(public_url="https://gateway.example").cookies_secure() is True


async def test_a_wrong_code_or_password_fails_without_saying_which(
    client: TestClient, web_components: Components
) -> None:
    who = await make_account(web_components, Role.SECRETARIAAT)
    assert await login(client, who, code="000000") == 401
    assert await login(client, who, password="verkeerd-wachtwoord") == 401
    page = await client.get("/wachtrij", allow_redirects=False)
    assert page.status == 303


async def test_a_totp_code_is_accepted_only_once(client: TestClient, web_components: Components) -> None:
    who = await make_account(web_components, Role.SECRETARIAAT)
    code = who.code()
    assert await login(client, who, code=code) == 303
    await post_form(client, "/uitloggen")
    assert await login(client, who, code=code) == 401


@pytest.fixture
def lenient_throttle(web_components: Components) -> None:
    """No log-in pauses: these tests are about the permanent lock behind them."""
    web_components.extras["web_config"] = dataclasses.replace(TEST_CONFIG, login_account_failures=100)


async def test_repeated_wrong_codes_after_the_right_password_lock_the_account_until_the_secretariaat_unlocks_it(
    lenient_throttle: None, app: object, client: TestClient, web_components: Components
) -> None:
    victim = await make_account(web_components, Role.SCHOOLBEHEERDER, "ib-er", brin4="14SS")
    for _ in range(TEST_CONFIG.max_failed_logins):
        assert await login(client, victim, code="000000") == 401
    page = await client.get("/inloggen")
    resp = await client.post(
        "/inloggen",
        data={
            "csrf": csrf_of(await page.text()),
            "organisatie": victim.organisatie,
            "gebruikersnaam": victim.gebruikersnaam,
            "wachtwoord": victim.password,
            "code": victim.code(),
        },
    )
    assert resp.status == 401 and "geblokkeerd" in await resp.text()
    assert (await _account(web_components, "14SS", "ib-er")).locked

    admin = await make_account(web_components, Role.SECRETARIAAT)
    assert await login(client, admin) == 303
    account = await _account(web_components, "14SS", "ib-er")
    accounts_page = await client.get("/accounts")
    assert "geblokkeerd" in await accounts_page.text()
    resp = await post_form(client, f"/accounts/{account.id}/deblokkeren", page="/accounts")
    assert resp.status == 303
    assert not (await _account(web_components, "14SS", "ib-er")).locked
    assert "account_gedeblokkeerd" in await _actions(web_components)


async def test_a_form_without_the_csrf_token_is_refused(client: TestClient, web_components: Components) -> None:
    who = await make_account(web_components, Role.SECRETARIAAT)
    assert await login(client, who) == 303
    resp = await client.post("/wachtrij/opnieuw", data={"bevestigd": "ja"}, allow_redirects=False)
    assert resp.status == 403 and "verlopen" in await resp.text()
    resp = await client.post("/wachtrij/opnieuw", data={"csrf": "x" * 43}, allow_redirects=False)
    assert resp.status == 403
    anonymous = await client.post("/uitloggen", allow_redirects=False)
    assert anonymous.status == 403


async def test_the_log_in_form_needs_its_own_csrf_cookie(client: TestClient, web_components: Components) -> None:
    who = await make_account(web_components, Role.SECRETARIAAT)
    resp = await client.post(
        "/inloggen",
        data={
            "organisatie": who.organisatie,
            "gebruikersnaam": who.gebruikersnaam,
            "wachtwoord": who.password,
            "code": who.code(),
        },
        allow_redirects=False,
    )
    assert resp.status == 403


async def test_log_out_ends_the_session(client: TestClient, web_components: Components) -> None:
    who = await make_account(web_components, Role.SECRETARIAAT)
    assert await login(client, who) == 303
    resp = await post_form(client, "/uitloggen")
    assert resp.headers["Location"] == "/inloggen?melding=uit"
    again = await client.get("/wachtrij", allow_redirects=False)
    assert again.status == 303


async def test_password_reset_goes_through_the_mail_outbox_and_enrols_a_new_second_factor(
    client: TestClient, web_components: Components
) -> None:
    who = await make_account(web_components, Role.SECRETARIAAT, email="secretariaat@swv.example")
    page = await client.get("/wachtwoord-vergeten")
    resp = await client.post(
        "/wachtwoord-vergeten",
        data={"csrf": csrf_of(await page.text()), "organisatie": "po3008", "gebruikersnaam": who.gebruikersnaam},
    )
    assert resp.status == 200
    async with web_components.db.reader() as s:
        mail = (await s.exec(select(Mail))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert mail.to == "secretariaat@swv.example"
    link = re.search(r"http://127\.0\.0\.1(/wachtwoord-instellen/\S+)", mail.body)
    assert link
    form = await client.get(link.group(1))
    html = await form.text()
    assert form.status == 200 and "<svg" in html
    found = re.search(r'name="secret" value="([A-Z2-7]+)"', html)
    assert found, html
    secret = found.group(1)
    new_password = "nieuw-wachtwoord-lang"
    resp = await client.post(
        link.group(1),
        allow_redirects=False,
        data={
            "csrf": csrf_of(html),
            "secret": secret,
            "wachtwoord": new_password,
            "herhaling": new_password,
            "code": pyotp.TOTP(secret).now(),
        },
    )
    assert resp.status == 303 and resp.headers["Location"] == "/inloggen?melding=hersteld"
    assert (await client.get(link.group(1))).status == 404  # the link works once
    # the old password no longer works; the new one with the new second factor does
    assert await login(client, who, steps_ahead=1) == 401
    renewed = type(who)(who.role, who.organisatie, who.gebruikersnaam, new_password, secret)
    assert await login(client, renewed, steps_ahead=1) == 303


async def test_an_account_without_a_second_factor_enrols_it_before_anything_else(
    client: TestClient, web_components: Components
) -> None:
    new = await add_account(
        web_components.db,
        organisatie="PO3008",
        gebruikersnaam="nieuw",
        role="monitoring",
        swv_code="PO3008",
        password=PASSWORD,
        with_totp=False,
        password_log2_n=10,
    )
    page = await client.get("/inloggen")
    resp = await client.post(
        "/inloggen",
        allow_redirects=False,
        data={
            "csrf": csrf_of(await page.text()),
            "organisatie": "PO3008",
            "gebruikersnaam": "nieuw",
            "wachtwoord": PASSWORD,
            "code": "",
        },
    )
    assert resp.headers["Location"] == "/tweestaps-instellen"
    blocked = await client.get("/wachtrij", allow_redirects=False)
    assert blocked.headers["Location"] == "/tweestaps-instellen"
    enrol = await client.get("/tweestaps-instellen")
    html = await enrol.text()
    found = re.search(r'name="secret" value="([A-Z2-7]+)"', html)
    assert found, html
    secret = found.group(1)
    resp = await client.post(
        "/tweestaps-instellen",
        allow_redirects=False,
        data={"csrf": csrf_of(html), "secret": secret, "code": pyotp.TOTP(secret).now()},
    )
    assert resp.status == 303
    assert (await client.get("/wachtrij")).status == 200
    await reset_totp(web_components.db, new.account_id, actor="test")
    assert (await client.get("/wachtrij", allow_redirects=False)).status == 303  # sessions end with the reset
