"""Idle workers start on new work when it is stored, not at their next poll; work stored by another process
(another `Database` on the same file) is found by polling and taken up by every idle worker."""

from __future__ import annotations

import asyncio

from gateway.components import Components
from gateway.inbox.inbox import Inbox
from gateway.inbox.outbox import OutboxWorker
from gateway.inbox.worker import ExchangeWorkers
from gateway.pipeline.contracts import OutboundMessage
from gateway.store.db import Database
from tests.conftest import unique
from tests.support.fakes import ScriptedHandler, new_exchange

GUARD = 30.0  # a liveness guard, far beyond the poll interval used where polling is expected


class Deliverer:
    def __init__(self) -> None:
        self.keys: list[str] = []
        self.arrived = asyncio.Event()

    async def deliver(self, message: OutboundMessage) -> None:
        self.keys.append(message.key)
        self.arrived.set()


async def test_a_put_wakes_an_idle_worker_and_its_afmelding_wakes_the_outbox(components: Components) -> None:
    c = components
    handler = ScriptedHandler(c.blobs)
    # polls an hour apart: only the doorbells can explain prompt processing
    workers = ExchangeWorkers(c.db, c.inbox, {"test_aanvraag": handler}, retry=c.retry, poll_interval=3600)
    deliverer = Deliverer()
    outbox = OutboxWorker(c.db, {"test_afmelding": deliverer}, retry=c.retry, poll_interval=3600, concurrency=2)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(workers.run(3, stop)), asyncio.create_task(outbox.run(stop))]
    try:
        await asyncio.sleep(0.2)  # every loop has polled once and is idle now
        key = unique("bell-")
        await c.inbox.put(new_exchange(key))
        await asyncio.wait_for(deliverer.arrived.wait(), GUARD)
        assert deliverer.keys == [f"afmelding:{key}"]
        assert handler.calls == 1
    finally:
        stop.set()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_work_stored_by_another_process_is_found_by_polling(components: Components) -> None:
    c = components
    handler = ScriptedHandler(c.blobs)
    all_handled = asyncio.Event()
    handler.on_handle = lambda _: all_handled.set() if handler.calls >= 6 else None
    workers = ExchangeWorkers(c.db, c.inbox, {"test_aanvraag": handler}, retry=c.retry, poll_interval=0.05)
    other = Database(c.db.url)  # another process: its puts ring nobody here
    stop = asyncio.Event()
    task = asyncio.create_task(workers.run(4, stop))
    try:
        await asyncio.sleep(0.1)
        other_inbox = Inbox(other)
        for _ in range(6):
            await other_inbox.put(new_exchange(unique("other-")))
        await asyncio.wait_for(all_handled.wait(), GUARD)
        assert handler.calls == 6  # each exchange the other process stored, found without a wake-up, handled once
    finally:
        stop.set()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await other.dispose()
