"""The durable inbox: every inbound exchange is committed here before the sender is answered.

Claiming uses a lease: a claimed item's ``next_attempt_at`` is set to the end of its lease, so an item
whose worker died (kill -9, power loss) simply becomes due again when the lease runs out — one index
(state, next_attempt_at) serves both new work and recovery. On PostgreSQL the claim takes the row with
``FOR UPDATE SKIP LOCKED`` so several processes never claim the same item; on SQLite every transaction is
``BEGIN IMMEDIATE`` (see gateway.store.db), which serialises claims.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from gateway.logging import get_logger, new_correlation_id
from gateway.pipeline.contracts import ClaimedExchange, NewExchange, PutResult
from gateway.store.db import Database
from gateway.store.models import Exchange, ExchangeEvent, ExchangeState
from gateway.store.types import utcnow
from verification.findings import Finding

__all__ = ["ACTIVE_STATES", "Inbox", "LeaseLost", "RetryPolicy", "as_claimed"]

log = get_logger(__name__)

ACTIVE_STATES = (
    ExchangeState.ONTVANGEN.value,
    ExchangeState.WACHT_OP_HERHALING.value,
    ExchangeState.IN_BEHANDELING.value,
)


class LeaseLost(Exception):
    """The item's lease ran out and another worker may have it: this worker must not record an outcome."""


class RetryPolicy:
    """Exponential backoff with full jitter, capped; measured behaviour in docs/reliability.md."""

    def __init__(self, base: float, cap: float, rng: random.Random | None = None) -> None:
        self.base, self.cap = base, cap
        self._rng = rng or random.Random()  # jitter, not security

    def delay(self, attempt: int, hint: float | None = None) -> float:
        ceiling = min(self.cap, self.base * (2 ** max(0, attempt - 1)))
        delay = self._rng.uniform(ceiling / 2, ceiling)
        return max(delay, hint or 0.0)


def as_claimed(row: Exchange) -> ClaimedExchange:
    """The worker-side view of a stored exchange."""
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
    )


class Inbox:
    def __init__(self, db: Database, *, lease_seconds: float = 120.0) -> None:
        self.db = db
        self.lease = dt.timedelta(seconds=lease_seconds)

    # -- intake ---------------------------------------------------------------------------------------
    async def put(self, new: NewExchange) -> PutResult:
        """Durably store a new exchange (committed on return). The same key twice stores it once."""
        return await self._insert(new, state=ExchangeState.ONTVANGEN, findings=())

    async def record_refusal(self, new: NewExchange, findings: Sequence[Finding]) -> PutResult:
        """Store an exchange refused at intake, so the secretariaat sees it in the queue."""
        return await self._insert(new, state=ExchangeState.GEWEIGERD, findings=findings)

    async def _insert(self, new: NewExchange, *, state: ExchangeState, findings: Sequence[Finding]) -> PutResult:
        now = utcnow()
        cid = new.correlation_id or new_correlation_id()
        final = state is ExchangeState.GEWEIGERD
        row = Exchange(
            key=new.key,
            source=new.source,
            kind=new.kind,
            swv_code=new.swv_code,
            brin6=new.brin6,
            correlation_id=cid,
            payload=new.payload,
            meta=dict(new.meta),
            state=state.value,
            step="geweigerd bij ontvangst" if final else "ontvangen",
            findings=[f.to_dict() for f in findings],
            received_at=now,
            next_attempt_at=now,
            finished_at=now if final else None,
        )
        try:
            async with self.db.session() as s:
                s.add(row)
                await s.flush()
                assert row.id is not None
                s.add(
                    ExchangeEvent(
                        exchange_id=row.id,
                        at=now,
                        step=row.step or "",
                        message="Uitwisseling ontvangen en vastgelegd."
                        if not final
                        else "Uitwisseling bij ontvangst geweigerd.",
                        findings=row.findings,
                    )
                )
            log.info("exchange_vastgelegd", exchange_id=row.id, key=new.key, state=state.value, correlation_id=cid)
            return PutResult(exchange_id=row.id, created=True, state=row.state, correlation_id=cid)
        except IntegrityError:
            async with self.db.reader() as s:
                existing = (await s.exec(select(Exchange).where(Exchange.key == new.key))).scalars().one()  # type: ignore[call-overload]
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
        now = utcnow()
        until = now + self.lease
        due = (
            select(Exchange.id)
            .where(Exchange.state.in_(ACTIVE_STATES), Exchange.next_attempt_at <= now)  # type: ignore[attr-defined]
            .order_by(Exchange.next_attempt_at, Exchange.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        stmt = (
            update(Exchange)
            .where(Exchange.id == due)
            .values(
                state=ExchangeState.IN_BEHANDELING.value,
                lease_owner=owner,
                lease_until=until,
                next_attempt_at=until,
                attempts=Exchange.attempts + 1,
                waiting_for=None,
            )
            .returning(Exchange)
        )
        async with self.db.session(durable=False) as s:
            row = (await s.exec(stmt)).scalars().first()  # type: ignore[call-overload]
        return as_claimed(row) if row is not None else None

    async def renew(self, exchange_id: int, owner: str) -> None:
        until = utcnow() + self.lease
        async with self.db.session(durable=False) as s:
            res = await s.exec(  # type: ignore[call-overload]
                update(Exchange)
                .where(Exchange.id == exchange_id, Exchange.lease_owner == owner)
                .where(Exchange.state == ExchangeState.IN_BEHANDELING.value)
                .values(lease_until=until, next_attempt_at=until)
            )
            if res.rowcount != 1:
                raise LeaseLost(exchange_id)

    async def step(
        self, exchange_id: int, owner: str, name: str, message: str, *, waiting_for: str | None = None
    ) -> None:
        async with self.db.session(durable=False) as s:
            res = await s.exec(  # type: ignore[call-overload]
                update(Exchange)
                .where(Exchange.id == exchange_id, Exchange.lease_owner == owner)
                .where(Exchange.state == ExchangeState.IN_BEHANDELING.value)
                .values(step=name, waiting_for=waiting_for)
            )
            if res.rowcount != 1:
                raise LeaseLost(exchange_id)
            s.add(ExchangeEvent(exchange_id=exchange_id, step=name, message=message))

    async def finish(
        self,
        session: Any,
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
    ) -> None:
        """Record an outcome inside the caller's transaction; raises LeaseLost when the item is not ours."""
        now = utcnow()
        values: dict[str, Any] = {
            "state": state.value,
            "step": message,
            "findings": [f.to_dict() for f in findings],
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
        res = await session.exec(
            update(Exchange)
            .where(Exchange.id == exchange_id, Exchange.lease_owner == owner)
            .where(Exchange.state == ExchangeState.IN_BEHANDELING.value)
            .values(**values)
        )
        if res.rowcount != 1:
            raise LeaseLost(exchange_id)
        session.add(
            ExchangeEvent(
                exchange_id=exchange_id,
                at=now,
                step=state.value,
                message=message,
                findings=[f.to_dict() for f in findings],
            )
        )

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
                    await s.exec(  # type: ignore[call-overload]
                        select(Exchange).where(Exchange.id.in_(list(exchange_ids)), Exchange.state.in_(movable))  # type: ignore[union-attr,attr-defined]
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
            return len(rows)
