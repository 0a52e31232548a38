"""The persisted replay window for WS-Addressing MessageIDs (table ``seen_message``).

`DatabaseReplayGuard.first_seen(message_id, until)` answers "is this the first time within the window?" with
one statement that inserts the id or detects it::

    INSERT INTO seen_message (message_id, until) VALUES (:id, :until)
    ON CONFLICT (message_id) DO UPDATE SET until = excluded.until WHERE seen_message.until <= :now
    RETURNING message_id

A row comes back when the id is new, or when it was seen before but its window has passed (the row is
reused); no row comes back while the earlier sighting is still inside its window. Two processes asking
about the same id at once cannot both get a row: the unique key decides. Expired rows are pruned in the
same transaction every ``prune_every`` calls (and at the first call), so the table stays as small as the
traffic of one window.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from gateway.store.db import Database
from gateway.store.models import SeenMessage
from gateway.store.types import utcnow

__all__ = ["DatabaseReplayGuard"]

_MAX_ID = 300  # the column's length


class DatabaseReplayGuard:
    """Implements ``adapters.parnassys.ports.ReplayGuard`` over the store (shared by every process)."""

    def __init__(self, db: Database, *, prune_every: int = 500) -> None:
        self.db = db
        self.prune_every = max(1, prune_every)
        self._calls = 0
        self._insert: Any = sqlite.insert if db.is_sqlite else postgresql.insert

    async def first_seen(self, message_id: str, until: dt.datetime) -> bool:
        now = utcnow()
        table = SeenMessage.__table__  # type: ignore[attr-defined]
        stmt = self._insert(table).values(message_id=message_id[:_MAX_ID], until=until)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.message_id],
            set_={"until": stmt.excluded.until},
            where=table.c.until <= now,
        ).returning(table.c.message_id)
        prune = self._calls % self.prune_every == 0
        self._calls += 1

        def unit(s: Session) -> bool:
            if prune:
                s.connection().execute(delete(table).where(table.c.until < now))
            return s.connection().execute(stmt).first() is not None

        return await self.db.run(unit, durable=True)  # acknowledged: fsynced (group-committed on SQLite)

    async def prune(self) -> int:
        """Delete every expired row now; returns how many were deleted."""
        table = SeenMessage.__table__  # type: ignore[attr-defined]
        async with self.db.session() as s:
            result = await s.exec(delete(table).where(table.c.until < utcnow()))  # type: ignore[call-overload]
        return int(result.rowcount or 0)
