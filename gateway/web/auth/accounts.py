"""Accounts: adding, logging in (password + TOTP, with lock-out), unlocking, resetting the second factor.

Every log-in attempt, lock and unlock goes to the audit log. Messages for a failed log-in never say which
part was wrong (organisation, user name, password or code), except that a locked account is named as
locked once the right password is given.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlmodel import col

from gateway.store.audit import audit
from gateway.store.db import Database
from gateway.store.models.accounts import Account, Role, WebSession
from gateway.store.totp_secrets import (  # re-exported: the web's account code and tests import them here
    plain_totp,
    seal_totp,
)
from gateway.store.types import utcnow
from gateway.web.auth.config import WebConfig
from gateway.web.auth.passwords import hash_password, verify_password
from gateway.web.auth.totp import new_secret, provisioning_uri, verify_code

__all__ = [
    "LOGIN_FAILED",
    "LOGIN_LOCKED",
    "AccountError",
    "LoginResult",
    "NewAccount",
    "actor_of",
    "add_account",
    "authenticate",
    "find_account",
    "list_accounts",
    "normalise_org",
    "reset_totp",
    "set_active",
    "totp_secret_of",
    "unlock",
]

LOGIN_FAILED = (
    "Inloggen is niet gelukt. Controleer de organisatie, uw gebruikersnaam, uw wachtwoord en de code uit uw "
    "authenticator-app (neem een code die net ververst is)."
)
LOGIN_LOCKED = (
    "Uw account is geblokkeerd na te veel mislukte pogingen. Vraag het secretariaat van het samenwerkingsverband "
    "om het te deblokkeren."
)


class AccountError(Exception):
    """A Dutch, user-facing reason why an account change was not done."""


@dataclass(frozen=True)
class NewAccount:
    account_id: int
    organisatie: str
    gebruikersnaam: str
    totp_secret: str | None
    otpauth_uri: str | None


@dataclass(frozen=True)
class LoginResult:
    account: Account | None
    stage: str | None = None  # "volledig" | "tweestaps" on success
    message: str | None = None  # Dutch reason on failure

    @property
    def ok(self) -> bool:
        return self.account is not None and self.stage is not None


def normalise_org(org: str) -> str:
    return "".join(org.split()).upper()[:6]


def normalise_user(name: str) -> str:
    return " ".join(name.split()).lower()[:100]


def actor_of(account: Account) -> str:
    return f"gebruiker:{account.organisatie}/{account.gebruikersnaam}"


async def find_account(db: Database, organisatie: str, gebruikersnaam: str) -> Account | None:
    async with db.reader() as s:
        stmt = select(Account).where(
            col(Account.organisatie) == normalise_org(organisatie),
            col(Account.gebruikersnaam) == normalise_user(gebruikersnaam),
        )
        return (await s.exec(stmt)).scalars().first()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def add_account(
    db: Database,
    *,
    organisatie: str,
    gebruikersnaam: str,
    role: Role | str,
    swv_code: str,
    brin4: str | None = None,
    email: str | None = None,
    naam: str | None = None,
    password: str | None = None,
    with_totp: bool = True,
    totp_secret: str | None = None,
    password_log2_n: int = 15,
    actor: str = "systeem",
) -> NewAccount:
    """Add an account. With ``with_totp`` the TOTP secret is made now (or ``totp_secret`` is used, for the
    demo's stable accounts) and returned once (to print)."""
    try:
        role = Role(role)
    except ValueError:
        raise AccountError(f"Onbekende rol '{role}': kies secretariaat, monitoring of schoolbeheerder.") from None
    org = normalise_org(organisatie)
    user = normalise_user(gebruikersnaam)
    if not user:
        raise AccountError("Geef een gebruikersnaam.")
    if role is Role.SCHOOLBEHEERDER:
        brin4 = (brin4 or org).upper()
        if len(brin4) != 4:
            raise AccountError("Een schoolbeheerder hoort bij een school: geef de BRIN4 (bijvoorbeeld 14SS).")
        org = brin4
    elif org != swv_code.upper():
        raise AccountError(f"Accounts van het secretariaat en monitoring horen bij het SWV ({swv_code}).")
    secret = (totp_secret or new_secret()) if with_totp else None
    pw_hash = await asyncio.to_thread(hash_password, password, log2_n=password_log2_n) if password else None
    async with db.session() as s:
        exists = (
            await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                select(col(Account.id)).where(col(Account.organisatie) == org, col(Account.gebruikersnaam) == user)
            )
        ).first()
        if exists is not None:
            raise AccountError(f"Er bestaat al een account {org}/{user}.")
        row = Account(
            organisatie=org,
            gebruikersnaam=user,
            naam=naam,
            email=email,
            swv_code=swv_code.upper(),
            role=role.value,
            brin4=brin4.upper() if brin4 else None,
            password_hash=pw_hash,
            totp_secret=seal_totp(db, secret) if secret else None,
        )
        s.add(row)
        await s.flush()
        assert row.id is not None
        audit(
            s,
            actor=actor,
            action="account_aangemaakt",
            object_type="account",
            object_id=row.id,
            swv_code=row.swv_code,
            account=f"{org}/{user}",
            rol=role.value,
        )
    uri = provisioning_uri(secret, org, user) if secret else None
    return NewAccount(row.id, org, user, secret, uri)


async def totp_secret_of(db: Database, organisatie: str, gebruikersnaam: str) -> str | None:
    """The account's TOTP secret as an authenticator app holds it, or None (no such account, or the second
    factor is not set up). The one place that reads a stored secret back outside log-in."""
    account = await find_account(db, organisatie, gebruikersnaam)
    return plain_totp(db, account) if account is not None and account.totp_secret else None


