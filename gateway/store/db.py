"""The database: an async engine for SQLite (WAL, embedded default) or PostgreSQL (asyncpg).

Two ways to write:

* ``async with db.session() as s:`` — an `AsyncSession` in one transaction (commit on success). Every
  statement is awaited; on SQLite each one is a hop to aiosqlite's thread. Used by everything that is not
  on the hot path (pages, CLI, status changes).
* ``await db.run(fn, durable=...)`` — a *unit of work*: ``fn(session)`` gets a synchronous sqlmodel
  `Session` and does all its statements at once. On SQLite the units of all concurrent callers are
  **group-committed**: a single writer thread takes every unit waiting, runs each in its own SAVEPOINT
  (a unit that raises is rolled back alone and its exception is re-raised to its caller), and commits
  them with one ``COMMIT`` — one fsync for the lot (a batch of one unit needs no savepoint: its transaction
  is the unit's). A unit's caller resumes only after that commit, so
  "returned" still means "committed". On PostgreSQL a unit is its own transaction, run as one synchronous
  call in one greenlet (checkout, BEGIN, ``fn``, COMMIT), not step by step through an `AsyncSession`.

SQLite serialises writers. Every write transaction starts with ``BEGIN IMMEDIATE`` so that two writers never
both read and then fail to upgrade their lock, and within one process writers queue on an asyncio lock first
(the group-commit writer takes it per batch). Across processes (an intake and a worker process on one
file) the writer thread polls for the lock every 0.2–2 ms instead of SQLite's coarse busy-handler sleeps,
and a batch commits after ``_BATCH_SECONDS`` of work, so another process waits for a few units, not 64.
Read-only sessions (`reader`) use their own engine with
deferred transactions, which in WAL mode never wait for a writer. A *read unit* (``await db.read(fn)``:
``fn(session)`` with a synchronous `Session`, all its statements at once: a short, indexed look-up) runs on
SQLite in the event loop's own thread, on a connection that never waits: a WAL reader does not wait for a
writer, and when SQLite still says "busy" the unit runs again in a small pool of reader threads, which may
wait. No thread hop for a look-up (≈ 0.3 ms of CPU on this VM through a reader thread, ≈ 0.08 ms inline;
through aiosqlite and the async ORM it was ≈ 0.8 ms); on PostgreSQL it runs in one greenlet, as a write unit
does. PostgreSQL's pooled connections are pinged before use only after a second idle in the pool
(`gateway.store.pg_ping`), not before every checkout. Writes are durable by default
(``synchronous=FULL``: the WAL is fsynced at commit, so what was acknowledged survives a power loss); the
workers' bookkeeping (claim, steps, outcome, outbox) asks for ``durable=False`` (``synchronous=NORMAL``,
synced at the next durable commit or checkpoint). A batch with at least one durable unit commits with FULL.
Losing a non-durable commit in a power cut only rolls an exchange back to an earlier state: its outcome and
its hulpvraag are one unit, so it is processed again, never twice. PostgreSQL uses its normal transactions;
the claims there rely on ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool
from sqlalchemy.util import greenlet_spawn
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.store.pg_ping import DEFAULT_AFTER_IDLE, ping_when_idle
from gateway.store.prepared import Prepared, PreparedResult
from gateway.store.units import (
    OneStatementBroken,
    Unit,
    alone,
    guard_one_statement,
    plain_savepoints,
    savepoint_in,
    statement_in,
)

if TYPE_CHECKING:
    from gateway.store.blob_crypto import Keyring

__all__ = ["Database", "OneStatementBroken", "Unit"]

T = TypeVar("T")

_MAX_BATCH = 64  # units per group commit: bounds how long one batch holds the write lock
# A batch stops taking units after this long and commits: SQLite has one write lock for every process on
# the file, and an intake process waiting for it should wait for a few units, not for 64.
_BATCH_SECONDS = 0.008
_BUSY_TIMEOUT_MS = 30_000
_READ_THREADS = 2  # read units run in parallel with the writer; each thread keeps its own connection


class _Busy(Exception):
    """An inline read unit met SQLite's "busy": it runs again in a reader thread, where it may wait."""


