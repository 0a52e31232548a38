"""The durable inbox (one row per inbound exchange), its timeline, the outbox and the replay window."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from gateway.store.types import JSON, UtcDateTime, utcnow


class ExchangeState(StrEnum):
    ONTVANGEN = "ontvangen"
    IN_BEHANDELING = "in_behandeling"
    VERWERKT = "verwerkt"
    GEWEIGERD = "geweigerd"
    WACHT_OP_HERHALING = "wacht_op_herhaling"
    VASTGEHOUDEN = "vastgehouden"


CLAIMABLE = (ExchangeState.ONTVANGEN, ExchangeState.WACHT_OP_HERHALING)
FINAL = (ExchangeState.VERWERKT, ExchangeState.GEWEIGERD)


class Exchange(SQLModel, table=True):
    __tablename__ = "exchange"
    __table_args__ = (Index("ix_exchange_due", "state", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200)  # the exchange's own idempotency key
    source: str = Field(index=True)  # parnassys | esis
    kind: str
    swv_code: str = Field(max_length=6)
    brin6: str | None = Field(default=None, max_length=6, index=True)
    correlation_id: str = Field(max_length=64)
    payload: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    # the intake's hand-off to the worker, stored opaquely (gateway.pipeline.contracts.Handoff), plus the core's
    # own keys (contracts.CORE_KEYS); handoff_version None: written before hand-offs were versioned
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    handoff_version: int | None = None
    state: str = Field(default=ExchangeState.ONTVANGEN.value)
    step: str | None = None  # the current/last processing step, for the queue
    waiting_for: str | None = None  # osr | traffic_center | las | secretariaat
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    lease_owner: str | None = None
    lease_until: dt.datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    findings: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    last_error: str | None = None
    hulpvraag_id: int | None = Field(default=None, foreign_key="hulpvraag.id", index=True)
    received_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    finished_at: dt.datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    payload_purged: bool = False


class ExchangeEvent(SQLModel, table=True):
    """The timeline of an exchange: every processing step, with its findings."""

    __tablename__ = "exchange_event"
    id: int | None = Field(default=None, primary_key=True)
    exchange_id: int = Field(foreign_key="exchange.id", index=True)
    at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    step: str
    message: str
    findings: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class OutboxMessage(SQLModel, table=True):
    """A call to an outside system that must follow a stored outcome (afmelding, terugkoppeling)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200)
    kind: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: str = "wachtend"  # wachtend | verzonden | mislukt
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    lease_until: dt.datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    last_error: str | None = None
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    sent_at: dt.datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))


class SeenMessage(SQLModel, table=True):
    """The persisted replay window for WS-Addressing MessageIDs."""

    __tablename__ = "seen_message"
    message_id: str = Field(primary_key=True, max_length=300)
    until: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False, index=True))
