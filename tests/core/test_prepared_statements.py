"""`Prepared`: the hot statements on the driver's cursor (SQLite's own, PostgreSQL's adapted asyncpg cursor) store
and read exactly what SQLAlchemy's execution stores and reads (every type through its processor: aware UTC
datetimes, JSON with ``null``, bytes, booleans), raise SQLAlchemy's exceptions, and stay visible to
``before_cursor_execute`` listeners — the one-statement guard among them. Through aiosqlite, and for a statement
the short path cannot run exactly, it is SQLAlchemy."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, bindparam, event, insert, make_url, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, col

from gateway.components import Components
from gateway.inbox import inbox as inbox_module
from gateway.inbox import replay
from gateway.pipeline import store_draft
from gateway.pipeline.ports import exchanges
from gateway.registry import code_lookup
from gateway.store import audit
from gateway.store.db import OneStatementBroken
from gateway.store.models import Exchange, ExchangeEvent, Vestiging
from gateway.store.models.codes import Verificatiecode
from gateway.store.prepared import Prepared, PreparedResult
from tests.conftest import unique
from tests.support.fakes import new_exchange

_EX = Exchange.__table__  # type: ignore[attr-defined]  # SQLModel does not declare the __table__ SQLAlchemy adds
_ODD_TIME = dt.datetime(2026, 3, 29, 1, 59, 59, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))  # no µs, not UTC


def _row(key: str, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "key": key,
        "source": "test",
        "kind": "test_aanvraag",
        "swv_code": "PO3008",
        "brin6": "14SS00",
        "correlation_id": "c-vast",
        "payload": b"\x00\xffbinair\x00",
        "meta": {"naam": "Zoë ’t Hart", "lijst": [1, 2.5, None, True], "leeg": {}},
        "handoff_version": None,
        "state": "ontvangen",
        "step": "ontvangen",
        "attempts": 0,
        "findings": [],
        "received_at": _ODD_TIME,
        "next_attempt_at": dt.datetime(2026, 12, 5, 7, 20, 54, 16062, tzinfo=dt.UTC),
        "finished_at": None,
        "payload_purged": False,
    }
    return {**row, **changes}


async def _put(c: Components, key: str, **changes: Any) -> None:
    await c.db.run(lambda s: inbox_module._PUT.execute(s.connection(), _row(key, **changes)), durable=False)


def _stored(s: Session, key: str) -> dict[str, Any]:
    """The row as the model reads it, and as the database holds it (a text query: SQLite's own text for a time,
    which its comparisons order by)."""
    found = s.execute(select(Exchange).where(col(Exchange.key) == key)).scalars().one()
    raw = s.execute(text("SELECT * FROM exchange WHERE key = :k"), {"k": key}).mappings().one()
    return {
        **{name: getattr(found, name) for name in Exchange.model_fields if name not in ("id", "key")},
        **{f"raw {name}": value for name, value in raw.items() if name not in ("id", "key")},
    }


def _through_sqlalchemy(s: Session, prepared: Prepared, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    result = s.connection().execute(prepared.statement, params)
    return [tuple(r) for r in result] if result.returns_rows else []


async def _both_ways(c: Components, prepared: Prepared, params: Callable[[str], dict[str, Any]]) -> tuple[Any, Any]:
    """Run ``prepared`` on its own path and through SQLAlchemy, each with a row of its own key."""
    ours, theirs = unique("p-"), unique("s-")
    await c.db.run(lambda s: prepared.execute(s.connection(), params(ours)), durable=False)
    await c.db.run(lambda s: _through_sqlalchemy(s, prepared, params(theirs)), durable=False)
    return await c.db.read(lambda s: (_stored(s, ours), _stored(s, theirs)))


async def test_a_prepared_insert_stores_what_sqlalchemy_stores(any_components: Components) -> None:
    c = any_components
    changed: dict[str, Any] = {"handoff_version": 3, "finished_at": _ODD_TIME, "meta": {}, "findings": [{"code": "X"}]}
    for changes in ({}, changed):
        ours, theirs = await _both_ways(c, inbox_module._PUT, functools.partial(_row, **changes))
        assert ours == theirs
        assert ours["received_at"] == _ODD_TIME and ours["received_at"].tzinfo == dt.UTC


async def test_the_short_path_is_taken_in_units_on_both_databases(any_components: Components) -> None:
    c = any_components

    def short(s: Session) -> bool:
        return inbox_module._PUT._short_path(s.connection(), _row("x")) is not None

    assert await c.db.read(short)
    assert await c.db.run(short, durable=False)


async def test_inside_an_async_session_it_is_sqlalchemy_on_aiosqlite_only(any_components: Components) -> None:
    """Through `AsyncSession.run_sync` on aiosqlite the cursor would hop to aiosqlite's thread per statement:
    SQLAlchemy; on asyncpg it is the adapted cursor in the session's greenlet, as in a unit."""
    c = any_components
    key = unique("k-")
    async with c.db.session() as s:
        short = await s.run_sync(lambda ss: inbox_module._PUT._short_path(ss.connection(), _row(key)))
        await s.run_sync(lambda ss: inbox_module._PUT.execute(ss.connection(), _row(key)))
    assert (short is None) is c.db.is_sqlite
    assert (await c.db.read(lambda s: _stored(s, key)))["received_at"] == _ODD_TIME


