"""Read units (`Database.read`): a synchronous function with all its statements in one read-only transaction
— on SQLite in a reader thread with its own connection, on PostgreSQL in a reader session."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from gateway.components import Components
from gateway.store.models import Exchange
from tests.conftest import unique
from tests.support.fakes import new_exchange


async def test_a_read_unit_sees_what_was_committed_before_it(any_components: Components) -> None:
    c = any_components
    key = unique("r-")
    put = await c.inbox.put(new_exchange(key))

    def found(s: Session) -> tuple[int, str] | None:
        row = s.execute(select(col(Exchange.id), col(Exchange.state)).where(col(Exchange.key) == key)).first()
        return None if row is None else (int(row[0]), str(row[1]))

    assert await c.db.read(found) == (put.exchange_id, put.state)
    assert (
        await c.db.read(lambda s: s.execute(select(col(Exchange.id)).where(col(Exchange.key) == "nee")).first()) is None
    )


async def test_a_read_unit_never_commits_what_it_changed(any_components: Components) -> None:
    c = any_components
    key = unique("r-")
    await c.inbox.put(new_exchange(key))

    def tamper(s: Session) -> int:
        s.execute(update(Exchange).where(col(Exchange.key) == key).values(step="gewijzigd"))  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
        return 1

    assert await c.db.read(tamper) == 1  # the update ran inside the unit ...
    step = await c.db.read(lambda s: s.execute(select(col(Exchange.step)).where(col(Exchange.key) == key)).scalar())
    assert step == "ontvangen"  # ... and was rolled back with it


async def test_concurrent_read_units_and_writes_all_complete(any_components: Components) -> None:
    c = any_components
    keys = [unique("r-") for _ in range(12)]

    def count(s: Session) -> int:
        return int(s.execute(select(func.count()).select_from(Exchange)).scalar_one())

    results = await asyncio.gather(
        *(c.inbox.put(new_exchange(k)) for k in keys), *(c.db.read(count) for _ in range(12))
    )
    assert all(isinstance(n, int) for n in results[len(keys) :])
    assert await c.db.read(count) >= len(keys)
