"""Exchanges as an adapter may read them (`ExchangeView`), and the marks an adapter may set on one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from gateway.store.db import Database
from gateway.store.models import Exchange
from gateway.store.prepared import Prepared

__all__ = [
    "ExchangeView",
    "SeenExchange",
    "count_exchanges",
    "exchange_by_key",
    "exchanges_from",
    "exchanges_of_request",
    "mark_payload_purged",
    "seen_exchange",
]


@dataclass(frozen=True, slots=True)
class ExchangeView:
    id: int
    key: str
    source: str
    kind: str
    swv_code: str
    brin6: str | None
    state: str
    step: str | None
    meta: dict[str, Any]
    findings: list[dict[str, Any]]
    correlation_id: str
    received_at: dt.datetime
    finished_at: dt.datetime | None


def _view(e: Exchange) -> ExchangeView:
    assert e.id is not None
    return ExchangeView(
        id=e.id,
        key=e.key,
        source=e.source,
        kind=e.kind,
        swv_code=e.swv_code,
        brin6=e.brin6,
        state=e.state,
        step=e.step,
        meta=dict(e.meta or {}),
        findings=list(e.findings or []),
        correlation_id=e.correlation_id,
        received_at=e.received_at,
        finished_at=e.finished_at,
    )


@dataclass(frozen=True, slots=True)
class SeenExchange:
    """What an intake's duplicate check needs of an exchange already stored under a key."""

    id: int
    state: str
    correlation_id: str
    content_sha256: str | None  # ``meta.inhoud_sha256``: what the adapter stored of the first request's content


_SEEN = Prepared(
    select(
        col(Exchange.id),
        col(Exchange.state),
        col(Exchange.correlation_id),
        col(Exchange.meta)["inhoud_sha256"].as_string(),
    )
    .where(col(Exchange.key) == bindparam("b_key"))
    .limit(1)
)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _views(session: Session, stmt: Select[Exchange]) -> list[ExchangeView]:
    return [_view(e) for e in session.execute(stmt).scalars()]


async def _read(db: Database, stmt: Select[Exchange]) -> list[ExchangeView]:
    return await db.read(lambda s: _views(s, stmt))


async def exchange_by_key(db: Database, key: str) -> ExchangeView | None:
    found = await _read(db, select(Exchange).where(col(Exchange.key) == key).limit(1))
    return found[0] if found else None


async def seen_exchange(db: Database, key: str) -> SeenExchange | None:
    """The exchange stored under ``key``, as far as a duplicate check needs it (one statement, four columns)."""
    row = (await db.look_up(_SEEN, {"b_key": key})).first()
    if row is None:
        return None
    return SeenExchange(int(row[0]), str(row[1]), str(row[2]), None if row[3] is None else str(row[3]))


async def exchanges_of_request(db: Database, key: str, *, followed_by: str, brin6: str) -> list[ExchangeView]:
    """The exchange with ``key`` and those whose key is ``key + followed_by + …`` (its updates), of one
    vestiging, oldest first."""
    stmt = (
        select(Exchange)
        .where(
            or_(
                col(Exchange.key) == key,
                col(Exchange.key).like(_like_escape(key + followed_by) + "%", escape="\\"),
            ),
            col(Exchange.brin6) == brin6,
        )
        .order_by(col(Exchange.id))
    )
    return await _read(db, stmt)


async def exchanges_from(db: Database, source: str, *, limit: int = 100) -> list[ExchangeView]:
    """The first exchanges of a source system, oldest first."""
    return await _read(
        db, select(Exchange).where(col(Exchange.source) == source).order_by(col(Exchange.id)).limit(limit)
    )


async def count_exchanges(db: Database, source: str, states: Sequence[str]) -> int:
    """How many exchanges of a source system are in one of these states."""
    stmt = (
        select(func.count())
        .select_from(Exchange)
        .where(col(Exchange.source) == source, col(Exchange.state).in_(list(states)))
    )
    async with db.reader() as s:
        return int((await (await s.connection()).execute(stmt)).scalar_one())


async def mark_payload_purged(db: Database, exchange_id: int) -> None:
    """Nothing of this exchange's payload is kept: it can never be offered again."""
    async with db.session() as s:
        await (await s.connection()).execute(
            update(Exchange).where(col(Exchange.id) == exchange_id).values(payload_purged=True)
        )
