"""Hot statements on the driver's cursor: compiled once, run without SQLAlchemy's execution machinery.

A `Prepared` wraps one SQLAlchemy Core statement. It compiles the statement once per dialect and set of
parameter names, with the types' bind and result processors of the dialect (`TypeEngine.dialect_impl`), and
runs it on the connection's DBAPI cursor — in the unit's own transaction or savepoint, exactly where
``conn.execute`` would have run it: ≈ 40 µs of CPU less per statement on this VM (`bench/prepared_lookup.py`;
docs/performance.md, "Issue 18, fifth round"). That cursor is SQLite's own (pysqlite) or, on PostgreSQL,
SQLAlchemy's adapted asyncpg cursor — the one its execution would use, which starts the transaction, keeps
asyncpg's prepared statements and turns asyncpg's errors into DBAPI errors; the unit runs in a greenlet
(`Database.run`, `read`, `AsyncSession.run_sync`), where that cursor may wait for asyncpg. A DBAPI error goes
through SQLAlchemy's own handling (the same exception classes, a connection found broken is invalidated,
``handle_error`` listeners are called). Through aiosqlite, and for any statement the short path cannot run
exactly as SQLAlchemy would (expanding or post-compile parameters, Python-side column defaults, escaped
parameter names), it is ``conn.execute`` — the same rows.

Listeners of ``before_cursor_execute`` see every statement as before, with a context that carries the
connection's execution options: the guard of a one-statement unit (`Database.run(..., one_statement=True)`)
counts these statements too, and tests and ``bench/db_statements.py`` count them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.expression import Executable

__all__ = ["Prepared", "PreparedResult"]

# the drivers whose DBAPI cursor runs a statement here as SQLAlchemy's execution would: pysqlite's own, and the
# adapted asyncpg cursor (a unit in a greenlet). Not aiosqlite: its units run on pysqlite in the writer thread,
# and its adapted cursor would hop to aiosqlite's thread per statement.
_SHORT_PATH_DRIVERS = frozenset({"pysqlite", "asyncpg"})


@dataclasses.dataclass(frozen=True, slots=True)
class PreparedResult:
    """What a statement gave back: its rows (processed as SQLAlchemy would) and the rows it changed."""

    rows: list[tuple[Any, ...]]
    rowcount: int

    def first(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def scalar_one(self) -> Any:
        if len(self.rows) != 1:
            raise ValueError(f"expected one row, got {len(self.rows)}")
        return self.rows[0][0]


@dataclasses.dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the positional parameters, in order
    fixed: tuple[tuple[int, Any], ...]  # positions whose value the statement carries (LIMIT 1, a JSON path …)
    binds: tuple[Callable[[Any], Any] | None, ...]  # per position
    results: tuple[Callable[[Any], Any] | None, ...]  # per returned column


class Prepared:
    """One Core statement, run through `execute` / `executemany` with a dict of values per row."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        # per dialect kind and set of parameter names: what the SQL and the processors depend on (a dialect's JSON
        # (de)serializers are the only per-engine settings the processors read)
        self._compiled: dict[tuple[Any, ...], _Compiled | None] = {}

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> PreparedResult:
        compiled = self._short_path(conn, params)
        if compiled is None:
            result = conn.execute(self.statement, dict(params))
            rows = [tuple(r) for r in result] if result.returns_rows else []
            return PreparedResult(rows, result.rowcount)
        values = _values(compiled, params)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # open: the unit holds it
        try:
            _announce(conn, cursor, compiled.sql, values, executemany=False)
            cursor.execute(compiled.sql, values)
            raw = cursor.fetchall() if compiled.results else []
            rowcount = cursor.rowcount
        except conn.dialect.loaded_dbapi.Error as exc:
            conn._handle_dbapi_exception(exc, compiled.sql, values, cursor, None)  # raises SQLAlchemy's error
            raise  # not reached
        finally:
            cursor.close()
        if not raw:
            return PreparedResult([], rowcount)
        procs = compiled.results
        rows = [tuple(v if p is None else p(v) for p, v in zip(procs, r, strict=True)) for r in raw]
        return PreparedResult(rows, rowcount)

    def executemany(self, conn: Connection, params: Sequence[Mapping[str, Any]]) -> None:
        """The statement once per row of values (all rows with the same names); returns nothing."""
        if not params:
            return
        compiled = self._short_path(conn, params[0])
        if compiled is None or compiled.results:
            conn.execute(self.statement, [dict(p) for p in params])
            return
        rows = [_values(compiled, p) for p in params]
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # open: the unit holds it
        try:
            _announce(conn, cursor, compiled.sql, rows, executemany=True)
            cursor.executemany(compiled.sql, rows)
        except conn.dialect.loaded_dbapi.Error as exc:
            conn._handle_dbapi_exception(exc, compiled.sql, rows, cursor, None)  # raises SQLAlchemy's error
            raise  # not reached
        finally:
            cursor.close()

    def _short_path(self, conn: Connection, params: Mapping[str, Any]) -> _Compiled | None:
        dialect = conn.dialect
        if dialect.driver not in _SHORT_PATH_DRIVERS:
            return None
        names = tuple(params)
        key = (
            type(dialect),
            getattr(dialect, "_json_serializer", None),
            getattr(dialect, "_json_deserializer", None),
            names,
        )
        try:
            return self._compiled[key]
        except KeyError:
            compiled = self._compiled[key] = _compile(self.statement, dialect, names)
            return compiled


