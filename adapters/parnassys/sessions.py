"""The Traffic Center sessions of exchanges, as rows (`gateway.store.models.RemoteSession`).

`StoredSessions` is what the handler, the afmelding deliverer and the sweeper share:

* the handler records a session the moment the TC hands it out (`opened`), and a later attempt of the same
  exchange — in any process, after any restart — reuses the one still open (`open_for`);
* the afmelding deliverer first *claims* the session it will close (`claim_close`: state ``afmelden``, the
  outbox message's key and the resultaat fixed in the row before the call), counts every closing call
  (`closing_call`), and records the answer (`closed` / `expired`) — so exactly one afmelding closes each
  session, and an answer ``SessieReedsAfgemeld`` can be checked against what we sent;
* the sweeper finds sessions open longer than a bound (`open_longer_than`) and counts the open ones.

`MemorySessions` is the same in memory, for a handler used without a database (tests, tools).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from gateway.store.db import Database
from gateway.store.models import Exchange, RemoteSession, RemoteSessionState
from gateway.store.types import utcnow

__all__ = ["TC", "Claim", "MemorySessions", "OpenSession", "SessionStore", "StoredSessions"]

TC = "traffic_center"
_OPEN, _CLOSING = RemoteSessionState.OPEN.value, RemoteSessionState.CLOSING.value
_CLOSED, _EXPIRED = RemoteSessionState.CLOSED.value, RemoteSessionState.EXPIRED.value
_RS = RemoteSession.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Claim:
    """What a closing message is to close: ``sessie`` (claimed for it), or nothing — because this message
    closed one before (``done``) or because no session is open."""

    sessie: str | None
    done: bool = False


@dataclass(frozen=True, slots=True)
class OpenSession:
    """A session still open at the TC (or being closed), as the sweeper sees it."""

    sessie_id: str
    exchange_id: int
    koppelsleutel: str
    opened_at: dt.datetime
    exchange_state: str | None
    findings: tuple[str, ...]  # the exchange's finding codes


class SessionStore(Protocol):
    async def open_for(self, exchange_id: int) -> str | None: ...

    async def opened(
        self, exchange_id: int, koppelsleutel: str, sessie_id: str, *, close_key: str | None = None,
        resultaat: str | None = None,
    ) -> None: ...  # fmt: skip

    async def expired(self, sessie_id: str) -> None: ...

    async def claim_close(
        self, *, close_key: str, resultaat: str, exchange_id: int | None, sessie_id: str | None
    ) -> Claim: ...

    async def closing_call(self, sessie_id: str) -> int: ...

    async def closed(self, sessie_id: str) -> None: ...


class StoredSessions:
    """`SessionStore` over the database; every method is one short unit of work."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def open_for(self, exchange_id: int) -> str | None:
        """The exchange's session that is still open (the newest), if any."""
        stmt = (
            select(col(RemoteSession.session_id))
            .where(RemoteSession.exchange_id == exchange_id, RemoteSession.system == TC, RemoteSession.state == _OPEN)  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
            .order_by(col(RemoteSession.id).desc())
            .limit(1)
        )
        async with self.db.reader() as s:
            return (await s.exec(stmt)).scalars().first()  # type: ignore[call-overload]

    async def opened(
        self,
        exchange_id: int,
        koppelsleutel: str,
        sessie_id: str,
        *,
        close_key: str | None = None,
        resultaat: str | None = None,
    ) -> None:
        """Record a session the TC just handed out (``close_key``: opened only to be closed by that message)."""
        row = {
            "exchange_id": exchange_id,
            "system": TC,
            "session_id": sessie_id,
            "subject": koppelsleutel,
            "state": _CLOSING if close_key else _OPEN,
            "resultaat": resultaat,
            "close_key": close_key,
            "close_attempts": 0,
            "opened_at": utcnow(),
        }

        def unit(s: Session) -> None:
            s.connection().execute(_RS.insert(), row)

        await self.db.run(unit, durable=True)

    async def expired(self, sessie_id: str) -> None:
        """The TC closed the session without our afmelding (timed out, or closed by someone else)."""
        await self._set(sessie_id, state=_EXPIRED, closed_at=utcnow())

    async def claim_close(
        self, *, close_key: str, resultaat: str, exchange_id: int | None, sessie_id: str | None
    ) -> Claim:
        """The session this closing message closes, claimed for it (see `Claim`).

        A message claimed a session before (a retry): that one. Otherwise the given session (the sweeper's)
        or the exchange's newest open one, set to ``afmelden`` with this message's key and resultaat."""

        def unit(s: Session) -> Claim:
            conn = s.connection()
            mine = conn.execute(
                select(_RS.c.session_id, _RS.c.state).where(
                    _RS.c.system == TC, _RS.c.close_key == close_key, _RS.c.state.in_([_CLOSING, _CLOSED])
                )
            ).first()
            if mine is not None:
                return Claim(str(mine.session_id)) if mine.state == _CLOSING else Claim(None, done=True)
            candidates = select(_RS.c.id, _RS.c.session_id).where(_RS.c.system == TC, _RS.c.state == _OPEN)
            if sessie_id is not None:
                candidates = candidates.where(_RS.c.session_id == sessie_id)
            elif exchange_id is not None:
                candidates = candidates.where(_RS.c.exchange_id == exchange_id)
            else:
                return Claim(None)
            row = conn.execute(candidates.order_by(_RS.c.id.desc()).limit(1).with_for_update()).first()
            if row is None:
                return Claim(None)
            conn.execute(
                update(_RS)
                .where(_RS.c.id == row.id, _RS.c.state == _OPEN)
                .values(state=_CLOSING, close_key=close_key, resultaat=resultaat)
            )
            return Claim(str(row.session_id))

        return await self.db.run(unit, durable=False)

    async def closing_call(self, sessie_id: str) -> int:
        """Count a closing call about to be made; returns how many were made before it."""

        def unit(s: Session) -> int:
            conn = s.connection()
            before = conn.execute(
                select(_RS.c.close_attempts).where(_RS.c.system == TC, _RS.c.session_id == sessie_id)
            ).scalar()
            conn.execute(
                update(_RS)
                .where(_RS.c.system == TC, _RS.c.session_id == sessie_id)
                .values(close_attempts=_RS.c.close_attempts + 1)
            )
            return int(before or 0)

        return await self.db.run(unit, durable=True)

    async def closed(self, sessie_id: str) -> None:
        await self._set(sessie_id, state=_CLOSED, closed_at=utcnow())

    async def _set(self, sessie_id: str, **values: object) -> None:
        stmt = update(_RS).where(_RS.c.system == TC, _RS.c.session_id == sessie_id).values(**values)

        def unit(s: Session) -> None:
            s.connection().execute(stmt)

        await self.db.run(unit, durable=False)

    # -- the sweeper ------------------------------------------------------------------------------------
    async def open_longer_than(self, bound: dt.timedelta, limit: int = 500) -> list[OpenSession]:
        """Sessions still open (not being closed) that were opened more than ``bound`` ago, oldest first."""
        stmt = (
            select(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                RemoteSession.session_id,
                RemoteSession.exchange_id,
                RemoteSession.subject,
                RemoteSession.opened_at,
                Exchange.state,
                Exchange.findings,
            )
            .join(Exchange, col(Exchange.id) == col(RemoteSession.exchange_id))
            .where(
                RemoteSession.system == TC,
                RemoteSession.state == _OPEN,
                col(RemoteSession.opened_at) < utcnow() - bound,
            )
            .order_by(RemoteSession.opened_at)
            .limit(limit)
        )
        async with self.db.reader() as s:
            rows = (await s.exec(stmt)).all()
        return [
            OpenSession(str(r[0]), int(r[1]), str(r[2]), r[3], r[4], tuple(str(f.get("code")) for f in (r[5] or [])))
            for r in rows
        ]

    async def count_open(self) -> int:
        """Sessions not yet closed at the TC (open, or an afmelding on its way)."""
        stmt = select(func.count()).where(
            col(RemoteSession.system) == TC, col(RemoteSession.state).in_([_OPEN, _CLOSING])
        )
        async with self.db.reader() as s:
            return int((await s.exec(stmt)).one()[0])  # type: ignore[call-overload]


