"""The secretariaat's actions on the inbound queue: retry, release a held exchange, refuse a held exchange.

Each action writes an exchange event and an audit entry. Refusing a held exchange also writes the adapter's
follow-up messages (for ParnasSys: the afmelding) to the outbox, as the worker does for its own refusals.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.components import Components
from gateway.inbox.inbox import as_claimed, doorbell
from gateway.pipeline.contracts import Outcome
from gateway.store.audit import audit
from gateway.store.models import Exchange, ExchangeEvent, ExchangeState, OutboxMessage
from gateway.store.types import utcnow
from verification.findings import fout

__all__ = ["REFUSED_BY_SECRETARIAAT", "ActionError", "refuse_exchange", "release_exchange", "retry_exchanges"]

REFUSED_BY_SECRETARIAAT = "GEWEIGERD_DOOR_SECRETARIAAT"


class ActionError(Exception):
    """A Dutch reason why the action was not done."""


async def retry_exchanges(
    c: Components,
    ids: Sequence[int],
    *,
    actor: str,
    swv_code: str,
    bulk: bool = False,
    filter_desc: dict[str, str] | None = None,
) -> int:
    """Offer the exchanges again now (only this SWV's, only retryable ones). Returns how many moved."""
    ids = list(dict.fromkeys(int(i) for i in ids))
    async with c.db.reader() as s:
        own = [
            int(i)
            for i in (
                await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                    select(col(Exchange.id)).where(col(Exchange.id).in_(ids), col(Exchange.swv_code) == swv_code)
                )
            ).scalars()
        ]
    moved = 0
    for start in range(0, len(own), 500):
        moved += await c.inbox.retry_now(own[start : start + 500], actor)
    async with c.db.session() as s:
        if bulk:
            audit(
                s,
                actor=actor,
                action="wachtrij_alles_opnieuw",
                object_type="exchange",
                swv_code=swv_code,
                aantal=moved,
                filter=filter_desc or {},
                ids=own[:1000],
            )
        else:
            for i in own:
                audit(
                    s,
                    actor=actor,
                    action="uitwisseling_opnieuw",
                    object_type="exchange",
                    object_id=i,
                    swv_code=swv_code,
                )
    return moved


async def _held(s: AsyncSession, exchange_id: int, swv_code: str) -> Exchange:
    row = (
        (
            await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                select(Exchange).where(col(Exchange.id) == exchange_id, col(Exchange.swv_code) == swv_code)
            )
        )
        .scalars()
        .first()
    )
    if row is None:
        raise ActionError(f"Uitwisseling {exchange_id} bestaat niet.")
    if row.state != ExchangeState.VASTGEHOUDEN.value:
        raise ActionError("Alleen een vastgehouden uitwisseling kan worden vrijgegeven of geweigerd.")
    return row


async def release_exchange(c: Components, exchange_id: int, *, actor: str, swv_code: str) -> None:
    """Release a held exchange: the worker processes it again, with ``meta["vrijgegeven"] = True`` so the
    rule that held it (e.g. an aanvraagtype that needs a person's judgement) lets it through."""
    now = utcnow()
    async with c.db.session() as s:
        row = await _held(s, exchange_id, swv_code)
        row.meta = {**row.meta, "vrijgegeven": True, "vrijgegeven_door": actor}
        row.state = ExchangeState.WACHT_OP_HERHALING.value
        row.next_attempt_at, row.finished_at, row.waiting_for = now, None, None
        row.step = "vrijgegeven door het secretariaat"
        s.add(row)
        s.add(ExchangeEvent(exchange_id=exchange_id, at=now, step="vrijgegeven", message=f"Vrijgegeven door {actor}."))
        audit(
            s,
            actor=actor,
            action="uitwisseling_vrijgegeven",
            object_type="exchange",
            object_id=exchange_id,
            swv_code=swv_code,
        )


async def refuse_exchange(c: Components, exchange_id: int, reason: str, *, actor: str, swv_code: str) -> None:
    """Refuse a held exchange with the secretariaat's reason (shown to the school as the finding)."""
    reason = " ".join(reason.split())[:1000]
    if len(reason) < 5:
        raise ActionError("Geef een reden (minstens een paar woorden): de school leest deze reden.")
    finding = fout(REFUSED_BY_SECRETARIAAT, f"Geweigerd door het secretariaat: {reason}", "secretariaat")
    now = utcnow()
    async with c.db.session() as s:
        row = await _held(s, exchange_id, swv_code)
        findings = [finding.to_dict(), *row.findings]
        row.state, row.findings, row.finished_at = ExchangeState.GEWEIGERD.value, findings, now
        row.waiting_for, row.step = None, finding.message
        s.add(row)
        s.add(
            ExchangeEvent(
                exchange_id=exchange_id, at=now, step="geweigerd", message=finding.message, findings=[finding.to_dict()]
            )
        )
        audit(
            s,
            actor=actor,
            action="uitwisseling_geweigerd",
            object_type="exchange",
            object_id=exchange_id,
            swv_code=swv_code,
            reden=reason,
        )
        handler = c.handlers.get(row.kind)
        follow_up = getattr(handler, "afterwards", None)
        told = False
        if follow_up is not None:
            claimed = as_claimed(row)
            outcome = Outcome(state="geweigerd", findings=(finding,))
            for m in follow_up(claimed, outcome):
                s.add(OutboxMessage(key=m.key, kind=m.kind, payload=dict(m.payload)))
                told = True
    if told:
        doorbell(c.db, "outbox").ring()  # committed: this process's outbox loop sends the afmelding now
