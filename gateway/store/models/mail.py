"""The mail outbox (owned by the ESIS capability; used by the web pages too).

A mail is written here in the transaction of what it announces (a code activated, a status changed) and
delivered later by `gateway.mail.sender` — by SMTP when configured; otherwise it stays here, visible.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from gateway.store.types import UtcDateTime, utcnow


class MailState(StrEnum):
    WACHTEND = "wachtend"
    VERZONDEN = "verzonden"
    MISLUKT = "mislukt"  # gave up after the maximum number of attempts


class Mail(SQLModel, table=True):
    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "state", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    to: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(default=MailState.WACHTEND.value, max_length=16)
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    last_error: str | None = None
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    sent_at: dt.datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
