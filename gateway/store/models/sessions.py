"""Sessions an adapter opened at an outside system for one exchange, and how each was closed.

For OSO-SWV: the Traffic Center's overdracht session (`sessie_id`) for a koppelsleutel (`subject`). Written
the moment the outside system hands the session out, so a later attempt — in another process, after a
restart — reuses it, and the afmelding that closes it is tied to it: `close_key` names the outbox message
that closes it and `resultaat` what that message says, fixed before the call is made (so an answer "already
closed" can be checked against what we sent).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from gateway.store.types import UtcDateTime, utcnow

__all__ = ["RemoteSession", "RemoteSessionState"]


class RemoteSessionState(StrEnum):
    OPEN = "open"  # in use by the exchange, or waiting for its outcome
    CLOSING = "afmelden"  # an afmelding (close_key, resultaat) is being delivered
    CLOSED = "afgemeld"  # the outside system confirmed the afmelding
    EXPIRED = "verlopen"  # the outside system closed it without our afmelding (timed out, closed elsewhere)


class RemoteSession(SQLModel, table=True):
    __tablename__ = "remote_session"
    __table_args__ = (
        UniqueConstraint("system", "session_id"),
        Index("ix_remote_session_state", "state", "opened_at"),
        # claim_close looks a closing message's session up by its key: without this, a scan of every closed one
        Index("ix_remote_session_close_key", "system", "close_key"),
    )
    id: int | None = Field(default=None, primary_key=True)
    exchange_id: int = Field(foreign_key="exchange.id", index=True)
    system: str = Field(max_length=40)  # e.g. "traffic_center"
    session_id: str = Field(max_length=200)
    subject: str = Field(max_length=200)  # what the session is about (the koppelsleutel)
    state: str = Field(default=RemoteSessionState.OPEN.value, max_length=16)
    resultaat: str | None = Field(default=None, max_length=100)  # what the closing message says
    close_key: str | None = Field(default=None, max_length=200)  # the outbox message that closes it
    close_attempts: int = 0  # closing calls made (a retry after a lost reply: > 0)
    opened_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    closed_at: dt.datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
