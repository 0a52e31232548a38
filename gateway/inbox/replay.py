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
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from gateway.store.db import Database
from gateway.store.models import SeenMessage
from gateway.store.prepared import Prepared
from gateway.store.types import utcnow

__all__ = ["DatabaseReplayGuard"]

_MAX_ID = 300  # the column's length
_TABLE = SeenMessage.__table__  # type: ignore[attr-defined]  # SQLModel does not declare the __table__ SQLAlchemy adds
_PRUNE = delete(_TABLE).where(_TABLE.c.until < bindparam("b_now"))


def _first_seen_statement(dialect_insert: Any) -> Any:
    """The insert-or-detect statement for one dialect, built once and executed with bindparams."""
    stmt = dialect_insert(_TABLE).values(message_id=bindparam("b_id"), until=bindparam("b_until"))
    return stmt.on_conflict_do_update(
        index_elements=[_TABLE.c.message_id],
        set_={"until": stmt.excluded.until},
        where=_TABLE.c.until <= bindparam("b_now"),
    ).returning(_TABLE.c.message_id)


# on the driver's cursor (`Prepared`): one of the three statements of every notificatie's intake unit
_FIRST_SEEN = {
    True: Prepared(_first_seen_statement(sqlite.insert)),
    False: Prepared(_first_seen_statement(postgresql.insert)),
}


class DatabaseReplayGuard:
    """Implements ``adapters.parnassys.ports.ReplayGuard`` over the store (shared by every process)."""

    def __init__(self, db: Database, *, prune_every: int = 500) -> None:
        self.db = db
        self.prune_every = max(1, prune_every)
        self._calls = 0
        self._statement = _FIRST_SEEN[db.is_sqlite]

    def sighting(self, message_id: str, until: dt.datetime) -> Callable[[Session], bool]:
        """The check as a unit of work for another transaction: True when the id is new within the window (and
        now recorded). The intake runs it in the transaction that stores the exchange, so a notificatie costs
        one transaction, and a sighting is kept exactly when what it belongs to is stored."""
        now = utcnow()
        stmt, params = self._statement, {"b_id": message_id[:_MAX_ID], "b_until": until, "b_now": now}
        prune = self._calls % self.prune_every == 0
        self._calls += 1

        def unit(s: Session) -> bool:
            conn = s.connection()
            if prune:
                conn.execute(_PRUNE, {"b_now": now})
            return stmt.execute(conn, params).first() is not None

        return unit

    async def first_seen(self, message_id: str, until: dt.datetime) -> bool:
        # Not fsynced on its own: what makes an acknowledgement durable is the inbox write that follows (or the
        # recorded refusal), and on SQLite its fsync of the WAL also covers this earlier commit. A power cut
        # before that write loses only the sighting of a message that was never acknowledged.
        return await self.db.run(self.sighting(message_id, until), durable=False)

    async def prune(self) -> int:
        """Delete every expired row now; returns how many were deleted."""
        async with self.db.session() as s:
            result = await s.exec(_PRUNE, params={"b_now": utcnow()})
        return int(result.rowcount or 0)
