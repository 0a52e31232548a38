"""The durable inbox: every inbound exchange is committed here before the sender is answered.

Claiming uses a lease: a claimed item's ``next_attempt_at`` is set to the end of its lease, so an item
whose worker died (kill -9, power loss) simply becomes due again when the lease runs out — one index
(state, next_attempt_at) serves both new work and recovery. On PostgreSQL the claim takes the row with
``FOR UPDATE SKIP LOCKED`` so several processes never claim the same item; on SQLite every transaction is
``BEGIN IMMEDIATE`` (see gateway.store.db), which serialises claims. A claim is one statement
(``UPDATE … WHERE id IN (SELECT … LIMIT n [FOR UPDATE SKIP LOCKED]) RETURNING …``).

Idle workers wait on the process's inbox `Doorbell`: `put` rings it once the item is committed, so a worker
starts on it at once, and while nothing comes in the workers of a process together poll once per
``poll_interval`` (items stored by another process, retries and expired leases that became due).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from gateway.doorbell import Doorbell, doorbell  # re-exported: the pollers of this package import them here
from gateway.logging import get_logger, new_correlation_id
from gateway.outbound.retry import RetryPolicy  # re-exported: the workers and the composition root import it here
from gateway.pipeline.contracts import ClaimedExchange, NewExchange, PutResult
from gateway.store.db import Database
from gateway.store.models import Exchange, ExchangeEvent, ExchangeState
from gateway.store.prepared import Prepared
from gateway.store.types import utcnow
from verification.findings import Finding

__all__ = ["ACTIVE_STATES", "Doorbell", "Inbox", "LeaseLost", "RetryPolicy", "as_claimed", "doorbell"]

log = get_logger(__name__)

ACTIVE_STATES = (
    ExchangeState.ONTVANGEN.value,
    ExchangeState.WACHT_OP_HERHALING.value,
    ExchangeState.IN_BEHANDELING.value,
)
_EX = Exchange.__table__  # type: ignore[attr-defined]  # SQLModel does not declare the __table__ SQLAlchemy adds
_EV = ExchangeEvent.__table__  # type: ignore[attr-defined]  # SQLModel does not declare the __table__ SQLAlchemy adds
# The hot path's statements are built once and executed with a dict of values: on SQLite compiled once and run
# on the DBAPI cursor, elsewhere through SQLAlchemy's compiled cache (gateway.store.prepared).
_EVENT = Prepared(insert(_EV))
_PUT = Prepared(insert(_EX).returning(_EX.c.id))
_CLAIMED_NAMES = ("id", "key", "source", "kind", "swv_code", "brin6", "payload", "meta", "attempts",
                  "correlation_id", "received_at", "handoff_version")  # fmt: skip
_CLAIMED_COLUMNS = tuple(_EX.c[name] for name in _CLAIMED_NAMES)
# One statement claims: the due rows (oldest due first; on PostgreSQL locked with SKIP LOCKED, so two
# processes never take the same row) are leased and returned by the UPDATE itself.
_DUE = (
    select(_EX.c.id)
    # the states as three plain parameters, not one expanding list: the same IN, and a statement `Prepared`
    # can run on SQLite's cursor
    .where(_EX.c.state.in_([literal(s) for s in ACTIVE_STATES]), _EX.c.next_attempt_at <= bindparam("b_now"))
    .order_by(_EX.c.next_attempt_at, _EX.c.id)
    .limit(bindparam("b_limit"))
    .with_for_update(skip_locked=True)
)
_CLAIM = Prepared(
    update(_EX)
    .where(_EX.c.id.in_(_DUE))
    .values(
        state=ExchangeState.IN_BEHANDELING.value,
        lease_owner=bindparam("b_owner"),
        lease_until=bindparam("b_until"),
        next_attempt_at=bindparam("b_until"),
        attempts=_EX.c.attempts + 1,
        waiting_for=None,
    )
    .returning(*_CLAIMED_COLUMNS)
)
# Changes to an item this worker holds: executed with the new column values plus b_id and b_owner; no row
# changed means the lease is no longer ours (LeaseLost).
_LEASED = (
    update(_EX)
    .where(_EX.c.id == bindparam("b_id"), _EX.c.lease_owner == bindparam("b_owner"))
    .where(_EX.c.state == ExchangeState.IN_BEHANDELING.value)
)
_LEASED_NOW = Prepared(_LEASED)  # the same, in a unit of several statements (the step, the outcome)


class LeaseLost(Exception):
    """The item's lease ran out and another worker may have it: this worker must not record an outcome."""


def as_claimed(row: Any) -> ClaimedExchange:
    """The worker-side view of a stored exchange (an `Exchange` or a row with its columns)."""
    assert row.id is not None
    return ClaimedExchange(
        id=row.id,
        key=row.key,
        source=row.source,
        kind=row.kind,
        swv_code=row.swv_code,
        brin6=row.brin6,
        payload=row.payload or b"",
        meta=dict(row.meta),
        attempts=row.attempts,
        correlation_id=row.correlation_id,
        received_at=row.received_at,
        handoff_version=row.handoff_version,
    )


