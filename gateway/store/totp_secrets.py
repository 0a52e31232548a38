"""TOTP secrets of web accounts at rest: sealed with the configured key ring (`gateway.store.secret_box`).

Below the web package so that start-up (`gateway.runtime.open_components`) can seal the secrets stored before a
key ring was configured without importing the web layer.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from gateway.store.db import Database
from gateway.store.models.accounts import Account
from gateway.store.secret_box import is_sealed, keyring_of, open_secret, seal_secret

__all__ = ["TOTP_PURPOSE", "plain_totp", "seal_plain_totp_secrets", "seal_totp"]

TOTP_PURPOSE = "account.totp_secret"


def seal_totp(db: Database, secret: str) -> str:
    """The TOTP secret as it is stored: sealed with the configured key ring (gateway.store.secret_box)."""
    return seal_secret(keyring_of(db), secret, TOTP_PURPOSE)


def plain_totp(db: Database, account: Account) -> str:
    """The plain TOTP secret of an account that has one (opened with the key ring when sealed)."""
    assert account.totp_secret is not None
    return open_secret(keyring_of(db), account.totp_secret, TOTP_PURPOSE)


async def seal_plain_totp_secrets(db: Database) -> int:
    """Seal the TOTP secrets stored before a key ring was configured. Returns how many (0 without a ring)."""
    if keyring_of(db) is None:
        return 0
    n = 0
    async with db.session() as s:
        rows = (await s.exec(select(Account).where(col(Account.totp_secret).is_not(None)))).scalars().all()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        for row in rows:
            if not is_sealed(row.totp_secret):
                row.totp_secret = seal_totp(db, row.totp_secret)
                s.add(row)
                n += 1
    return n
