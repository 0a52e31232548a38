"""`SessionMemory` over the store: an exchange's TC session is the one its last ``sessie_geopend`` step
names (the step is written, in its own transaction, right after the Traffic Center handed it out).

Read only on a later attempt (``attempts > 1``), so the common path costs nothing extra.
"""

from __future__ import annotations

from sqlalchemy import select

from adapters.parnassys.handler import SESSIE_STEP, sessie_from_step_message
from gateway.store.db import Database
from gateway.store.models import ExchangeEvent

__all__ = ["StoredSessions"]


class StoredSessions:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def recall(self, exchange_id: int) -> str | None:
        stmt = (
            select(ExchangeEvent.message)
            .where(ExchangeEvent.exchange_id == exchange_id, ExchangeEvent.step == SESSIE_STEP)
            .order_by(ExchangeEvent.id.desc())  # type: ignore[union-attr]
            .limit(1)
        )
        async with self.db.reader() as s:
            message = (await s.exec(stmt)).scalars().first()  # type: ignore[call-overload]
        return sessie_from_step_message(message) if message else None
