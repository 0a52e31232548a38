"""A unit of work with ``prepare`` phases (`Database.run`; the ESIS intake's documents linked and made durable):
the phases run before the unit's transaction begins, phase by phase across the units that go together (so the
last phase of each — one ``syncfs`` — finds the others' blobs already on disk), and a unit whose phase raises is
not run: its caller gets the exception, the others are committed."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlmodel import Session

from gateway.components import Components
from gateway.store.db import Database
from tests.conftest import unique
from tests.support.fakes import new_exchange

_BY_KEY = text("select 1 from exchange where key = :k")


async def _stored(c: Components, key: str) -> bool:
    return await c.db.read(lambda s: s.connection().execute(_BY_KEY, {"k": key}).first()) is not None


async def test_the_phases_run_before_the_unit_phase_by_phase_across_units(any_components: Components) -> None:
    c = any_components
    done: list[str] = []
    keys = [unique("p-") for _ in range(3)]

    async def put(i: int, key: str) -> None:
        def phase(n: int) -> None:
            done.append(f"{n}:{i}")

        await c.inbox.put(new_exchange(key), prepare=(lambda: phase(1), lambda: phase(2)))

    await asyncio.gather(*(put(i, k) for i, k in enumerate(keys)))
    assert all([await _stored(c, k) for k in keys])
    assert sorted(done) == sorted(f"{n}:{i}" for n in (1, 2) for i in range(3))
    for i in range(3):
        assert done.index(f"1:{i}") < done.index(f"2:{i}")
    if c.db.is_sqlite:  # one batch: every unit's first phase before any unit's second
        assert max(done.index(f"1:{i}") for i in range(3)) < min(done.index(f"2:{i}") for i in range(3))


async def test_a_unit_whose_phase_fails_is_not_run_and_the_others_are_committed(any_components: Components) -> None:
    c = any_components
    bad, good = unique("bad-"), [unique("ok-") for _ in range(3)]
    later: list[str] = []

    def fail() -> None:
        raise OSError(5, "de bijlagen konden niet veilig op schijf worden vastgelegd")

    results = await asyncio.gather(
        c.inbox.put(new_exchange(bad), prepare=(fail, lambda: later.append(bad))),
        *(c.inbox.put(new_exchange(k), prepare=(lambda: None,)) for k in good),
        return_exceptions=True,
    )
    assert isinstance(results[0], OSError)
    assert later == []  # a failed phase ends that unit's preparation
    assert not await _stored(c, bad)
    assert all([await _stored(c, k) for k in good])


async def test_units_with_and_without_phases_in_one_batch_all_commit(tmp_path: object) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/g.db")
    try:
        await db.run(lambda s: s.connection().exec_driver_sql("create table t (v text)"))

        def wait_a_little() -> None:
            time.sleep(0.05)  # in the writer thread, before the transaction

        def insert(v: str) -> Callable[[Session], object]:
            return lambda s: s.connection().exec_driver_sql("insert into t values (?)", (v,))

        await asyncio.gather(
            db.run(insert("prepared"), prepare=(wait_a_little,)),
            *(db.run(insert(f"plain-{i}")) for i in range(5)),
        )
        rows = await db.read(lambda s: sorted(r[0] for r in s.connection().exec_driver_sql("select v from t")))
        assert rows == ["plain-0", "plain-1", "plain-2", "plain-3", "plain-4", "prepared"]
    finally:
        await db.dispose()


@pytest.mark.parametrize("phases", [0, 1, 2])
async def test_a_unit_returns_its_value_whatever_its_phases(components: Components, phases: int) -> None:
    c = components
    ran: list[int] = []
    value = await c.db.run(lambda s: 42, prepare=tuple(functools.partial(ran.append, n) for n in range(phases)))
    assert value == 42 and ran == list(range(phases))