def _values(compiled: _Compiled, params: Mapping[str, Any]) -> list[Any]:
    """The row's values in position, each through its type's processor (None too, as SQLAlchemy does: JSON
    makes it ``null``)."""
    values = [params.get(name) for name in compiled.names]
    for at, value in compiled.fixed:
        values[at] = value
    return [v if p is None else p(v) for p, v in zip(compiled.binds, values, strict=True)]


@dataclasses.dataclass(frozen=True, slots=True)
class _Context:
    """What a ``before_cursor_execute`` listener may read of the execution context here."""

    execution_options: Mapping[str, Any]


def _announce(conn: Connection, cursor: Any, sql: str, values: Any, *, executemany: bool) -> None:
    """What SQLAlchemy tells ``before_cursor_execute`` listeners before it runs a statement (a listener may
    refuse it by raising, as the one-statement guard does)."""
    listeners = conn.dispatch.before_cursor_execute
    if listeners:
        context = _Context(conn.get_execution_options())
        for listener in listeners:
            listener(conn, cursor, sql, values, context, executemany)


def _compile(statement: Any, dialect: Dialect, names: tuple[str, ...]) -> _Compiled | None:
    """The statement for these parameter names, or None when only SQLAlchemy can run it exactly."""
    compiled: Any = statement.compile(dialect=dialect, column_keys=list(names))
    if compiled.implicit_returning and not getattr(statement, "exported_columns", ()):
        # PostgreSQL: a one-row INSERT gets RETURNING of its primary key, for SQLAlchemy's `inserted_primary_key`,
        # which a `Prepared` does not give: the statement as for executemany, without it
        compiled = statement.compile(dialect=dialect, column_keys=list(names), for_executemany=True)
        if compiled.returning:
            return None
    if (
        not compiled.positional
        or compiled.escaped_bind_names
        or getattr(compiled, "insert_prefetch", None)
        or getattr(compiled, "update_prefetch", None)
        or compiled.literal_execute_params
        or compiled.post_compile_params
        or any(b.expanding for b in compiled.binds.values())
    ):
        return None
    positions: tuple[str, ...] = tuple(compiled.positiontup)
    fixed: list[tuple[int, Any]] = []
    binds: list[Callable[[Any], Any] | None] = []
    for at, name in enumerate(positions):
        bind = compiled.binds[name]
        binds.append(bind.type.dialect_impl(dialect).bind_processor(dialect))
        if name not in names:
            if bind.required or bind.callable is not None:
                return None
            fixed.append((at, bind.value))
    results: list[Callable[[Any], Any] | None] = []
    returns_rows = bool(compiled.returning) or bool(getattr(compiled.statement, "is_select", False))
    for column in getattr(statement, "exported_columns", ()) if returns_rows else ():
        results.append(column.type.dialect_impl(dialect).result_processor(dialect, None))
    if returns_rows and not results:
        return None
    return _Compiled(compiled.string, positions, tuple(fixed), tuple(binds), tuple(results))
