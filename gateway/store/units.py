"""How one unit of work runs on a connection (gateway.store.db's writer): alone as its own transaction, in a
SAVEPOINT of a group-commit batch, or — a one-statement unit — in the batch without one; and the guard that
keeps a one-statement unit to one statement. `Database` decides which; these run it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

__all__ = [
    "ONE_STATEMENT",
    "OneStatementBroken",
    "Unit",
    "alone",
    "guard_one_statement",
    "plain_savepoints",
    "savepoint_in",
    "statement_in",
]

Unit = Callable[[Session], Any]

# an execution option of the connection while a one-statement unit runs on it: a box with the statements so far
ONE_STATEMENT = "gateway_one_statement"


class OneStatementBroken(RuntimeError):
    """A unit run with ``one_statement=True`` tried a second statement (or an executemany): on PostgreSQL its
    first statement may already be committed on its own, so it is stopped before the second one runs."""


def guard_one_statement(engine: Engine) -> None:
    """Refuse a second statement (or an executemany) in a one-statement unit, before it reaches the database."""

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        box = None if context is None else context.execution_options.get(ONE_STATEMENT)
        if box is None:
            return
        if box[0] or executemany:
            raise OneStatementBroken(f"a second statement in a one-statement unit: {statement[:80]}")
        box[0] = 1


def plain_savepoints(engine: Engine) -> None:
    """The writer's SAVEPOINT / RELEASE / ROLLBACK TO (one set per unit of a group-commit batch) go straight to
    the driver connection: SQLAlchemy would build, key and compile a clause for each (≈ 5 % of a busy worker's
    Python time). The names are SQLAlchemy's own (``sa_savepoint_<n>``); what it tracks does not change."""
    dialect = engine.dialect

    def statement(verb: str) -> Callable[[Any, str], None]:
        def run(connection: Any, name: str) -> None:
            connection.connection.driver_connection.execute(f"{verb} {name}")

        return run

    setattr(dialect, "do_savepoint", statement("SAVEPOINT"))  # noqa: B010  # an instance attribute: this engine only
    setattr(dialect, "do_release_savepoint", statement("RELEASE SAVEPOINT"))  # noqa: B010
    setattr(dialect, "do_rollback_to_savepoint", statement("ROLLBACK TO SAVEPOINT"))  # noqa: B010


def savepoint_in(conn: Connection, fn: Unit) -> tuple[bool, Any]:
    """A unit of a batch in a SAVEPOINT of the batch's transaction: commit releases it, rollback undoes this unit
    alone."""
    session = Session(bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint")
    try:
        value = fn(session)
        session.commit()  # its flush counts too
    except BaseException as exc:
        session.rollback()
        session.close()
        if not isinstance(exc, Exception):
            raise
        return (False, exc)
    session.close()
    return (True, value)


def statement_in(conn: Connection, fn: Unit) -> tuple[bool, Any]:
    """A one-statement unit of a batch, without a savepoint (≈ 2 statements and a session commit less): SQLite
    undoes a failing statement by itself and keeps the transaction, and the unit raises nothing after its
    statement that would want it undone (`Database.run`). Should SQLite have given up the whole transaction (a
    full disk, an I/O error), the error fails the batch — nothing of it is stored — as a failing savepoint
    rollback does. The session never commits: ORM changes left in it would need a flush, a second statement
    that could not be undone alone, so they fail the batch too (a unit written wrongly, found by any test)."""
    session = Session(bind=conn, expire_on_commit=False, join_transaction_mode="rollback_only")
    conn.execution_options(**{ONE_STATEMENT: [0]})  # in place, for this unit
    try:
        try:
            value = fn(session)
        except Exception as exc:
            if not conn.connection.driver_connection.in_transaction:  # type: ignore[union-attr]  # pysqlite's connection
                raise
            return (False, exc)
        if session.new or session.dirty or session.deleted:
            raise OneStatementBroken("ORM changes in a one-statement unit: its statement cannot be undone alone")
        return (True, value)
    finally:
        conn.execution_options(**{ONE_STATEMENT: None})
        session.close()  # rollback_only: leaves the batch's transaction alone


def alone(engine: Engine, fn: Unit, one_statement: bool = False) -> tuple[bool, Any]:
    """A batch of one unit needs no savepoint: the unit is the transaction (rolled back if it raises). On
    PostgreSQL's autocommit engine (``one_statement``) BEGIN and COMMIT send nothing: the statement is the
    transaction."""
    with engine.connect() as conn:
        transaction = conn.begin()
        session = Session(bind=conn, expire_on_commit=False, join_transaction_mode="rollback_only")
        if one_statement:
            conn.execution_options(**{ONE_STATEMENT: [0]})  # in place; the connection ends with the unit
        try:
            value = fn(session)
            session.commit()  # flushes; the transaction is committed below
        except BaseException as exc:
            session.rollback()
            session.close()
            if transaction.is_active:
                transaction.rollback()
            if not isinstance(exc, Exception):
                raise
            return (False, exc)
        session.close()
        transaction.commit()  # a failing commit raises: the caller fails the batch, as for a larger one
        return (True, value)
