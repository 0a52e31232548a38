"""Units run with ``one_statement=True`` (`Database.run`): on PostgreSQL the statement is its own transaction, with
no BEGIN or COMMIT sent; on both databases a second statement or an executemany is refused before it runs, so a
unit that grows a second statement fails loudly in every test instead of committing half of itself."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from gateway.components import Components
from gateway.settings import Settings
from gateway.store.db import OneStatementBroken
from gateway.store.models import Exchange
from tests.conftest import seeded_components, unique
from tests.support.fakes import new_exchange


async def _step_of(c: Components, exchange_id: int) -> str:
    return await c.db.read(
        lambda s: str(s.execute(select(col(Exchange.step)).where(col(Exchange.id) == exchange_id)).scalar_one())
    )


def _set_step(exchange_id: int, step: str) -> object:
    return update(Exchange).where(col(Exchange.id) == exchange_id).values(step=step)


async def test_a_one_statement_unit_commits_its_statement(any_components: Components) -> None:
    c = any_components
    put = await c.inbox.put(new_exchange(unique("k-")))
    stmt = _set_step(put.exchange_id, "een-statement")
    await c.db.run(lambda s: s.connection().execute(stmt), durable=False, one_statement=True)  # type: ignore[call-overload]  # a Core update
    assert await _step_of(c, put.exchange_id) == "een-statement"


async def test_a_second_statement_is_refused_before_it_runs(any_components: Components) -> None:
    c = any_components
    put = await c.inbox.put(new_exchange(unique("k-")))
    before = await _step_of(c, put.exchange_id)

    def two(s: Session) -> None:
        conn = s.connection()
        conn.execute(text("select 1"))
        conn.execute(_set_step(put.exchange_id, "tweede"))  # type: ignore[call-overload]  # a Core update

    with pytest.raises(OneStatementBroken):
        await c.db.run(two, durable=False, one_statement=True)
    assert await _step_of(c, put.exchange_id) == before  # the second statement never reached the database


async def test_an_executemany_is_refused_in_a_one_statement_unit(any_components: Components) -> None:
    c = any_components
    put = await c.inbox.put(new_exchange(unique("k-")))
    stmt = text("update exchange set step = :s where id = :i")
    rows = [{"s": "veel", "i": put.exchange_id}, {"s": "veel", "i": put.exchange_id}]
    with pytest.raises(OneStatementBroken):
        await c.db.run(lambda s: s.connection().execute(stmt, rows), durable=False, one_statement=True)
    assert await _step_of(c, put.exchange_id) != "veel"


async def test_the_same_connection_runs_ordinary_units_afterwards(any_components: Components) -> None:
    """The guard is the unit's, not the connection's: after a broken one-statement unit, units of several
    statements run on the same pooled connections as before."""
    c = any_components
    with pytest.raises(OneStatementBroken):
        await c.db.run(lambda s: [s.connection().execute(text("select 1")) for _ in range(2)], one_statement=True)
    put = await c.inbox.put(new_exchange(unique("k-")))  # two statements in one unit
    for _ in range(12):  # more units than connections in the pool
        await c.db.run(lambda s: [s.connection().execute(text("select 1")) for _ in range(3)])
    assert await _step_of(c, put.exchange_id)


async def test_on_postgres_the_statement_is_its_own_transaction(settings: Settings, postgres_url: str) -> None:
    """The server's word for it: asyncpg's transaction status comes from the server's ReadyForQuery message after
    each statement — in a transaction block (BEGIN was sent) or idle (the statement was its own transaction).
    PostgreSQL only: SQLite batches a one-statement unit like any other (group commit)."""

    def in_block(s: Session) -> bool:
        conn = s.connection()
        conn.execute(text("select 1"))
        return bool(conn.connection.dbapi_connection._connection.is_in_transaction())  # type: ignore[union-attr]  # asyncpg under SQLAlchemy's adapter

    async with seeded_components(settings.replace(database_url=postgres_url)) as c:
        assert await c.db.run(in_block, durable=False, one_statement=True) is False
        assert await c.db.run(in_block, durable=False) is True


async def test_a_unit_of_a_group_commit_batch_is_guarded_alone(components: Components) -> None:
    """SQLite runs concurrent units in one batch on one connection: the guard holds for the one-statement unit
    only, and the units around it keep their several statements."""
    c = components
    several = [c.db.run(lambda s: [s.connection().execute(text("select 1")) for _ in range(3)]) for _ in range(4)]
    broken = c.db.run(lambda s: [s.connection().execute(text("select 1")) for _ in range(2)], one_statement=True)
    fine = c.db.run(lambda s: s.connection().execute(text("select 1")).scalar_one(), one_statement=True)
    results = await asyncio.gather(*several, broken, fine, return_exceptions=True)
    assert [type(r) for r in results[:4]] == [list] * 4
    assert isinstance(results[4], OneStatementBroken)
    assert results[5] == 1


def _savepoints_of(c: Components, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SAVEPOINTs the SQLite writer sets (they go straight to the driver: no cursor event sees them)."""
    names: list[str] = []
    for engine in c.db._sync_engines.values():
        dialect = engine.dialect
        original = dialect.do_savepoint

        def counting(connection: Any, name: str, original: Callable[[Any, str], None] = original) -> None:
            names.append(name)
            original(connection, name)

        monkeypatch.setattr(dialect, "do_savepoint", counting)
    return names