class Inbox:
    def __init__(self, db: Database, *, lease_seconds: float = 120.0) -> None:
        self.db = db
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.doorbell = doorbell(db, "inbox")  # rung when this process stored an item that is due now

    # -- intake ---------------------------------------------------------------------------------------
    async def put(
        self,
        new: NewExchange,
        *,
        first: Callable[[Session], object] | None = None,
        prepare: Sequence[Callable[[], object]] = (),
    ) -> PutResult:
        """Durably store a new exchange (committed on return). The same key twice stores it once.

        ``first``: a unit of work of the caller's (e.g. the replay window's sighting) run in the same transaction,
        before the exchange is written; when it raises, nothing is stored and the exception comes back here. With
        the same key stored before, it runs in a transaction of its own. ``prepare``: what must be done before
        the transaction begins (`Database.run`: the ESIS intake's documents made visible and durable); when a
        phase raises, nothing is stored and the exception comes back here."""
        return await self._insert(new, state=ExchangeState.ONTVANGEN, findings=(), first=first, prepare=prepare)

    async def record_refusal(
        self, new: NewExchange, findings: Sequence[Finding], *, first: Callable[[Session], object] | None = None
    ) -> PutResult:
        """Store an exchange refused at intake, so the secretariaat sees it in the queue (``first``: as for `put`)."""
        return await self._insert(new, state=ExchangeState.GEWEIGERD, findings=findings, first=first)

    async def _insert(
        self,
        new: NewExchange,
        *,
        state: ExchangeState,
        findings: Sequence[Finding],
        first: Callable[[Session], object] | None,
        prepare: Sequence[Callable[[], object]] = (),
    ) -> PutResult:
        now = utcnow()
        cid = new.correlation_id or new_correlation_id()
        final = state is ExchangeState.GEWEIGERD
        step = "geweigerd bij ontvangst" if final else "ontvangen"
        stored = [f.to_dict() for f in findings]
        handoff = new.handoff  # stored opaquely with its version; without one, the refusal's notes, unversioned
        row = {
            "key": new.key,
            "source": new.source,
            "kind": new.kind,
            "swv_code": new.swv_code,
            "brin6": new.brin6,
            "correlation_id": cid,
            "payload": new.payload,
            "meta": handoff.stored() if handoff is not None else dict(new.meta),
            "handoff_version": handoff.version if handoff is not None else None,
            "state": state.value,
            "step": step,
            "attempts": 0,
            "findings": stored,
            "received_at": now,
            "next_attempt_at": now,
            "finished_at": now if final else None,
            "payload_purged": False,
        }
        message = "Uitwisseling bij ontvangst geweigerd." if final else "Uitwisseling ontvangen en vastgelegd."

        def unit(s: Session) -> int:
            if first is not None:
                first(s)
            conn = s.connection()
            exchange_id = int(_PUT.execute(conn, row).scalar_one())
            event = {"exchange_id": exchange_id, "at": now, "step": step, "message": message, "findings": stored}
            _EVENT.execute(conn, event)
            return exchange_id

        try:
            exchange_id = await self.db.run(unit, durable=True, prepare=prepare)
            if not final:
                self.doorbell.ring()
            log.info("exchange_vastgelegd", exchange_id=exchange_id, key=new.key, state=state.value, correlation_id=cid)
            return PutResult(exchange_id=exchange_id, created=True, state=state.value, correlation_id=cid)
        except IntegrityError:
            if first is not None:  # rolled back with the insert: on its own now (it may raise in turn)
                await self.db.run(first, durable=False)
            async with self.db.reader() as s:
                existing = (await s.exec(select(Exchange).where(col(Exchange.key) == new.key))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            assert existing.id is not None
            log.info("exchange_dubbel_ontvangen", exchange_id=existing.id, key=new.key, state=existing.state)
            return PutResult(
                exchange_id=existing.id,
                created=False,
                state=existing.state,
                correlation_id=existing.correlation_id,
            )

    # -- workers --------------------------------------------------------------------------------------
    async def claim(self, owner: str) -> ClaimedExchange | None:
        """Lease the next due item to ``owner`` (a worker id), or None when nothing is due."""
        claimed = await self.claim_many(owner, 1)
        return claimed[0] if claimed else None

    async def claim_many(self, owner: str, limit: int) -> list[ClaimedExchange]:
        """Lease up to ``limit`` due items to ``owner`` in one transaction (oldest due first)."""
        now = utcnow()
        params = {"b_now": now, "b_limit": limit, "b_owner": owner, "b_until": now + self.lease}

        def unit(s: Session) -> list[ClaimedExchange]:
            rows = _CLAIM.execute(s.connection(), params).rows
            # the rows come back in no particular order: the oldest received first (ids grow with time)
            claimed = (as_claimed(SimpleNamespace(**dict(zip(_CLAIMED_NAMES, r, strict=True)))) for r in rows)
            return sorted(claimed, key=lambda c: c.id)

        return await self.db.run(unit, durable=False, one_statement=True)

    async def renew(self, exchange_id: int, owner: str) -> None:
        until = utcnow() + self.lease
        params = {"b_id": exchange_id, "b_owner": owner, "lease_until": until, "next_attempt_at": until}

        def unit(s: Session) -> None:
            res = s.connection().execute(_LEASED, params)
            if res.rowcount != 1:
                raise LeaseLost(exchange_id)  # the update changed nothing: nothing to undo

        await self.db.run(unit, durable=False, one_statement=True)

    async def step(
        self, exchange_id: int, owner: str, name: str, message: str, *, waiting_for: str | None = None
    ) -> None:
        """Write a timeline step now (its own unit of work); raises LeaseLost when the item is not ours."""
        await self.db.run(lambda s: self.step_sync(s, exchange_id, owner, name, message, waiting_for), durable=False)

    @staticmethod
    def step_sync(
        s: Session,
        exchange_id: int,
        owner: str,
        name: str,
        message: str,
        waiting_for: str | None = None,
        at: dt.datetime | None = None,
    ) -> None:
        conn = s.connection()
        res = _LEASED_NOW.execute(
            conn, {"b_id": exchange_id, "b_owner": owner, "step": name, "waiting_for": waiting_for}
        )
        if res.rowcount != 1:
            raise LeaseLost(exchange_id)
        _EVENT.execute(conn, Inbox.step_event(exchange_id, name, message, at))

    @staticmethod
    def step_event(exchange_id: int, name: str, message: str, at: dt.datetime | None = None) -> dict[str, Any]:
        """A step's timeline event (a row), written by `step_sync` or — for a step kept for the outcome — by
        `finish_sync` with the outcome's own event. ``at``: when the step happened (default: now)."""
        return {"exchange_id": exchange_id, "at": at or utcnow(), "step": name, "message": message, "findings": []}

    @staticmethod
    def finish_sync(
        session: Session,
        exchange_id: int,
        owner: str,
        *,
        state: ExchangeState,
        findings: Sequence[Finding] = (),
        hulpvraag_id: int | None = None,
        message: str,
        waiting_for: str | None = None,
        next_attempt_at: dt.datetime | None = None,
        error: str | None = None,
        steps_before: Sequence[dict[str, Any]] = (),
    ) -> None:
        """Record an outcome inside a unit of work: the lease check and the outcome in the same transaction;
        raises LeaseLost when the item is no longer ours. ``steps_before``: the timeline events (`step_event`) of
        steps kept for the outcome, inserted before its own in one statement — the outcome's lease check and its
        ``step`` and ``waiting_for`` supersede what `step_sync` would have written for them."""
        now = utcnow()
        stored = [f.to_dict() for f in findings]
        values: dict[str, Any] = {
            "b_id": exchange_id,
            "b_owner": owner,
            "state": state.value,
            "step": message,
            "findings": stored,
            "lease_owner": None,
            "lease_until": None,
            "waiting_for": waiting_for,
            "last_error": error,
        }
        if hulpvraag_id is not None:
            values["hulpvraag_id"] = hulpvraag_id
        if state in (ExchangeState.VERWERKT, ExchangeState.GEWEIGERD):
            values["finished_at"] = now
        values["next_attempt_at"] = next_attempt_at or now
        conn = session.connection()
        res = _LEASED_NOW.execute(conn, values)
        if res.rowcount != 1:
            raise LeaseLost(exchange_id)
        event = {"exchange_id": exchange_id, "at": now, "step": state.value, "message": message, "findings": stored}
        if steps_before:
            _EVENT.executemany(conn, [*steps_before, event])  # in order: ids follow the timeline
        else:
            _EVENT.execute(conn, event)

    # -- the secretariaat's actions -------------------------------------------------------------------
    async def retry_now(self, exchange_ids: Sequence[int], actor: str) -> int:
        """Make waiting, held or refused items due now. Returns how many were changed."""
        movable = (
            ExchangeState.WACHT_OP_HERHALING.value,
            ExchangeState.VASTGEHOUDEN.value,
            ExchangeState.GEWEIGERD.value,
        )
        now = utcnow()
        async with self.db.session() as s:
            rows = (
                (
                    await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                        select(Exchange).where(
                            col(Exchange.id).in_(list(exchange_ids)), col(Exchange.state).in_(movable)
                        )
                    )
                )
                .scalars()
                .all()
            )
            for row in rows:
                if row.payload_purged:
                    continue
                row.state = ExchangeState.WACHT_OP_HERHALING.value
                row.next_attempt_at = now
                row.finished_at = None
                row.step = "opnieuw aangeboden"
                s.add(row)
                assert row.id is not None
                s.add(
                    ExchangeEvent(
                        exchange_id=row.id, at=now, step="opnieuw", message=f"Opnieuw aangeboden door {actor}."
                    )
                )
        self.doorbell.ring()
        return len(rows)