def _begin_immediate(dbapi_conn: Any) -> None:
    """Take SQLite's write lock, trying again every 0.2–2 ms while another process holds it.

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms between tries, so a
    writer that lost a few times keeps waiting long after a short transaction of another process has ended.
    Only the BEGIN polls (nothing is done yet, so trying again is safe); every later statement keeps the
    normal busy timeout."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + _BUSY_TIMEOUT_MS / 1000
        delay = 0.0002
        while True:
            try:
                cur.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                    raise
                if time.monotonic() > deadline:
                    raise
                time.sleep(delay)  # in the writer thread (or a driver thread): never in the event loop
                delay = min(delay * 1.5, 0.002)
    finally:
        cur.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        cur.close()


@dataclass(slots=True, eq=False)
class _Pending:
    fn: Unit
    durable: bool
    future: asyncio.Future[Any] = field(repr=False)
    prepare: Sequence[Callable[[], object]] = ()  # phases run in the writer thread before the unit's transaction
    one_statement: bool = False


def _run_phases(items: list[_Pending]) -> list[Exception | None]:
    """In the writer thread: phase 1 of every item, then phase 2 of every item, ... (one ``syncfs`` for the
    blobs of all requests of a batch, when the last phase flushes them); an item whose phase raises skips its
    later phases and gets the exception."""
    failed: list[Exception | None] = [None] * len(items)
    for phase in range(max(len(item.prepare) for item in items)):
        for i, item in enumerate(items):
            if failed[i] is None and phase < len(item.prepare):
                try:
                    item.prepare[phase]()
                except Exception as exc:
                    failed[i] = exc
    return failed


def _run_phases_or_raise(prepare: Sequence[Callable[[], object]]) -> None:
    for phase in prepare:
        phase()


def private_files(database: Path) -> None:
    """The database file and its WAL and shared-memory files readable by the gateway's user only (0600):
    created that way when new (SQLite gives -wal and -shm the mode of the database file), tightened when
    they exist."""
    try:
        fd = os.open(database, os.O_CREAT | os.O_RDWR, 0o600)
        os.close(fd)
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm"), Path(f"{database}-journal")):
            if path.exists() and path.stat().st_mode & 0o077:
                path.chmod(0o600)
    except OSError:
        pass  # a read-only location: SQLite itself reports what matters


class Database:
    def __init__(self, url: str, *, echo: bool = False, ping_after_idle: float = DEFAULT_AFTER_IDLE) -> None:
        self.url = url
        # the key ring that seals small secrets (TOTP) at rest, set by build_components (gateway.store.secret_box)
        self.secret_keyring: Keyring | None = None
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
                private_files(Path(parsed.database))
            kwargs["connect_args"] = {"timeout": 30, "isolation_level": None}
        else:
            kwargs.update(pool_size=10, max_overflow=10)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        # one-statement units on PostgreSQL: the statement is its own transaction (no BEGIN / COMMIT round trips)
        self._autocommit: Engine = self.engine.sync_engine.execution_options(isolation_level="AUTOCOMMIT")
        if not self.is_sqlite:
            ping_when_idle(self.engine.sync_engine, after_idle=ping_after_idle)  # not a ping before every checkout
            guard_one_statement(self.engine.sync_engine)
        self._read_engine: AsyncEngine = self.engine
        self._fast_engine: AsyncEngine = self.engine
        self._write_lock: asyncio.Lock | None = None
        self._sync_engines: dict[bool, Engine] = {}
        self._pending: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None
        self._writer: concurrent.futures.ThreadPoolExecutor | None = None
        self._read_threads: concurrent.futures.ThreadPoolExecutor | None = None
        self._sync_reader: Engine | None = None
        self._inline_reader: Engine | None = None
        self._inline_local = threading.local()  # the event loop thread's inline reader connection
        self._reader_local = threading.local()  # each reader thread's own connection, kept between read units
        self._reader_conns: list[Connection] = []
        if self.is_sqlite:
            self._read_engine = create_async_engine(url, **kwargs)
            self._fast_engine = create_async_engine(url, **kwargs)
            self._tune_sqlite(self.engine.sync_engine, immediate=True, synchronous="FULL")
            self._tune_sqlite(self._fast_engine.sync_engine, immediate=True, synchronous="NORMAL")
            self._tune_sqlite(self._read_engine.sync_engine, immediate=False, synchronous="NORMAL")
            self._write_lock = asyncio.Lock()
            sync_url = parsed.set(drivername="sqlite")
            for durable, level in ((True, "FULL"), (False, "NORMAL")):
                engine = create_engine(
                    sync_url,
                    echo=echo,
                    connect_args={"timeout": 30, "isolation_level": None, "check_same_thread": False},
                    pool_size=1,
                    max_overflow=0,
                )
                self._tune_sqlite(engine, immediate=True, synchronous=level, polled=True)
                plain_savepoints(engine)
                guard_one_statement(engine)  # the same rule on SQLite, so its tests find a broken unit too
                self._sync_engines[durable] = engine
            self._sync_reader = create_engine(
                sync_url,
                echo=echo,
                connect_args={"timeout": 30, "isolation_level": None, "check_same_thread": False},
                pool_size=_READ_THREADS,
                max_overflow=0,
            )
            self._tune_sqlite(self._sync_reader, immediate=False, synchronous="NORMAL")
            # read units run in the event loop's own thread first, on a connection that never waits (WAL: a
            # reader does not wait for a writer; "busy" — a recovery or a lock held by a read unit that wrote —
            # sends the unit to the reader threads instead): no thread hop for a look-up
            self._inline_reader = create_engine(
                sync_url,
                echo=echo,
                connect_args={"timeout": 0, "isolation_level": None, "check_same_thread": False},
                poolclass=NullPool,  # each event loop thread keeps its one connection (`_inline_local`)
            )
            self._tune_sqlite(self._inline_reader, immediate=False, synchronous="NORMAL", busy_timeout_ms=0)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._fast_sessions = async_sessionmaker(self._fast_engine, class_=AsyncSession, expire_on_commit=False)
        self._readers = async_sessionmaker(self._read_engine, class_=AsyncSession, expire_on_commit=False)

    @staticmethod
    def _tune_sqlite(
        sync_engine: Engine,
        *,
        immediate: bool,
        synchronous: str,
        polled: bool = False,
        busy_timeout_ms: int = _BUSY_TIMEOUT_MS,
    ) -> None:
        """``polled``: a synchronous engine used from the writer thread, whose BEGIN may sleep (never an
        aiosqlite engine: there the driver's busy handler waits in aiosqlite's own thread)."""

        @event.listens_for(sync_engine, "connect")
        def _on_connect(dbapi_conn: Any, _: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={synchronous}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
            cur.close()

        @event.listens_for(sync_engine, "begin")
        def _on_begin(conn: Any) -> None:
            if immediate and polled:
                _begin_immediate(conn.connection.driver_connection)
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    # -- async sessions ---------------------------------------------------------------------------------
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

    # -- units of work ----------------------------------------------------------------------------------
    async def read(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn(session)`` in a read-only transaction and return its result (nothing is committed).

        ``fn`` is synchronous, does all its statements at once and must not keep ORM objects beyond its
        return: a short look-up, never a scan. On SQLite it runs right here, in the event loop's thread (WAL: it
        does not wait for a writer), or — when SQLite answers "busy" — again in a reader thread, where it may wait;
        so ``fn`` may run twice and must only read. On PostgreSQL it runs in one greenlet on a pooled connection,
        rolled back when it goes back to the pool."""
        if self._sync_reader is None:  # PostgreSQL: the whole unit in one greenlet (see `run`)
            return await greenlet_spawn(self._read_with, self._read_engine.sync_engine, fn)
        assert self._inline_reader is not None
        with contextlib.suppress(_Busy):
            return self._read_on(self._inline_reader, self._inline_local, fn, busy=_Busy)
        if self._read_threads is None:
            self._read_threads = concurrent.futures.ThreadPoolExecutor(
                _READ_THREADS, thread_name_prefix="sqlite-reader"
            )
        return await asyncio.get_running_loop().run_in_executor(self._read_threads, self._read_sync, fn)

    async def look_up(self, statement: Prepared, params: Mapping[str, Any]) -> PreparedResult:
        """A read unit of one `Prepared` statement, without a session or a transaction of its own: one statement
        reads one consistent snapshot. On SQLite it runs in the event loop's thread on that thread's reader
        connection (≈ 80 µs less than `read` with a session, begin and rollback around it); when SQLite says
        "busy" it runs again as a `read` unit, which may wait in a reader thread. Elsewhere it is `read`."""
        if self._inline_reader is None:
            return await self.read(lambda s: statement.execute(s.connection(), params))
        conn = self._connection_on(self._inline_reader, self._inline_local)
        try:
            return statement.execute(conn, params)
        except OperationalError as exc:
            if getattr(exc.orig, "sqlite_errorcode", None) not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
        finally:
            if conn.in_transaction():  # SQLAlchemy ran it (no short path) and began a transaction: end it
                conn.rollback()
        return await self.read(lambda s: statement.execute(s.connection(), params))

    def _connection_on(self, engine: Engine, local: threading.local) -> Connection:
        """The calling thread's own connection to ``engine``, kept open between read units."""
        conn: Connection | None = getattr(local, "conn", None)
        if conn is None or conn.closed:
            conn = local.conn = engine.connect()
            self._reader_conns.append(conn)
        return conn

    def _read_sync(self, fn: Callable[[Session], T]) -> T:
        """In a reader thread (SQLite)."""
        assert self._sync_reader is not None
        return self._read_on(self._sync_reader, self._reader_local, fn)

    def _read_on(
        self, engine: Engine, local: threading.local, fn: Callable[[Session], T], busy: type[Exception] | None = None
    ) -> T:
        """On the calling thread's own connection to ``engine``, kept open between read units (no pool checkout
        and return per read: ≈ 30 µs of a ≈ 110 µs look-up); its read transaction ends with the unit, so the next
        unit sees every commit made since. ``busy``: raised instead when SQLite answers "busy" (the inline
        reader's connections do not wait)."""
        conn = self._connection_on(engine, local)
        try:
            with Session(bind=conn) as session:
                return fn(session)
        except OperationalError as exc:
            code = getattr(exc.orig, "sqlite_errorcode", None)
            if busy is not None and code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise busy from exc
            raise
        finally:
            try:
                conn.rollback()
            except Exception:  # a broken connection: the thread opens a new one for its next unit
                local.conn = None
                with contextlib.suppress(Exception):
                    conn.close()

    @staticmethod
    def _read_with(engine: Engine, fn: Callable[[Session], T]) -> T:
        with engine.connect() as conn, Session(bind=conn) as session:
            return fn(session)  # the connection's transaction is rolled back when it goes back to the pool

    async def run(
        self,
        fn: Callable[[Session], T],
        *,
        durable: bool = True,
        prepare: Sequence[Callable[[], object]] = (),
        one_statement: bool = False,
    ) -> T:
        """Run ``fn(session)`` in a write transaction and return its result once committed.

        ``fn`` is synchronous and must not keep ORM objects attached beyond its return (they are
        detached, with their loaded attributes). An exception raised by ``fn`` rolls back only its own
        work and is re-raised here.

        ``prepare``: synchronous phases that must be done before the transaction begins (the ESIS intake: link
        the request's blobs, then make them durable). On SQLite the writer thread runs them, phase by phase for
        every unit of a batch, before it takes the write lock — no thread hop of their own, and one ``syncfs``
        for the blobs of the whole batch; on PostgreSQL they run in a thread before the unit. A phase that
        raises: the unit is not run and the exception is re-raised here.

        ``one_statement``: ``fn`` runs exactly one statement (no executemany) and raises nothing after it that
        would want it undone (a claim, a single insert or update). On PostgreSQL the statement is then its own
        transaction, without the BEGIN and COMMIT round trips (≈ 255 → 210 µs of CPU per unit); on SQLite the
        unit is batched as any other. Either way a second statement raises `OneStatementBroken` before it runs.
        """
        if not self.is_sqlite:
            if prepare:
                await asyncio.to_thread(_run_phases_or_raise, prepare)
            # the whole unit — checkout, BEGIN, fn, COMMIT, checkin — in one greenlet: one switch into the
            # synchronous world instead of one per step of an AsyncSession (≈ 390 → 235 µs for a one-statement
            # unit, with the idle ping; docs/assumptions/db-hot-path.md)
            engine = self._autocommit if one_statement else self.engine.sync_engine
            ok, value = await greenlet_spawn(alone, engine, fn, one_statement)
            if not ok:
                raise value
            return value
        loop = asyncio.get_running_loop()
        item = _Pending(fn, durable, loop.create_future(), prepare, one_statement)
        self._pending.append(item)
        if self._flusher is None or self._flusher.done() or self._flusher.get_loop() is not loop:
            if self._flusher is not None and self._flusher.get_loop() is not loop:  # a new event loop (CLI)
                self._pending = [p for p in self._pending if p.future.get_loop() is loop]
                self._write_lock = asyncio.Lock()
            self._flusher = loop.create_task(self._flush())
        return await asyncio.shield(item.future)

    async def _flush(self) -> None:
        assert self._write_lock is not None
        loop = asyncio.get_running_loop()
        if self._writer is None:
            self._writer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        while self._pending:
            if any(item.prepare for item in self._pending[:_MAX_BATCH]):
                await self._prepare(loop, [item for item in self._pending[:_MAX_BATCH] if item.prepare])
            async with self._write_lock:
                # units that came in while others were prepared and still need their own phases wait a round
                batch = [item for item in self._pending if not item.prepare][:_MAX_BATCH]
                if not batch:
                    continue
                taken = {id(item) for item in batch}
                self._pending = [item for item in self._pending if id(item) not in taken]
                try:
                    results = await loop.run_in_executor(self._writer, self._apply, batch)
                except BaseException as exc:  # the commit failed: nothing of this batch was stored
                    for item in batch:
                        if not item.future.done():
                            item.future.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                if len(results) < len(batch):  # the batch ran out of time: the rest goes first next round
                    self._pending[:0] = batch[len(results) :]
                    batch = batch[: len(results)]
            for item, (ok, value) in zip(batch, results, strict=True):
                if item.future.done():
                    continue
                if ok:
                    item.future.set_result(value)
                else:
                    item.future.set_exception(value)

    async def _prepare(self, loop: asyncio.AbstractEventLoop, items: list[_Pending]) -> None:
        """The ``prepare`` phases of ``items`` in the writer thread; a unit whose phase failed gets its exception
        and leaves the queue, the others are then applied like any unit."""
        try:
            failed = await loop.run_in_executor(self._writer, _run_phases, items)
        except BaseException as exc:
            for item in items:
                if not item.future.done():
                    item.future.set_exception(exc)
            failing = {id(item) for item in items}
            self._pending = [item for item in self._pending if id(item) not in failing]
            raise
        dropped: set[int] = set()
        for item, error in zip(items, failed, strict=True):
            item.prepare = ()
            if error is not None:
                dropped.add(id(item))
                if not item.future.done():
                    item.future.set_exception(error)
        if dropped:
            self._pending = [item for item in self._pending if id(item) not in dropped]

    def _apply(self, batch: list[_Pending]) -> list[tuple[bool, Any]]:
        """In the writer thread: every unit of the batch in its own savepoint (a one-statement unit needs none),
        then one commit."""
        engine = self._sync_engines[any(item.durable for item in batch)]
        if len(batch) == 1:
            return [alone(engine, batch[0].fn, batch[0].one_statement)]
        results: list[tuple[bool, Any]] = []
        with engine.connect() as conn, conn.begin():
            started = time.monotonic()
            for item in batch:
                if results and time.monotonic() - started > _BATCH_SECONDS:
                    break  # commit what we have; the rest goes into the next batch
                results.append(statement_in(conn, item.fn) if item.one_statement else savepoint_in(conn, item.fn))
        return results

    async def dispose(self) -> None:
        flusher = self._flusher
        if flusher is not None and not flusher.done() and flusher.get_loop() is asyncio.get_running_loop():
            await asyncio.gather(flusher, return_exceptions=True)
        await self.engine.dispose()
        if self._read_engine is not self.engine:
            await self._read_engine.dispose()
            await self._fast_engine.dispose()
        for engine in self._sync_engines.values():
            engine.dispose()
        if self._read_threads is not None:
            self._read_threads.shutdown(wait=True)
            self._read_threads = None
        for conn in self._reader_conns:  # the reader threads have ended: nobody else uses them now
            conn.close()
        self._reader_conns.clear()
        self._reader_local = threading.local()
        self._inline_local = threading.local()
        if self._sync_reader is not None:
            self._sync_reader.dispose()
        if self._inline_reader is not None:
            self._inline_reader.dispose()
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None
