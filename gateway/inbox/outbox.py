"""The outbox worker: delivers follow-up calls (afmelding, terugkoppeling) written with an outcome.

Same lease trick as the inbox: a claimed message's ``next_attempt_at`` is its lease end, so a message whose
sender died is picked up again. Deliverers are idempotent on the message key where the other side allows.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Mapping

from sqlalchemy import select, update

from gateway.errors import Refusal, Transient
from gateway.inbox.inbox import RetryPolicy
from gateway.logging import get_logger
from gateway.pipeline.contracts import OutboundDeliverer, OutboundMessage
from gateway.store.db import Database
from gateway.store.models import OutboxMessage
from gateway.store.types import utcnow

__all__ = ["OutboxWorker"]

log = get_logger(__name__)
WACHTEND, VERZONDEN, MISLUKT = "wachtend", "verzonden", "mislukt"


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
    ) -> None:
        self.db, self.deliverers, self.retry = db, dict(deliverers), retry
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.max_attempts, self.poll_interval = max_attempts, poll_interval

    async def claim(self) -> OutboxMessage | None:
        now = utcnow()
        due = (
            select(OutboxMessage.id)
            .where(OutboxMessage.state == WACHTEND, OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        stmt = (
            update(OutboxMessage)
            .where(OutboxMessage.id == due)
            .values(next_attempt_at=now + self.lease, attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage)
        )
        async with self.db.session(durable=False) as s:
            return (await s.exec(stmt)).scalars().first()  # type: ignore[call-overload,no-any-return]

    async def _record(self, msg_id: int, **values: object) -> None:
        async with self.db.session(durable=False) as s:
            await s.exec(update(OutboxMessage).where(OutboxMessage.id == msg_id).values(**values))  # type: ignore[call-overload]

    async def process_one(self) -> bool:
        msg = await self.claim()
        if msg is None:
            return False
        assert msg.id is not None
        deliverer = self.deliverers.get(msg.kind)
        if deliverer is None:
            await self._record(msg.id, state=MISLUKT, last_error=f"geen bezorger voor '{msg.kind}'")
            log.error("outbox_mislukt", kind=msg.kind, key=msg.key, error="geen bezorger")
            return True
        try:
            await deliverer.deliver(OutboundMessage(kind=msg.kind, key=msg.key, payload=dict(msg.payload)))
        except Transient as t:
            if msg.attempts >= self.max_attempts:
                await self._record(msg.id, state=MISLUKT, last_error=str(t)[:2000])
                log.error("outbox_mislukt", kind=msg.kind, key=msg.key, error=str(t)[:200])
            else:
                when = utcnow() + dt.timedelta(seconds=self.retry.delay(msg.attempts, t.retry_after))
                await self._record(msg.id, next_attempt_at=when, last_error=str(t)[:2000])
                log.info("outbox_wacht_op_herhaling", kind=msg.kind, key=msg.key)
        except Refusal as r:
            reason = str(r)
            await self._record(msg.id, state=MISLUKT, last_error=reason[:2000])
            log.error("outbox_mislukt", kind=msg.kind, key=msg.key, error=reason[:200])
        except Exception as exc:
            when = utcnow() + dt.timedelta(seconds=self.retry.delay(msg.attempts))
            await self._record(msg.id, next_attempt_at=when, last_error=f"{type(exc).__name__}: {exc}"[:2000])
            log.exception("outbox_onverwachte_fout", kind=msg.kind, key=msg.key)
        else:
            await self._record(msg.id, state=VERZONDEN, sent_at=utcnow(), last_error=None)
            log.info("outbox_verzonden", kind=msg.kind, key=msg.key)
        return True

    async def drain(self) -> int:
        n = 0
        while await self.process_one():
            n += 1
        return n

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                worked = await self.process_one()
            except Exception:
                log.exception("outbox_worker_fout")
                worked = False
            if not worked:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.poll_interval)