async def test_a_prepared_select_reads_what_sqlalchemy_reads(any_components: Components) -> None:
    c = any_components
    key = unique("k-")
    meta = {"inhoud_sha256": "ab" * 32}
    await _put(c, key, meta=meta)

    def both(s: Session) -> tuple[PreparedResult, list[tuple[Any, ...]]]:
        params = {"b_key": key}
        return exchanges._SEEN.execute(s.connection(), params), _through_sqlalchemy(s, exchanges._SEEN, params)

    ours, theirs = await c.db.read(both)
    assert ours.rows == theirs and ours.first() is not None
    assert ours.rows[0][1:] == ("ontvangen", ours.rows[0][2], "ab" * 32)


async def test_a_claim_on_the_short_path_returns_what_sqlalchemy_returns(any_components: Components) -> None:
    c = any_components
    key = unique("k-")
    await _put(c, key)
    now = dt.datetime.now(dt.UTC)
    params = {"b_now": now + dt.timedelta(seconds=1), "b_limit": 5, "b_owner": "w", "b_until": now}

    class _Undo(Exception):
        pass

    seen: list[list[tuple[Any, ...]]] = []

    def theirs(s: Session) -> None:
        seen.append(_through_sqlalchemy(s, inbox_module._CLAIM, params))
        raise _Undo  # rolled back: the same row is claimed again below

    with pytest.raises(_Undo):
        await c.db.run(theirs, durable=False)
    ours = await c.db.run(lambda s: inbox_module._CLAIM.execute(s.connection(), params).rows, durable=False)
    assert ours == seen[0] and len(ours) == 1
    claimed = await c.db.read(lambda s: _stored(s, key))
    assert claimed["state"] == "in_behandeling" and claimed["attempts"] == 1 and claimed["lease_owner"] == "w"
    assert claimed["next_attempt_at"] == now and claimed["waiting_for"] is None


async def test_a_code_match_reads_an_aware_time_or_none(any_components: Components) -> None:
    c = any_components
    swv_id, vestiging_id = await c.db.read(
        lambda s: tuple(s.execute(select(col(Vestiging.swv_id), col(Vestiging.id)).limit(1)).one())
    )

    def add(s: Session) -> int:
        code = Verificatiecode(
            swv_id=swv_id, vestiging_id=vestiging_id, brin6="14SS00", environment="productie", state="actief",
            code_hash="scrypt$x", fingerprint="f" * 16, registered_by="test",
        )  # fmt: skip
        s.add(code)
        s.flush()
        assert code.id is not None
        return code.id

    code_id = await c.db.run(add)
    for used in (None, _ODD_TIME):

        def set_used(s: Session, used: dt.datetime | None = used) -> None:
            row = s.get(Verificatiecode, code_id)
            assert row is not None
            row.last_used_at = used
            s.add(row)

        await c.db.run(set_used)
        row = await c.db.read(lambda s: code_lookup._MATCH.execute(s.connection(), {"b_id": code_id}).first())
        assert row is not None and row[3] == "14SS00" and row[-1] == used
        assert used is None or row[-1].tzinfo == dt.UTC


