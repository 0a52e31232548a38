"""A gateway worker process for the crash tests: processes the inbox of the given store until killed.

Usage: python -m tests.support.worker_proc DATABASE_URL BLOB_DIR [WORKERS]
The handler is the scripted test handler, slowed down a little so that a SIGKILL lands mid-work.
"""

from __future__ import annotations

import asyncio
import random
import sys
from pathlib import Path

from gateway.inbox.inbox import Inbox, RetryPolicy
from gateway.inbox.worker import ExchangeWorkers
from gateway.logging import configure_logging
from gateway.store.blobs_local import LocalBlobStore
from gateway.store.db import Database
from tests.support.fakes import ScriptedHandler


class SlowHandler(ScriptedHandler):
    async def handle(self, exchange, steps):
        pause = exchange.meta.get("pause")  # a fixed pause lines up the exchanges of a race
        await asyncio.sleep(float(pause) if pause is not None else random.uniform(0.0, 0.03))
        return await super().handle(exchange, steps)


async def main(url: str, blob_dir: str, count: int = 4) -> None:
    configure_logging("console", "warning", stream=sys.stderr)  # stdout only carries the ready line
    db = Database(url)
    inbox = Inbox(db, lease_seconds=1.0)
    workers = ExchangeWorkers(
        db,
        inbox,
        {"test_aanvraag": SlowHandler(LocalBlobStore(Path(blob_dir)))},
        retry=RetryPolicy(0.05, 0.2),
        poll_interval=0.02,
    )
    print("ready", flush=True)
    await workers.run(count, asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 4))
