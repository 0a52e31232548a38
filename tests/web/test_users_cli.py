"""`gateway users add|list|unlock|reset-totp` and the demo accounts printed by `gateway demo`."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator

import pyotp
import pytest
from sqlalchemy import update

from gateway.components import Components
from gateway.store.models.accounts import Account
from gateway.web import cli
from gateway.web.auth.accounts import authenticate, find_account
from tests.web.conftest import TEST_CONFIG


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, components: Components):
    import gateway.runtime as common

    @contextlib.asynccontextmanager
    async def fake_open(_settings: object, **_: object) -> AsyncIterator[Components]:
        yield components

    monkeypatch.setattr(common, "open_components", fake_open)
    monkeypatch.setattr(common, "settings_from", lambda _args, **_: components.settings)
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())

    async def run_cli(*argv: str) -> int:
        args = parser.parse_args(argv)
        return await args.handler(args)

    return run_cli


async def test_users_add_prints_the_totp_secret_once_and_list_shows_the_account(run, capsys, components) -> None:
    assert await run("users", "add", "PO3008", "Jansen", "--rol", "secretariaat", "--email", "j@swv.example") == 0
    out = capsys.readouterr().out
    account = await find_account(components.db, "PO3008", "jansen")
    assert account is not None and account.totp_secret and account.totp_secret in out
    assert "otpauth://totp/" in out
    assert await run("users", "list") == 0
    listing = capsys.readouterr().out
    assert "jansen" in listing and account.totp_secret not in listing


async def test_users_add_refuses_a_bad_combination_in_dutch(run, capsys) -> None:
    assert await run("users", "add", "14SS", "ib", "--rol", "secretariaat") == 2
    assert "horen bij het SWV" in capsys.readouterr().err
    assert await run("users", "add", "PO3008", "x", "--rol", "schoolbeheerder") == 2
    assert await run("users", "unlock", "PO3008", "niemand") == 2


async def test_users_unlock_and_reset_totp(run, components) -> None:
    await run("users", "add", "27ZX", "beheer", "--rol", "schoolbeheerder")
    async with components.db.session() as s:
        await s.exec(update(Account).values(locked=True, failed_attempts=5))
    assert await run("users", "unlock", "27zx", "beheer") == 0
    assert await run("users", "reset-totp", "27ZX", "beheer") == 0
    account = await find_account(components.db, "27ZX", "beheer")
    assert account is not None and not account.locked and account.totp_secret is None


async def test_demo_accounts_one_per_role_can_log_in(components: Components) -> None:
    accounts = await cli.create_demo_accounts(components.db, password_log2_n=10)
    assert [a.role for a in accounts] == ["secretariaat", "monitoring", "schoolbeheerder"]
    again = await cli.create_demo_accounts(components.db, password_log2_n=10)
    assert [a.totp_secret for a in again] == [a.totp_secret for a in accounts]  # idempotent
    for a in accounts:
        result = await authenticate(
            components.db, TEST_CONFIG, a.organisatie, a.gebruikersnaam, a.wachtwoord, pyotp.TOTP(a.totp_secret).now()
        )
        assert result.ok, a
        assert a.totp_secret not in a.line() and a.wachtwoord in a.line()


async def test_users_totp_prints_the_current_code_of_a_demo_account(run, capsys, components) -> None:
    key = cli.demo_key(components.settings.data_dir)
    accounts = await cli.create_demo_accounts(components.db, password_log2_n=10, key=key)
    capsys.readouterr()
    assert await run("users", "totp", "po3008", "Secretariaat") == 0
    code = capsys.readouterr().out.strip()
    assert code.isdigit() and len(code) == 6
    assert pyotp.TOTP(accounts[0].totp_secret).verify(code, valid_window=1)
    result = await authenticate(components.db, TEST_CONFIG, "PO3008", "secretariaat", cli.DEMO_PASSWORD, code)
    assert result.ok


async def test_demo_totp_secrets_follow_the_demo_key(components) -> None:
    key = cli.demo_key(components.settings.data_dir)
    assert cli.demo_key(components.settings.data_dir) == key  # kept, not made again
    accounts = await cli.create_demo_accounts(components.db, password_log2_n=10, key=key)
    assert [a.totp_secret for a in accounts] == [
        cli._demo_secret(key, a.organisatie, a.gebruikersnaam) for a in accounts
    ]
    assert len({a.totp_secret for a in accounts}) == 3


async def test_users_totp_refuses_a_real_account_and_an_unknown_one_in_dutch(run, capsys, components) -> None:
    cli.demo_key(components.settings.data_dir)
    await run("users", "add", "PO3008", "jansen", "--rol", "secretariaat", "--email", "j@swv.example")
    capsys.readouterr()
    assert await run("users", "totp", "PO3008", "jansen") == 2
    err = capsys.readouterr().err
    assert "geen demo-account" in err and "authenticator-app" in err
    assert await run("users", "totp", "PO3008", "niemand") == 2
    assert "bestaat niet" in capsys.readouterr().err


async def test_users_totp_refuses_outside_a_demo_data_dir(run, capsys, components) -> None:
    await cli.create_demo_accounts(components.db, password_log2_n=10)  # demo accounts, but no demo key here
    capsys.readouterr()
    assert await run("users", "totp", "PO3008", "secretariaat") == 2
    assert "geen demo-account" in capsys.readouterr().err