async def test_an_executemany_inserts_every_row_in_order(any_components: Components) -> None:
    c = any_components
    put = await c.inbox.put(new_exchange(unique("k-")))
    events = [{"exchange_id": put.exchange_id, "at": _ODD_TIME, "step": f"s{i}", "message": "m", "findings": []}
              for i in range(3)]  # fmt: skip
    await c.db.run(lambda s: inbox_module._EVENT.executemany(s.connection(), events), durable=False)
    await c.db.run(lambda s: inbox_module._EVENT.executemany(s.connection(), []), durable=False)  # nothing to do
    steps = await c.db.read(
        lambda s: [
            (e.step, e.at)
            for e in s.execute(
                select(ExchangeEvent)
                .where(col(ExchangeEvent.exchange_id) == put.exchange_id)
                .order_by(col(ExchangeEvent.id))
            ).scalars()
        ]
    )
    assert steps[-3:] == [("s0", _ODD_TIME), ("s1", _ODD_TIME), ("s2", _ODD_TIME)]


async def test_a_database_error_is_sqlalchemys_on_both_paths(any_components: Components) -> None:
    c = any_components
    key = unique("k-")
    await _put(c, key)
    with pytest.raises(IntegrityError) as raised:
        await _put(c, key)
    assert raised.value.orig is not None


async def test_listeners_see_the_statements_and_the_one_statement_guard_counts_them(
    any_components: Components,
) -> None:
    c = any_components
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    key, other = unique("k-"), unique("k-")
    event.listen(Engine, "before_cursor_execute", seen)
    try:
        await _put(c, key)

        def two(s: Session) -> None:
            inbox_module._PUT.execute(s.connection(), _row(other))
            inbox_module._PUT.execute(s.connection(), _row(unique("k-")))

        with pytest.raises(OneStatementBroken):
            await c.db.run(two, durable=False, one_statement=True)
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert sum(s.startswith("INSERT INTO exchange ") for s in statements) == 3
    stored = await c.db.read(lambda s: s.execute(select(col(Exchange.id)).where(col(Exchange.key) == other)).first())
    # SQLite: the unit is rolled back; PostgreSQL: its first statement was its own transaction (as documented)
    assert (stored is None) is c.db.is_sqlite


async def test_a_statement_the_short_path_cannot_run_goes_through_sqlalchemy(any_components: Components) -> None:
    c = any_components
    keys = [unique("k-"), unique("k-")]
    for key in keys:
        await _put(c, key)
    expanding = Prepared(select(_EX.c.key).where(_EX.c.key.in_(bindparam("keys", expanding=True))).order_by(_EX.c.key))
    with_default = Prepared(insert(_EX))  # `state`, `attempts`, `payload_purged` have Python-side defaults

    def run(s: Session) -> tuple[Any, Any, list[tuple[Any, ...]]]:
        conn = s.connection()
        fewer = {k: v for k, v in _row(unique("d-")).items() if k not in ("state", "attempts", "payload_purged")}
        with_default.execute(conn, fewer)
        return (
            expanding._short_path(conn, {"keys": keys}),
            with_default._short_path(conn, fewer),
            expanding.execute(conn, {"keys": keys}).rows,
        )

    short_expanding, short_default, rows = await c.db.run(run, durable=False)
    assert short_expanding is None and short_default is None
    assert rows == [(k,) for k in sorted(keys)]


