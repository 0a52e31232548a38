"""Demo-like queue data for the web tests: processed, refused, held, waiting and intake-refused exchanges."""

from __future__ import annotations

from dataclasses import dataclass, replace

from gateway.components import Components
from gateway.inbox.inbox import RetryPolicy
from gateway.inbox.worker import ExchangeWorkers
from tests.conftest import unique
from tests.support.fakes import new_exchange
from verification.findings import fout

REFUSAL_MESSAGE = "Geweigerd in de test."


@dataclass(frozen=True)
class QueueData:
    processed: int
    refused: int
    held: int
    waiting: int
    intake_refused: int
    esis: int


async def seed_queue(c: Components) -> QueueData:
    def put(source: str = "parnassys", **meta: object):
        return replace(new_exchange(unique(f"{source}-"), **meta), source=source)

    processed = await c.inbox.put(put(leerlingid="LL-100"))
    esis = await c.inbox.put(put("esis", brin6="27ZX00", leerlingid="LL-200", aanvraagtype="Aanvraag Kans!overleg"))
    refused = await c.inbox.put(put(script="refuse", brin6="21KL00"))
    held = await c.inbox.put(put(script="hold", brin6="30TV00"))
    waiting = await c.inbox.put(put(script="transient", brin6="14SS01"))
    intake = await c.inbox.record_refusal(
        put(brin6="09QA00"),
        [fout("ROUTERING_BUITEN_500_REEKS", "Het routeringskenmerk 42 ligt niet tussen 500 en 599.")],
    )
    workers = ExchangeWorkers(c.db, c.inbox, c.handlers, retry=RetryPolicy(600, 3600), max_attempts=3)
    await workers.drain()
    return QueueData(
        processed.exchange_id,
        refused.exchange_id,
        held.exchange_id,
        waiting.exchange_id,
        intake.exchange_id,
        esis.exchange_id,
    )


async def drain(c: Components) -> int:
    return await ExchangeWorkers(c.db, c.inbox, c.handlers, retry=RetryPolicy(600, 3600), max_attempts=3).drain()