@dataclass
class _Row:
    exchange_id: int
    koppelsleutel: str
    state: str
    close_key: str | None = None
    resultaat: str | None = None
    close_attempts: int = 0


class MemorySessions:
    """`SessionStore` in memory (one process; a handler used without a database)."""

    def __init__(self) -> None:
        self.rows: dict[str, _Row] = {}

    async def open_for(self, exchange_id: int) -> str | None:
        found = [k for k, r in self.rows.items() if r.exchange_id == exchange_id and r.state == _OPEN]
        return found[-1] if found else None

    async def opened(
        self,
        exchange_id: int,
        koppelsleutel: str,
        sessie_id: str,
        *,
        close_key: str | None = None,
        resultaat: str | None = None,
    ) -> None:
        state = _CLOSING if close_key else _OPEN
        self.rows[sessie_id] = _Row(exchange_id, koppelsleutel, state, close_key, resultaat)

    async def expired(self, sessie_id: str) -> None:
        self.rows[sessie_id].state = _EXPIRED

    async def claim_close(
        self, *, close_key: str, resultaat: str, exchange_id: int | None, sessie_id: str | None
    ) -> Claim:
        for k, r in self.rows.items():
            if r.close_key == close_key and r.state in (_CLOSING, _CLOSED):
                return Claim(k) if r.state == _CLOSING else Claim(None, done=True)
        for k, r in reversed(self.rows.items()):
            if r.state == _OPEN and (k == sessie_id if sessie_id is not None else r.exchange_id == exchange_id):
                r.state, r.close_key, r.resultaat = _CLOSING, close_key, resultaat
                return Claim(k)
        return Claim(None)

    async def closing_call(self, sessie_id: str) -> int:
        row = self.rows[sessie_id]
        row.close_attempts += 1
        return row.close_attempts - 1

    async def closed(self, sessie_id: str) -> None:
        self.rows[sessie_id].state = _CLOSED