@pytest.mark.parametrize("dialect_name", ["sqlite", "asyncpg"])
def test_the_hot_statements_take_the_short_path(dialect_name: str) -> None:
    """Each hot statement compiles for the driver's cursor (a change that made one fall back would be silent)."""
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.dialects.postgresql import asyncpg

    from gateway.store.prepared import _compile

    dialect = sqlite.dialect() if dialect_name == "sqlite" else asyncpg.dialect()
    hot: list[tuple[Prepared, tuple[str, ...]]] = [
        (exchanges._SEEN, ("b_key",)),
        (code_lookup._MATCH, ("b_id",)),
        (inbox_module._PUT, tuple(_row("x"))),
        (inbox_module._EVENT, ("exchange_id", "at", "step", "message", "findings")),
        (inbox_module._CLAIM, ("b_now", "b_limit", "b_owner", "b_until")),
        (inbox_module._LEASED_NOW, ("b_id", "b_owner", "state", "step", "findings", "next_attempt_at")),
        (store_draft._CANDIDATES, ("leerlingid",)),
        (store_draft._BY_REQUEST_KEY, ("source_system", "request_key")),
        (store_draft._INSERT_SH, ("hulpvraag_id", "status", "vorige_status", "door", "toelichting", "at")),
        (audit._INSERT, ("at", "actor", "action", "object_type", "object_id", "swv_code", "details")),
        (replay._FIRST_SEEN[dialect_name == "sqlite"], ("b_id", "b_until", "b_now")),
    ]
    for prepared, names in hot:
        assert _compile(prepared.statement, dialect, names) is not None, prepared.statement


async def test_a_look_up_sees_every_commit_before_it_without_a_transaction_of_its_own(
    any_components: Components,
) -> None:
    c = any_components
    key = unique("k-")
    assert (await c.db.look_up(exchanges._SEEN, {"b_key": key})).first() is None
    await _put(c, key, meta={"inhoud_sha256": "cd" * 32})
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        first = (await c.db.look_up(exchanges._SEEN, {"b_key": key})).first()
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert first is not None and first[1:] == ("ontvangen", "c-vast", "cd" * 32)
    if c.db.is_sqlite:  # the statement alone: no BEGIN, no ROLLBACK, on the event loop's reader connection
        assert [s.split()[0] for s in statements] == ["SELECT"]
    stmt = update(Exchange).where(col(Exchange.key) == key).values(state="verwerkt")
    await c.db.run(lambda s: s.connection().execute(stmt), durable=False)
    again = (await c.db.look_up(exchanges._SEEN, {"b_key": key})).first()
    assert again is not None and again[1] == "verwerkt"


async def test_a_look_up_that_finds_sqlite_busy_runs_again_as_a_read_unit(components: Components) -> None:
    """The inline reader never waits: "busy" (here a statement that writes while another connection holds the
    write lock) sends it to a read unit in a reader thread, which waits for the lock."""
    db = components.db
    path = make_url(db.url).database
    assert db.is_sqlite and path
    key = unique("k-")
    await _put(components, key)
    touch = Prepared(update(Exchange).where(col(Exchange.key) == bindparam("b_key")).values(step="aangeraakt"))
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    asyncio.get_running_loop().call_later(0.2, holder.rollback)
    try:
        started = time.monotonic()
        result = await db.look_up(touch, {"b_key": key})
    finally:
        holder.close()
    assert result.rowcount == 1 and time.monotonic() - started >= 0.15  # it waited for the lock, in a thread
    # the read unit rolled its write back: a look-up only reads, and this one proved where it ran
    assert (await db.read(lambda s: _stored(s, key)))["step"] == "ontvangen"


async def test_a_connection_that_broke_under_the_short_path_is_not_used_again(any_components: Components) -> None:
    """SQLAlchemy's error handling runs on the short path too: a connection PostgreSQL ended is invalidated, not
    handed to the next unit from the pool."""
    c = any_components
    if c.db.is_sqlite:
        pytest.skip("PostgreSQL: the server ends the connection")
    pool_size = 10 + 10  # `Database`: pool_size and max_overflow

    def broken_under_the_statement(s: Session) -> None:
        conn = s.connection()
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        with c.db.engine.sync_engine.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
            other.commit()
        exchanges._SEEN.execute(conn, {"b_key": "x"})

    with pytest.raises(DBAPIError) as raised:
        await c.db.run(broken_under_the_statement)
    assert raised.value.connection_invalidated
    for _ in range(pool_size + 1):  # every pooled connection in turn: none is the broken one
        assert await c.db.read(lambda s: exchanges._SEEN.execute(s.connection(), {"b_key": "x"}).first()) is None
