"""One SQLite file shared by several processes (an intake and a worker process): the group-commit writer
waits for another process's write lock and gets it once that is released, and a batch of slow units
commits in parts so another process never waits for the whole batch."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any

from sqlalchemy import event, func, select
from sqlmodel import Session, col

from gateway.components import Components
from gateway.store.models import SeenMessage
from gateway.store.types import utcnow
from tests.conftest import unique


def _other_process(components: Components) -> sqlite3.Connection:
    """A connection of its own, as another process has: SQLite's locks are the file's, not ours."""
    path = components.db.engine.url.database
    assert path is not None
    return sqlite3.connect(path, isolation_level=None, timeout=0)


def _remember(message_id: str) -> Any:
    def unit(s: Session) -> None:
        s.add(SeenMessage(message_id=message_id, until=utcnow()))

    return unit


async def _count(components: Components, prefix: str) -> int:
    async with components.db.reader() as s:
        stmt = select(func.count()).where(col(SeenMessage.message_id).startswith(prefix))
        return int((await s.exec(stmt)).scalars().one())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def test_a_unit_waits_for_another_process_write_lock_and_commits_after_it(components: Components) -> None:
    prefix = unique("lock-")
    other = _other_process(components)
    other.execute("BEGIN IMMEDIATE")  # the other process is writing
    pending = asyncio.create_task(components.db.run(_remember(prefix + "1")))
    await asyncio.sleep(0.3)
    assert not pending.done()  # it waits; it does not fail with "database is locked"
    other.execute("COMMIT")
    await asyncio.wait_for(pending, 10)
    assert await _count(components, prefix) == 1
    other.close()


async def test_a_batch_of_slow_units_commits_in_parts(components: Components) -> None:
    prefix = unique("batch-")
    commits: list[float] = []
    for engine in components.db._sync_engines.values():
        event.listen(engine, "commit", lambda _conn: commits.append(time.monotonic()))

    def slow(i: int) -> Any:
        def unit(s: Session) -> None:
            time.sleep(0.005)  # a unit with real work in it
            s.add(SeenMessage(message_id=f"{prefix}{i}", until=utcnow()))

        return unit

    await asyncio.gather(*(components.db.run(slow(i)) for i in range(12)))
    assert await _count(components, prefix) == 12
    assert len(commits) >= 4  # 12 units × 5 ms with an 8 ms bound per batch: never one long batch
