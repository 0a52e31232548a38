"""Accounts of the web pages (owned by the web capability): users, their browser sessions, reset tokens.

Secrets at rest: the password is a scrypt hash; session and reset tokens are stored as SHA-256 digests of
the random value the browser or mail holds, so a copy of the database does not let anyone in. The TOTP
secret must be readable to check a code, so it is stored as-is (see docs/assumptions/web.md).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from gateway.store.types import UtcDateTime, utcnow


class Role(StrEnum):
    SECRETARIAAT = "secretariaat"
    MONITORING = "monitoring"
    SCHOOLBEHEERDER = "schoolbeheerder"


class Account(SQLModel, table=True):
    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("organisatie", "gebruikersnaam"),)
    id: int | None = Field(default=None, primary_key=True)
    organisatie: str = Field(max_length=6, index=True)  # the SWV code (PO3008) or, for a school, its BRIN4
    gebruikersnaam: str = Field(max_length=100)
    naam: str | None = None  # display name
    email: str | None = None  # where password-reset mails go
    swv_code: str = Field(max_length=6)  # the SWV whose data this account may see
    role: str  # Role
    brin4: str | None = Field(default=None, max_length=4)  # schoolbeheerder: its school
    password_hash: str | None = None  # None: no password yet (set through a reset link)
    totp_secret: str | None = None  # None: the second factor still has to be enrolled
    totp_last_step: int | None = None  # the last accepted TOTP time step (a code is accepted once)
    failed_attempts: int = 0
    locked: bool = False
    locked_at: dt.datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    active: bool = True
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    last_login_at: dt.datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))


class WebSession(SQLModel, table=True):
    """A browser session. ``stage`` is ``volledig`` after password + TOTP, ``tweestaps`` while the account
    still has to enrol its second factor (only the enrolment page is open then)."""

    __tablename__ = "web_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    account_id: int = Field(foreign_key="account.id", index=True)
    stage: str = "volledig"
    csrf_token: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    last_seen_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    expires_at: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False, index=True))


class PasswordReset(SQLModel, table=True):
    __tablename__ = "password_reset"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    account_id: int = Field(foreign_key="account.id", index=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    expires_at: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    used_at: dt.datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
