"""Server-side browser sessions and password-reset tokens.

The browser holds a random token; the database holds its SHA-256 digest. A session ends after
``session_idle`` without a request and at the latest ``session_max`` after log-in. Every session has its own
CSRF token, which every form of the pages carries.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlmodel import col

from gateway.store.audit import audit
from gateway.store.db import Database
from gateway.store.models.accounts import Account, PasswordReset, WebSession
from gateway.store.types import utcnow
from gateway.web.auth.accounts import actor_of, find_account, seal_totp
from gateway.web.auth.config import WebConfig
from gateway.web.auth.passwords import hash_password, password_problem
from gateway.web.auth.totp import verify_code

__all__ = [
    "ActiveSession",
    "complete_reset",
    "create_session",
    "end_session",
    "load_session",
    "reset_account",
    "start_reset",
    "token_digest",
]

_TOUCH_EVERY = dt.timedelta(seconds=60)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ActiveSession:
    session: WebSession
    account: Account


async def create_session(db: Database, cfg: WebConfig, account_id: int, stage: str) -> tuple[str, str]:
    """A new session: returns (cookie token, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    async with db.session() as s:
        await s.exec(delete(WebSession).where(col(WebSession.expires_at) < now))
        s.add(
            WebSession(
                token_hash=token_digest(token),
                account_id=account_id,
                stage=stage,
                csrf_token=csrf,
                created_at=now,
                last_seen_at=now,
                expires_at=now + cfg.session_max,
            )
        )
    return token, csrf


async def load_session(db: Database, cfg: WebConfig, token: str) -> ActiveSession | None:
    if not token or len(token) > 100:
        return None
    now = utcnow()
    async with db.reader() as s:
        row = (
            await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                select(WebSession, Account)
                .join(Account, col(Account.id) == col(WebSession.account_id))
                .where(col(WebSession.token_hash) == token_digest(token))
            )
        ).first()
    if row is None:
        return None
    session, account = row
    if session.expires_at <= now or session.last_seen_at + cfg.session_idle <= now:
        return None
    if not account.active or account.locked:
        return None
    if now - session.last_seen_at > _TOUCH_EVERY:
        async with db.session() as s:
            await s.exec(update(WebSession).where(col(WebSession.id) == session.id).values(last_seen_at=now))
    return ActiveSession(session, account)


async def end_session(db: Database, token: str) -> None:
    async with db.session() as s:
        await s.exec(delete(WebSession).where(col(WebSession.token_hash) == token_digest(token)))


async def start_reset(
    db: Database, cfg: WebConfig, organisatie: str, gebruikersnaam: str
) -> tuple[Account, str] | None:
    """A reset token for the account, or None when there is no such account or it has no mail address."""
    account = await find_account(db, organisatie, gebruikersnaam)
    if account is None or not account.active or not account.email:
        return None
    token = secrets.token_urlsafe(32)
    now = utcnow()
    async with db.session() as s:
        s.add(
            PasswordReset(
                token_hash=token_digest(token),
                account_id=account.id,  # type: ignore[arg-type]  # a stored account (found above) has its id
                created_at=now,
                expires_at=now + dt.timedelta(minutes=cfg.reset_valid_minutes),
            )
        )
        audit(
            s,
            actor=actor_of(account),
            action="wachtwoord_herstel_gevraagd",
            object_type="account",
            object_id=account.id,
            swv_code=account.swv_code,
        )
    return account, token


async def reset_account(db: Database, token: str) -> Account | None:
    """The account a valid, unused reset token belongs to."""
    if not token or len(token) > 100:
        return None
    async with db.reader() as s:
        row = (
            await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                select(PasswordReset, Account)
                .join(Account, col(Account.id) == col(PasswordReset.account_id))
                .where(col(PasswordReset.token_hash) == token_digest(token))
            )
        ).first()
    if row is None:
        return None
    reset, account = row
    if reset.used_at is not None or reset.expires_at <= utcnow() or not account.active:
        return None
    return account


async def complete_reset(
    db: Database, cfg: WebConfig, token: str, password: str, repeated: str, secret: str, code: str
) -> str | None:
    """Set a new password and (re-)enrol the second factor. Returns a Dutch problem, or None when done.

    A successful reset also unlocks the account and ends its other sessions (handbook §1.2: a new phone
    goes through "wachtwoord vergeten")."""
    account = await reset_account(db, token)
    if account is None:
        return "Deze link is verlopen of al gebruikt. Vraag een nieuwe aan via 'Wachtwoord vergeten'."
    problem = password_problem(password, repeated)
    if problem:
        return problem
    step = verify_code(secret, code)
    if step is None:
        return "De code uit de authenticator-app klopt niet. Scan de QR-code opnieuw en neem de nieuwste code."
    pw_hash = await asyncio.to_thread(hash_password, password, log2_n=cfg.password_log2_n)
    now = utcnow()
    async with db.session() as s:
        row = (await s.exec(select(Account).where(col(Account.id) == account.id))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        row.password_hash, row.totp_secret, row.totp_last_step = pw_hash, seal_totp(db, secret), step
        row.locked, row.locked_at, row.failed_attempts = False, None, 0
        s.add(row)
        await s.exec(
            update(PasswordReset)
            .where(col(PasswordReset.account_id) == row.id, col(PasswordReset.used_at).is_(None))
            .values(used_at=now)
        )
        await s.exec(delete(WebSession).where(col(WebSession.account_id) == row.id))
        audit(
            s,
            actor=actor_of(row),
            action="wachtwoord_hersteld",
            object_type="account",
            object_id=row.id,
            swv_code=row.swv_code,
        )
    return None
