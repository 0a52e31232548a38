"""PostgreSQL's pooled connections: pinged before use only after sitting idle (gateway/store/pg_ping.py).

A connection the server closed while it waited in the pool is replaced before a unit of work uses it; one
closed moments after its last use is found out by the unit that uses it, which fails with nothing committed,
and the unit after it gets a new connection."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from sqlalchemy import exc, text
from sqlmodel import Session

from gateway.store.db import Database
from tests.conftest import unique


def _backend_pid(s: Session) -> int:
    return int(s.execute(text("SELECT pg_backend_pid()")).scalar_one())


async def _terminate(url: str, pid: int) -> None:
    """The server ends one connection, as a restart or an administrator would (from a connection of its own)."""
    admin = Database(url)
    try:
        assert await admin.run(lambda s: s.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar())
        gone = text("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = :p")
        for _ in range(100):  # wait until the backend is really gone
            if await admin.read(lambda s: s.execute(gone, {"p": pid}).scalar()):
                return
            await asyncio.sleep(0.01)
    finally:
        await admin.dispose()


@pytest.fixture
def database(postgres_url: str) -> Callable[[float], Database]:
    return lambda ping_after_idle: Database(postgres_url, ping_after_idle=ping_after_idle)


async def _one_connection_in_use(db: Database) -> int:
    """Leaves the pool with exactly one connection (the one just used) and returns its server pid."""
    return await db.run(_backend_pid)


async def test_an_idle_connection_the_server_closed_is_replaced_before_a_unit_uses_it(
    postgres_url: str, database: Callable[[float], Database]
) -> None:
    db = database(0.05)
    try:
        first = await _one_connection_in_use(db)
        await _terminate(postgres_url, first)
        await asyncio.sleep(0.1)  # longer than ping_after_idle: the next checkout pings first

        second = await db.run(_backend_pid)

        assert second != first  # a new connection, and the unit did not notice anything
        await _terminate(postgres_url, second)
        await asyncio.sleep(0.1)
        third = await db.read(_backend_pid)
        assert third not in (first, second)  # a read unit, the same
        await _terminate(postgres_url, third)
        await asyncio.sleep(0.1)
        async with db.session() as session:  # and an AsyncSession (the pages, the CLI)
            pid = (await (await session.connection()).execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert pid not in (first, second, third)
    finally:
        await db.dispose()


async def test_a_connection_closed_moments_after_use_fails_one_unit_with_nothing_stored_and_the_next_one_works(
    postgres_url: str, database: Callable[[float], Database]
) -> None:
    db = database(60.0)  # never idle long enough for a ping in this test
    table = unique("t_")
    try:
        await db.run(lambda s: s.execute(text(f"CREATE TABLE {table} (v text)")))
        first = await _one_connection_in_use(db)
        await _terminate(postgres_url, first)

        def write(s: Session) -> None:
            s.execute(text(f"INSERT INTO {table} VALUES ('kwijt?')"))

        with pytest.raises(exc.DBAPIError) as failed:
            await db.run(write)
        assert failed.value.connection_invalidated  # SQLAlchemy threw the connection (and the pool) away

        assert await db.run(_backend_pid) != first
        assert await db.read(lambda s: s.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()) == 0
    finally:
        await db.run(lambda s: s.execute(text(f"DROP TABLE IF EXISTS {table}")))
        await db.dispose()
