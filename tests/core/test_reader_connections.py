"""SQLite read units run on their reader thread's own connection, kept between units (`Database._read_sync`):
each unit's read transaction still ends with it, so a later unit on the same connection sees every commit made
since, and a unit that failed or changed something leaves the connection as a fresh one would be."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select, text
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