async def test_one_statement_units_of_a_batch_need_no_savepoint(
    components: Components, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite undoes a failing statement by itself: a one-statement unit of a group-commit batch runs without a
    savepoint, and one whose statement fails fails alone — the units before and after it in the batch commit."""
    c = components
    puts = [await c.inbox.put(new_exchange(unique("k-"))) for _ in range(3)]
    savepoints = _savepoints_of(c, monkeypatch)
    duplicate = text("insert into exchange (id) select id from exchange limit 1")  # the primary key is taken
    units = [
        c.db.run(lambda s, i=p.exchange_id: s.connection().execute(_set_step(i, "gedaan")), one_statement=True)  # type: ignore[misc]  # a Core update
        for p in puts[:2]
    ]
    failing = c.db.run(lambda s: s.connection().execute(duplicate), one_statement=True)
    last = c.db.run(lambda s: s.connection().execute(_set_step(puts[2].exchange_id, "gedaan")), one_statement=True)  # type: ignore[call-overload]  # a Core update
    results = await asyncio.gather(*units, failing, last, return_exceptions=True)
    assert isinstance(results[2], IntegrityError)
    assert not any(isinstance(r, BaseException) for i, r in enumerate(results) if i != 2), results
    assert savepoints == []
    assert [await _step_of(c, p.exchange_id) for p in puts] == ["gedaan"] * 3


async def test_a_unit_of_several_statements_in_the_same_batch_keeps_its_savepoint(
    components: Components, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = components
    put = await c.inbox.put(new_exchange(unique("k-")))
    savepoints = _savepoints_of(c, monkeypatch)

    def two_then_fail(s: Session) -> None:
        s.connection().execute(_set_step(put.exchange_id, "half"))  # type: ignore[call-overload]  # a Core update
        raise RuntimeError("na de eerste stap")

    one = c.db.run(lambda s: s.connection().execute(text("select 1")).scalar_one(), one_statement=True)
    results = await asyncio.gather(one, c.db.run(two_then_fail), return_exceptions=True)
    assert results[0] == 1 and isinstance(results[1], RuntimeError)
    assert len(savepoints) == 1  # the unit of several statements only, and its first statement was undone
    assert await _step_of(c, put.exchange_id) != "half"


async def test_orm_changes_in_a_one_statement_unit_of_a_batch_store_nothing_of_the_batch(
    components: Components,
) -> None:
    """Its session never flushes: an object added to it would be silently lost. The batch fails instead, so that
    nothing is stored half — not even the statement it did run — and every unit of the batch hears of it."""
    c = components
    put = await c.inbox.put(new_exchange(unique("k-")))

    def adds(s: Session) -> None:
        s.connection().execute(_set_step(put.exchange_id, "half"))  # type: ignore[call-overload]  # a Core update
        s.add(Exchange(key=unique("orm-"), source="test", kind="test", swv_code="PO3008", correlation_id="c"))

    other = c.db.run(lambda s: s.connection().execute(text("select 1")).scalar_one(), one_statement=True)
    results = await asyncio.gather(other, c.db.run(adds, one_statement=True), return_exceptions=True)
    assert [type(r) for r in results] == [OneStatementBroken, OneStatementBroken]
    assert await _step_of(c, put.exchange_id) != "half"