async def list_accounts(db: Database, swv_code: str | None = None) -> list[Account]:
    async with db.reader() as s:
        stmt = select(Account).order_by(Account.organisatie, Account.gebruikersnaam)
        if swv_code:
            stmt = stmt.where(col(Account.swv_code) == swv_code)
        return list((await s.exec(stmt)).scalars().all())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def authenticate(
    db: Database, cfg: WebConfig, organisatie: str, gebruikersnaam: str, password: str, code: str
) -> LoginResult:
    account = await find_account(db, organisatie, gebruikersnaam)
    stored = account.password_hash if account is not None else None
    password_ok = await asyncio.to_thread(verify_password, password, stored)
    if account is None or not account.active:
        return LoginResult(None, message=LOGIN_FAILED)
    if account.locked:
        return LoginResult(None, message=LOGIN_LOCKED if password_ok else LOGIN_FAILED)
    step: int | None = None
    if password_ok and account.totp_secret:
        step = verify_code(plain_totp(db, account), code, last_step=account.totp_last_step)
    enrol = password_ok and account.totp_secret is None
    async with db.session() as s:
        row = (await s.exec(select(Account).where(col(Account.id) == account.id))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        if not password_ok or (step is None and not enrol):
            # Only a wrong second-factor code after a right password counts towards the lock: wrong passwords
            # are throttled (gateway.web.pages.security), so knowing a user name is not enough to lock someone.
            if password_ok:
                row.failed_attempts += 1
            just_locked = password_ok and row.failed_attempts >= cfg.max_failed_logins
            if just_locked:
                row.locked, row.locked_at = True, utcnow()
            s.add(row)
            audit(
                s,
                actor=actor_of(row),
                action="inloggen_mislukt",
                object_type="account",
                object_id=row.id,
                swv_code=row.swv_code,
                pogingen=row.failed_attempts,
                reden="code" if password_ok else "wachtwoord",
                geblokkeerd=just_locked,
            )
            return LoginResult(None, message=LOGIN_LOCKED if just_locked else LOGIN_FAILED)
        row.failed_attempts = 0
        if step is not None:
            row.totp_last_step = step
            row.last_login_at = utcnow()
        s.add(row)
        audit(
            s,
            actor=actor_of(row),
            action="ingelogd" if not enrol else "ingelogd_tweestaps_instellen",
            object_type="account",
            object_id=row.id,
            swv_code=row.swv_code,
        )
    return LoginResult(row, stage="tweestaps" if enrol else "volledig")


async def unlock(db: Database, account_id: int, *, actor: str, swv_code: str) -> bool:
    async with db.session() as s:
        row = (
            (await s.exec(select(Account).where(col(Account.id) == account_id, col(Account.swv_code) == swv_code)))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            .scalars()
            .first()
        )
        if row is None:
            return False
        row.locked, row.locked_at, row.failed_attempts = False, None, 0
        s.add(row)
        audit(
            s,
            actor=actor,
            action="account_gedeblokkeerd",
            object_type="account",
            object_id=row.id,
            swv_code=row.swv_code,
            account=f"{row.organisatie}/{row.gebruikersnaam}",
        )
    return True


async def set_active(db: Database, account_id: int, active: bool, *, actor: str, swv_code: str) -> bool:
    """Deactivate (no log-in, sessions ended at once) or reactivate an account of this SWV."""
    async with db.session() as s:
        row = (
            (await s.exec(select(Account).where(col(Account.id) == account_id, col(Account.swv_code) == swv_code)))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            .scalars()
            .first()
        )
        if row is None:
            return False
        row.active = active
        s.add(row)
        if not active:
            await s.exec(update(WebSession).where(col(WebSession.account_id) == row.id).values(expires_at=utcnow()))
        audit(
            s,
            actor=actor,
            action="account_geactiveerd" if active else "account_gedeactiveerd",
            object_type="account",
            object_id=row.id,
            swv_code=row.swv_code,
            account=f"{row.organisatie}/{row.gebruikersnaam}",
        )
    return True


async def reset_totp(db: Database, account_id: int, *, actor: str) -> bool:
    """Forget the second factor: the next log-in with the right password leads to the enrolment page."""
    async with db.session() as s:
        row = (await s.exec(select(Account).where(col(Account.id) == account_id))).scalars().first()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        if row is None:
            return False
        row.totp_secret, row.totp_last_step = None, None
        s.add(row)
        await s.exec(update(WebSession).where(col(WebSession.account_id) == row.id).values(expires_at=utcnow()))
        audit(
            s,
            actor=actor,
            action="tweestaps_gewist",
            object_type="account",
            object_id=row.id,
            swv_code=row.swv_code,
            account=f"{row.organisatie}/{row.gebruikersnaam}",
        )
    return True


async def enrol_totp(db: Database, account_id: int, secret: str, code: str) -> bool:
    """Save ``secret`` as the account's second factor when ``code`` matches it."""
    step = verify_code(secret, code)
    if step is None:
        return False
    async with db.session() as s:
        row = (await s.exec(select(Account).where(col(Account.id) == account_id))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        row.totp_secret, row.totp_last_step = seal_totp(db, secret), step
        row.last_login_at = utcnow()
        s.add(row)
        audit(
            s,
            actor=actor_of(row),
            action="tweestaps_ingesteld",
            object_type="account",
            object_id=row.id,
            swv_code=row.swv_code,
        )
    return True
