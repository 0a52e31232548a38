"""The Traffic Center sessions of exchanges, as rows (the core's `gateway.pipeline.ports.remote_sessions`).

`StoredSessions` is what the handler, the afmelding deliverer and the sweeper share:

* the handler records a session the moment the TC hands it out (`opened`), and a later attempt of the same
  exchange — in any process, after any restart — reuses the one still open (`open_for`);
* the afmelding deliverer first *claims* the session it will close (`claim_close`: state ``afmelden``, the
  outbox message's key and the resultaat fixed in the row before the call, and the call counted), counts the
  call on a session it had to open to close (`closing_call`), and records the answer (`expired`, or `closed_with`:
  in the outbox's record of the delivery)
  — so exactly one afmelding closes each session, and an answer ``SessieReedsAfgemeld`` can be checked
  against what we sent;
* the sweeper finds sessions open longer than a bound (`open_longer_than`) and counts the open ones.

`MemorySessions` is the same in memory, for a handler used without a database (tests, tools).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from gateway.pipeline.contracts import Settle
from gateway.pipeline.ports.remote_sessions import Claim, OpenSession, RemoteSessions, RemoteSessionState
from gateway.store.db import Database

__all__ = ["TC", "Claim", "MemorySessions", "OpenSession", "SessionStore", "StoredSessions"]

TC = "traffic_center"
_OPEN, _CLOSING = RemoteSessionState.OPEN.value, RemoteSessionState.CLOSING.value
_CLOSED, _EXPIRED = RemoteSessionState.CLOSED.value, RemoteSessionState.EXPIRED.value


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

    def closed_with(self, sessie_id: str) -> Settle | None: ...


class StoredSessions(RemoteSessions):
    """`SessionStore` over the database: the core's `RemoteSessions` of the Traffic Center."""

    def __init__(self, db: Database) -> None:
        super().__init__(db, TC)


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
                return Claim(k, calls_before=await self.closing_call(k)) if r.state == _CLOSING else Claim(None, True)
        for k, r in reversed(self.rows.items()):
            if r.state == _OPEN and (k == sessie_id if sessie_id is not None else r.exchange_id == exchange_id):
                r.state, r.close_key, r.resultaat = _CLOSING, close_key, resultaat
                return Claim(k, calls_before=await self.closing_call(k))
        return Claim(None)

    async def closing_call(self, sessie_id: str) -> int:
        row = self.rows[sessie_id]
        row.close_attempts += 1
        return row.close_attempts - 1

    async def closed(self, sessie_id: str) -> None:
        self.rows[sessie_id].state = _CLOSED

    def closed_with(self, sessie_id: str) -> Settle | None:
        """Closed at once: in memory there is no record of the delivery to join."""
        self.rows[sessie_id].state = _CLOSED
        return None
