"""Follow-up messages an adapter's periodic job writes itself (e.g. the sweeper's afmeldingen)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from sqlmodel import col

from gateway.pipeline.contracts import OutboundMessage
from gateway.store.db import Database
from gateway.store.models import OutboxMessage
from gateway.store.types import utcnow

__all__ = ["NewOutboxMessage", "count_waiting", "enqueue_new"]

_OUT = OutboxMessage.__table__  # type: ignore[attr-defined]  # SQLModel declares no __table__ on the class


@dataclass(frozen=True, slots=True)
class NewOutboxMessage:
    message: OutboundMessage
    # also skipped while a waiting message whose key starts with this is in the outbox (one doing the same job)
    unless_waiting: str | None = None


async def enqueue_new(db: Database, messages: Sequence[NewOutboxMessage]) -> int:
    """Write each message unless its key was written before or a waiting message does its job; one
    transaction. Returns how many were written (the caller rings the outbox's doorbell)."""

    def unit(s: Session) -> int:
        conn = s.connection()
        written = 0
        for new in messages:
            m = new.message
            waiting = _OUT.c.key == m.key
            if new.unless_waiting is not None:
                waiting = waiting | _OUT.c.key.startswith(new.unless_waiting)
            pending = conn.execute(select(_OUT.c.id).where(_OUT.c.state == "wachtend", waiting)).first()
            if pending is not None or conn.execute(select(_OUT.c.id).where(_OUT.c.key == m.key)).first():
                continue
            now = utcnow()
            conn.execute(
                insert(_OUT),
                {"key": m.key, "kind": m.kind, "payload": dict(m.payload), "state": "wachtend", "attempts": 0,
                 "next_attempt_at": now, "created_at": now},
            )  # fmt: skip
            written += 1
        return written

    return await db.run(unit, durable=False)


async def count_waiting(db: Database) -> int:
    """Outbox messages not yet delivered."""
    stmt = select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.state) == "wachtend")
    async with db.reader() as s:
        return int((await (await s.connection()).execute(stmt)).scalar_one())
