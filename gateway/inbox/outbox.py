"""The outbox worker: delivers follow-up calls (afmelding, terugkoppeling) written with an outcome.

Same lease trick as the inbox: a claimed message's ``next_attempt_at`` is its lease end, so a message whose
sender died is picked up again. Deliverers are idempotent on the message key where the other side allows.

Messages are claimed in batches (one transaction for up to ``batch`` due messages), delivered concurrently,
and their results recorded together in one transaction (with what each deliverer left for it: a `Settle`,
such as an outside system's session the delivery closed); ``concurrency`` such loops run side by side, so one
slow partner holds up at most its own batch. A crash between a delivery and its record only means that
message is delivered again after its lease (at-least-once, as before).

Idle loops wait on the process's outbox `Doorbell` (gateway.inbox.inbox): the exchange workers ring it when
an outcome added messages, so a message is picked up at once; otherwise the loops together poll once per
``poll_interval`` (messages written by another process, retries that became due).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from gateway.errors import Refusal, Transient
from gateway.inbox.inbox import RetryPolicy, doorbell
from gateway.logging import get_logger
from gateway.pipeline.contracts import OutboundDeliverer, OutboundMessage, Settle
from gateway.store.db import Database
from gateway.store.models import OutboxMessage
from gateway.store.prepared import Prepared
from gateway.store.types import utcnow

__all__ = ["ClaimedMessage", "OutboxWorker"]

log = get_logger(__name__)
WACHTEND, VERZONDEN, MISLUKT = "wachtend", "verzonden", "mislukt"
_OUT = OutboxMessage.__table__  # type: ignore[attr-defined]  # SQLModel does not declare the __table__ SQLAlchemy adds
# Built once (see gateway.inbox.inbox): one statement leases the due messages and returns them.
_DUE = (
    select(_OUT.c.id)
    .where(_OUT.c.state == WACHTEND, _OUT.c.next_attempt_at <= bindparam("b_now"))
    .order_by(_OUT.c.next_attempt_at, _OUT.c.id)
    .limit(bindparam("b_limit"))
    .with_for_update(skip_locked=True)
)
_CLAIM = Prepared(
    update(_OUT)
    .where(_OUT.c.id.in_(_DUE))
    .values(next_attempt_at=bindparam("b_until"), attempts=_OUT.c.attempts + 1)
    .returning(_OUT.c.id, _OUT.c.key, _OUT.c.kind, _OUT.c.payload, _OUT.c.attempts)
)
_RECORD = Prepared(update(_OUT).where(_OUT.c.id == bindparam("b_id")))  # executed with the columns to set


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    id: int
    key: str
    kind: str
    payload: dict[str, Any]
    attempts: int  # 1 on the first attempt


class OutboxWorker:
    def __init__(
        self,
        db: Database,
        deliverers: Mapping[str, OutboundDeliverer],
        *,
        retry: RetryPolicy,
        lease_seconds: float = 120.0,
        max_attempts: int = 25,
        poll_interval: float = 0.5,
        concurrency: int = 4,
        batch: int = 8,
    ) -> None:
        self.db, self.deliverers, self.retry = db, dict(deliverers), retry
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.max_attempts, self.poll_interval = max_attempts, poll_interval
        self.concurrency, self.batch = max(1, concurrency), max(1, batch)
        self.doorbell = doorbell(db, "outbox")  # rung by the workers when an outcome added messages

    async def claim_many(self, limit: int) -> list[ClaimedMessage]:
        """Lease up to ``limit`` due messages (oldest due first) in one transaction."""
        now = utcnow()
        params = {"b_now": now, "b_limit": limit, "b_until": now + self.lease}

        def unit(s: Session) -> list[ClaimedMessage]:
            rows = _CLAIM.execute(s.connection(), params).rows  # id, key, kind, payload, attempts
            claimed = [ClaimedMessage(i, key, kind, dict(payload), n) for i, key, kind, payload, n in rows]
            return sorted(claimed, key=lambda m: m.id)  # the rows come back in no particular order

        return await self.db.run(unit, durable=False, one_statement=True)

    async def claim(self) -> ClaimedMessage | None:
        claimed = await self.claim_many(1)
        return claimed[0] if claimed else None

    async def _deliver(self, msg: ClaimedMessage) -> tuple[dict[str, Any], Settle | None]:
        """Deliver one message; returns the columns to record for it and what its deliverer left for that
        record's unit of work (`Settle`, only after a delivery)."""
        deliverer = self.deliverers.get(msg.kind)
        if deliverer is None:
            log.error("outbox_mislukt", kind=msg.kind, key=msg.key, error="geen bezorger")
            return {"state": MISLUKT, "last_error": f"geen bezorger voor '{msg.kind}'"}, None
        try:
            settle = await deliverer.deliver(OutboundMessage(kind=msg.kind, key=msg.key, payload=dict(msg.payload)))
        except Transient as t:
            if msg.attempts >= self.max_attempts:
                log.error("outbox_mislukt", kind=msg.kind, key=msg.key, error=str(t)[:200])
                return {"state": MISLUKT, "last_error": str(t)[:2000]}, None
            when = utcnow() + dt.timedelta(seconds=self.retry.delay(msg.attempts, t.retry_after))
            log.info("outbox_wacht_op_herhaling", kind=msg.kind, key=msg.key)
            return {"next_attempt_at": when, "last_error": str(t)[:2000]}, None
        except Refusal as r:
            reason = str(r)
            log.error("outbox_mislukt", kind=msg.kind, key=msg.key, error=reason[:200])
            return {"state": MISLUKT, "last_error": reason[:2000]}, None
        except Exception as exc:
            when = utcnow() + dt.timedelta(seconds=self.retry.delay(msg.attempts))
            log.exception("outbox_onverwachte_fout", kind=msg.kind, key=msg.key)
            return {"next_attempt_at": when, "last_error": f"{type(exc).__name__}: {exc}"[:2000]}, None
        log.info("outbox_verzonden", kind=msg.kind, key=msg.key)
        return {"state": VERZONDEN, "sent_at": utcnow(), "last_error": None}, settle

    async def process_batch(self, limit: int | None = None) -> int:
        """Claim up to ``limit`` (default ``batch``) messages, deliver them concurrently, record the results
        in one transaction. Returns how many were handled."""
        claimed = await self.claim_many(limit or self.batch)
        return await self._deliver_batch(claimed)

    async def _deliver_batch(self, claimed: list[ClaimedMessage]) -> int:
        if not claimed:
            return 0
        results = await asyncio.gather(*(self._deliver(m) for m in claimed))

        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}  # one executemany per set of columns
        settles = [settle for _, settle in results if settle is not None]
        for msg, (values, _) in zip(claimed, results, strict=True):
            groups.setdefault(tuple(sorted(values)), []).append({**values, "b_id": msg.id})

        def record(s: Session) -> None:
            for settle in settles:  # what the deliveries changed on our side, with their record
                settle(s)
            conn = s.connection()
            for rows in groups.values():
                _RECORD.executemany(conn, rows)

        await self.db.run(record, durable=False)
        return len(claimed)

    async def process_one(self) -> bool:
        return await self.process_batch(1) > 0

    async def drain(self) -> int:
        n = 0
        while handled := await self.process_batch():
            n += handled
        return n

    async def run(self, stop: asyncio.Event) -> None:
        loops = [asyncio.create_task(self._loop(stop)) for _ in range(self.concurrency)]
        try:
            await asyncio.gather(*loops)
        finally:
            for t in loops:
                t.cancel()
            await asyncio.gather(*loops, return_exceptions=True)

    async def _loop(self, stop: asyncio.Event) -> None:
        bell = self.doorbell
        while not stop.is_set():
            seen = bell.rings
            try:
                claimed = await self.claim_many(self.batch)
            except Exception:
                log.exception("outbox_worker_fout")
                claimed = []
            full = len(claimed) >= self.batch
            bell.took(full)  # a batch that was not full took every message due when it was claimed
            if not claimed:
                await bell.wait(seen, self.poll_interval, stop)
                continue
            if full:
                bell.nudge()  # more may be due: let an idle loop take the next batch
            try:
                await self._deliver_batch(claimed)
            except Exception:
                log.exception("outbox_worker_fout")
            if not full and not bell.backlog:  # nothing left that we know of: wait for a ring or the next turn
                await bell.wait(bell.rings, self.poll_interval, stop, polled=False)
