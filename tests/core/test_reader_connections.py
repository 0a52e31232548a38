"""SQLite read units run in the event loop's thread (or, when SQLite is busy, in a reader thread), each thread on
its own connection, kept between units (`Database._read_on`):
each unit's read transaction still ends with it, so a later unit on the same connection sees every commit made
since, and a unit that failed or changed something leaves the connection as a fresh one would be."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col

from gateway.components import Components
from gateway.store.models import Exchange
from tests.conftest import unique
from tests.support.fakes import new_exchange


def _found(key: str) -> Callable[[Session], bool]:
    def unit(s: Session) -> bool:
        return s.execute(select(col(Exchange.id)).where(col(Exchange.key) == key)).first() is not None

    return unit


async def test_a_kept_reader_connection_sees_every_commit_made_after_its_last_unit(components: Components) -> None:
    c = components
    for _ in range(6):  # more rounds than reader threads: every thread's connection is used again
        key = unique("k-")
        assert await c.db.read(_found(key)) is False
        await c.inbox.put(new_exchange(key))
        assert await c.db.read(_found(key)) is True


async def test_a_failed_read_unit_leaves_its_connection_usable(components: Components) -> None:
    c = components
    for _ in range(4):
        with pytest.raises(Exception, match="no such table"):
            await c.db.read(lambda s: s.connection().execute(text("select * from bestaat_niet")).all())
    key = unique("k-")
    await c.inbox.put(new_exchange(key))
    for _ in range(4):
        assert await c.db.read(_found(key)) is True


async def test_a_read_unit_that_wrote_leaves_no_lock_behind(components: Components) -> None:
    c = components
    for _ in range(4):  # a write inside a read unit takes SQLite's write lock; the unit's end must release it
        await c.db.read(lambda s: s.connection().execute(text("update exchange set step = step")))
    key = unique("k-")
    await c.inbox.put(new_exchange(key))  # would wait for the lock (and time out) if a reader still held it
    assert await c.db.read(_found(key)) is True


async def test_a_read_unit_runs_in_the_event_loop_thread_without_a_hop(components: Components) -> None:
    threads: list[str] = []

    def unit(s: Session) -> None:
        threads.append(threading.current_thread().name)
        s.execute(select(col(Exchange.id)).limit(1)).first()

    for _ in range(3):
        await components.db.read(unit)
    assert threads == [threading.current_thread().name] * 3


async def test_a_read_unit_that_finds_sqlite_busy_runs_again_in_a_reader_thread(components: Components) -> None:
    """The inline reader never waits: "busy" (here a read unit that writes while another connection holds the
    write lock) sends the unit to a reader thread, which waits for the lock as before."""
    db = components.db
    path = make_url(db.url).database
    assert db.is_sqlite and path
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    threads: list[str] = []

    def unit(s: Session) -> int:
        threads.append(threading.current_thread().name)
        return s.connection().execute(text("update exchange set step = step")).rowcount

    loop = asyncio.get_running_loop()
    loop.call_later(0.2, holder.rollback)
    try:
        await db.read(unit)
    finally:
        holder.close()
    assert threads[0] == threading.current_thread().name
    assert threads[1:] and all(name.startswith("sqlite-reader") for name in threads[1:])
