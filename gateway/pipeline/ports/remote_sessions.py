"""Sessions held open at an outside system (e.g. a Traffic Center session per OSO exchange), as rows.

`RemoteSessions` is the table ``remote_session`` for one outside system (``system``): record a session the
moment it is handed out (`opened`), find an exchange's open one again after any restart (`open_for`),
*claim* the session a closing message will close (`claim_close`: state ``afmelden``, the message's key and
resultaat fixed in the row before the call, so exactly one message closes each session, and the closing call
about to be made counted in the same unit), count the closing call on a session opened only to be closed
(`closing_call`), record the answer (`closed` / `expired`), and find sessions open too long (`open_longer_than`,
`count_open`). Every method is one short unit of work, but `closed_with`: the answer written in the unit of work
that records the closing message's delivery.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from gateway.store.db import Database
from gateway.store.models import Exchange, RemoteSession, RemoteSessionState
from gateway.store.prepared import Prepared
from gateway.store.types import utcnow

__all__ = ["Claim", "OpenSession", "RemoteSessionState", "RemoteSessions"]

_OPEN, _CLOSING = RemoteSessionState.OPEN.value, RemoteSessionState.CLOSING.value
_CLOSED, _EXPIRED = RemoteSessionState.CLOSED.value, RemoteSessionState.EXPIRED.value
_RS = RemoteSession.__table__  # type: ignore[attr-defined]  # SQLModel declares no __table__ on the class

# built once, executed with bind parameters (the hot path of every exchange's afmelding: no statement is built,
# and no cache key computed, per call; docs/assumptions/db-hot-path.md)
_INSERT = Prepared(_RS.insert())
_MINE = select(_RS.c.session_id, _RS.c.state).where(
    _RS.c.system == bindparam("b_system"),
    _RS.c.close_key == bindparam("b_close_key"),
    _RS.c.state.in_([_CLOSING, _CLOSED]),
)
_CANDIDATE = select(_RS.c.id, _RS.c.session_id).where(_RS.c.system == bindparam("b_system"), _RS.c.state == _OPEN)
_CANDIDATE_BY = {
    "session_id": _CANDIDATE.where(_RS.c.session_id == bindparam("b_value")),
    "exchange_id": _CANDIDATE.where(_RS.c.exchange_id == bindparam("b_value")),
}
_CANDIDATE_BY = {k: v.order_by(_RS.c.id.desc()).limit(1).with_for_update() for k, v in _CANDIDATE_BY.items()}
_CLAIM = (
    update(_RS)
    .where(_RS.c.id == bindparam("b_id"), _RS.c.state == _OPEN)
    .values(state=_CLOSING, close_key=bindparam("b_close_key"), resultaat=bindparam("b_resultaat"))
)
# The common case in one statement: no session claimed by this message before, and the candidate open — claimed
# and its call counted at once (`claim_close`; the subqueries read the table under another name, so that they
# are not correlated with the row being updated).
_OTHER = _RS.alias("other")
_MINE_BEFORE = (
    select(_OTHER.c.id)
    .where(
        _OTHER.c.system == bindparam("b_system"),
        _OTHER.c.close_key == bindparam("b_close_key"),
        _OTHER.c.state.in_([_CLOSING, _CLOSED]),
    )
    .exists()
)
_CLAIM_AT_ONCE = {
    by: update(_RS)
    .where(
        _RS.c.id
        == select(_OTHER.c.id)
        .where(_OTHER.c.system == bindparam("b_system"), _OTHER.c.state == _OPEN, _OTHER.c[by] == bindparam("b_value"))
        .order_by(_OTHER.c.id.desc())
        .limit(1)
        .with_for_update()
        .scalar_subquery(),
        _RS.c.state == _OPEN,
        ~_MINE_BEFORE,
    )
    .values(
        state=_CLOSING,
        close_key=bindparam("b_close_key"),
        resultaat=bindparam("b_resultaat"),
        close_attempts=_RS.c.close_attempts + 1,
    )
    .returning(_RS.c.session_id, _RS.c.close_attempts)
    for by in ("session_id", "exchange_id")
}
_ONE = (_RS.c.system == bindparam("b_system"), _RS.c.session_id == bindparam("b_session"))
_COUNT_CALL = update(_RS).where(*_ONE).values(close_attempts=_RS.c.close_attempts + 1).returning(_RS.c.close_attempts)
_END = Prepared(update(_RS).where(*_ONE).values(state=bindparam("b_state"), closed_at=bindparam("b_at")))


def _count_call(conn: Connection, system: str, sessie_id: str) -> int:
    """Counts a closing call about to be made; returns how many were made before it (one statement)."""
    after = conn.execute(_COUNT_CALL, {"b_system": system, "b_session": sessie_id}).scalar()
    return int(after or 1) - 1


@dataclass(frozen=True, slots=True)
class Claim:
    """What a closing message is to close: ``sessie`` (claimed for it), or nothing — because this message
    closed one before (``done``) or because no session is open."""

    sessie: str | None
    done: bool = False
    calls_before: int = 0  # with ``sessie``: closing calls made on it before the one this claim counted


@dataclass(frozen=True, slots=True)
class OpenSession:
    """A session still open at the outside system (or being closed), as a sweeper sees it."""

    sessie_id: str
    exchange_id: int
    koppelsleutel: str
    opened_at: dt.datetime
    exchange_state: str | None
    findings: tuple[str, ...]  # the exchange's finding codes


class RemoteSessions:
    """The sessions of one outside system, over the database."""

    def __init__(self, db: Database, system: str) -> None:
        self.db, self.system = db, system

    async def open_for(self, exchange_id: int) -> str | None:
        """The exchange's session that is still open (the newest), if any."""
        stmt = (
            select(_RS.c.session_id)
            .where(_RS.c.exchange_id == exchange_id, _RS.c.system == self.system, _RS.c.state == _OPEN)
            .order_by(_RS.c.id.desc())
            .limit(1)
        )
        async with self.db.reader() as s:
            found = (await (await s.connection()).execute(stmt)).scalars().first()
        return None if found is None else str(found)

    async def opened(
        self,
        exchange_id: int,
        koppelsleutel: str,
        sessie_id: str,
        *,
        close_key: str | None = None,
        resultaat: str | None = None,
    ) -> None:
        """Record a session just handed out (``close_key``: opened only to be closed by that message)."""
        row = {
            "exchange_id": exchange_id,
            "system": self.system,
            "session_id": sessie_id,
            "subject": koppelsleutel,
            "state": _CLOSING if close_key else _OPEN,
            "resultaat": resultaat,
            "close_key": close_key,
            "close_attempts": 0,
            "opened_at": utcnow(),
        }

        def unit(s: Session) -> None:
            _INSERT.execute(s.connection(), row)

        await self.db.run(unit, durable=True, one_statement=True)

    async def expired(self, sessie_id: str) -> None:
        """The outside system closed the session without our closing message (timed out, or closed by someone
        else)."""
        await self._end(sessie_id, _EXPIRED)

    async def claim_close(
        self, *, close_key: str, resultaat: str, exchange_id: int | None, sessie_id: str | None
    ) -> Claim:
        """The session this closing message closes, claimed for it (see `Claim`).

        A message claimed a session before (a retry): that one. Otherwise the given session (a sweeper's)
        or the exchange's newest open one, set to ``afmelden`` with this message's key and resultaat. The
        caller makes the closing call next, so a claimed session's call is counted here, in the same unit
        (durable, as `closing_call`): one unit instead of two on every afmelding. The common case — this
        message claimed nothing before and the session is open — is one statement, run as a one-statement unit
        (on PostgreSQL its own transaction: no BEGIN and COMMIT round trips); when it claims nothing, a unit goes
        step by step."""
        system = self.system
        by = ("session_id", sessie_id) if sessie_id is not None else ("exchange_id", exchange_id)
        params = {"b_system": system, "b_value": by[1], "b_close_key": close_key, "b_resultaat": resultaat}

        def at_once(s: Session) -> Claim | None:
            first = s.connection().execute(_CLAIM_AT_ONCE[by[0]], params).first()
            return None if first is None else Claim(str(first.session_id), calls_before=int(first.close_attempts) - 1)

        if by[1] is not None:
            claimed = await self.db.run(at_once, durable=True, one_statement=True)
            if claimed is not None:
                return claimed

        def unit(s: Session) -> Claim:  # step by step: right in every state, whatever changed since
            conn = s.connection()
            mine = conn.execute(_MINE, {"b_system": system, "b_close_key": close_key}).first()
            if mine is not None and mine.state != _CLOSING:
                return Claim(None, done=True)
            if mine is not None:
                sessie = str(mine.session_id)
            else:
                if by[1] is None:
                    return Claim(None)
                row = conn.execute(_CANDIDATE_BY[by[0]], {"b_system": system, "b_value": by[1]}).first()
                if row is None:
                    return Claim(None)
                conn.execute(_CLAIM, {"b_id": row.id, "b_close_key": close_key, "b_resultaat": resultaat})
                sessie = str(row.session_id)
            return Claim(sessie, calls_before=_count_call(conn, system, sessie))

        return await self.db.run(unit, durable=True)

    async def closing_call(self, sessie_id: str) -> int:
        """Count a closing call about to be made on a session `claim_close` did not count (one opened to be
        closed); returns how many were made before it."""
        system = self.system
        return await self.db.run(lambda s: _count_call(s.connection(), system, sessie_id), durable=True)

    async def closed(self, sessie_id: str) -> None:
        await self._end(sessie_id, _CLOSED)

    def closed_with(self, sessie_id: str) -> Callable[[Session], None]:
        """`closed` as part of another unit of work — the outbox's record of the closing message's delivery —
        instead of one of its own. Until that unit commits the row stays ``afmelden`` with its call counted,
        so a crash in between sends the closing call again and its answer is judged as after a lost reply."""
        return self._ending(sessie_id, _CLOSED)

    async def _end(self, sessie_id: str, state: str) -> None:
        await self.db.run(self._ending(sessie_id, state), durable=False, one_statement=True)

    def _ending(self, sessie_id: str, state: str) -> Callable[[Session], None]:
        params = {"b_system": self.system, "b_session": sessie_id, "b_state": state, "b_at": utcnow()}

        def unit(s: Session) -> None:
            _END.execute(s.connection(), params)

        return unit

    # -- for a sweeper -----------------------------------------------------------------------------------
    async def open_longer_than(self, bound: dt.timedelta, limit: int = 500) -> list[OpenSession]:
        """Sessions still open (not being closed) that were opened more than ``bound`` ago, oldest first."""
        stmt = (
            select(
                _RS.c.session_id,
                _RS.c.exchange_id,
                _RS.c.subject,
                _RS.c.opened_at,
                col(Exchange.state),
                col(Exchange.findings),
            )
            .join(Exchange, col(Exchange.id) == _RS.c.exchange_id)
            .where(_RS.c.system == self.system, _RS.c.state == _OPEN, _RS.c.opened_at < utcnow() - bound)
            .order_by(_RS.c.opened_at)
            .limit(limit)
        )
        async with self.db.reader() as s:
            rows = (await (await s.connection()).execute(stmt)).all()
        return [
            OpenSession(str(r[0]), int(r[1]), str(r[2]), r[3], r[4], tuple(str(f.get("code")) for f in (r[5] or [])))
            for r in rows
        ]

    async def count_open(self) -> int:
        """Sessions not yet closed at the outside system (open, or a closing message on its way)."""
        stmt = select(func.count()).where(_RS.c.system == self.system, _RS.c.state.in_([_OPEN, _CLOSING]))
        async with self.db.reader() as s:
            return int((await (await s.connection()).execute(stmt)).scalar_one())
