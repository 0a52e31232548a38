"""The database: an async engine for SQLite (WAL, embedded default) or PostgreSQL (asyncpg).

SQLite serialises writers. Every write transaction (`session`) starts with ``BEGIN IMMEDIATE`` so that two
writers never both read and then fail to upgrade their lock ("database is locked" mid-transaction), and within
one process writers queue on an asyncio lock first (fair, and no busy-polling against each other); read-only
sessions (`reader`) use a second engine with ordinary deferred transactions, which in WAL mode never wait for
a writer. Write sessions are durable by default (`synchronous=FULL`: the WAL is fsynced at commit, so what was
acknowledged survives a power loss); the workers' own bookkeeping (claim, lease renewal, steps, outcome,
outbox) asks for `durable=False` (`synchronous=NORMAL`, synced at the next durable commit or checkpoint).
Losing such a commit in a power cut only rolls an exchange back to an earlier state: its outcome and its
hulpvraag are one transaction, so it is processed again, never twice. PostgreSQL uses its normal transactions;
the inbox claim there relies on ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

__all__ = ["Database"]


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30, "isolation_level": None}
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        self._read_engine: AsyncEngine = self.engine
        self._fast_engine: AsyncEngine = self.engine
        self._write_lock: asyncio.Lock | None = None
        if self.is_sqlite:
            self._read_engine = create_async_engine(url, **kwargs)
            self._fast_engine = create_async_engine(url, **kwargs)
            self._tune_sqlite(self.engine, immediate=True, synchronous="FULL")
            self._tune_sqlite(self._fast_engine, immediate=True, synchronous="NORMAL")
            self._tune_sqlite(self._read_engine, immediate=False, synchronous="NORMAL")
            self._write_lock = asyncio.Lock()
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._fast_sessions = async_sessionmaker(self._fast_engine, class_=AsyncSession, expire_on_commit=False)
        self._readers = async_sessionmaker(self._read_engine, class_=AsyncSession, expire_on_commit=False)

    @staticmethod
    def _tune_sqlite(engine: AsyncEngine, *, immediate: bool, synchronous: str) -> None:
        sync_engine = engine.sync_engine

        @event.listens_for(sync_engine, "connect")
        def _on_connect(dbapi_conn: Any, _: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={synchronous}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(sync_engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    @asynccontextmanager
    async def session(self, *, durable: bool = True) -> AsyncIterator[AsyncSession]:
        """A write session in one transaction: committed on success, rolled back on any error."""
        maker = self._sessions if durable else self._fast_sessions
        if self._write_lock is None:
            async with maker() as s, s.begin():
                yield s
            return
        async with self._write_lock, maker() as s, s.begin():
            yield s

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only (never commits; on SQLite it never waits for a writer)."""
        async with self._readers() as s:
            yield s

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._read_engine is not self.engine:
            await self._read_engine.dispose()
            await self._fast_engine.dispose()
