"""The database-backed replay window: a MessageID is new once per window, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import func, select

from gateway.components import Components
from gateway.inbox.replay import DatabaseReplayGuard
from gateway.store.models import SeenMessage


def _in(seconds: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)


async def test_a_message_id_is_first_seen_once_within_its_window(any_components: Components) -> None:
    guard = DatabaseReplayGuard(any_components.db)
    assert await guard.first_seen("urn:uuid:1", _in(60)) is True
    assert await guard.first_seen("urn:uuid:1", _in(60)) is False
    assert await guard.first_seen("urn:uuid:2", _in(60)) is True


async def test_an_expired_message_id_is_new_again(any_components: Components) -> None:
    guard = DatabaseReplayGuard(any_components.db)
    assert await guard.first_seen("urn:uuid:old", _in(-1)) is True
    assert await guard.first_seen("urn:uuid:old", _in(60)) is True
    assert await guard.first_seen("urn:uuid:old", _in(60)) is False


async def test_concurrent_arrivals_of_one_id_let_exactly_one_in(any_components: Components) -> None:
    guards = [DatabaseReplayGuard(any_components.db) for _ in range(5)]
    results = await asyncio.gather(*(g.first_seen("urn:uuid:race", _in(60)) for g in guards))
    assert sorted(results) == [False, False, False, False, True]


async def test_expired_rows_are_pruned(any_components: Components) -> None:
    guard = DatabaseReplayGuard(any_components.db, prune_every=2)
    for i in range(3):
        await guard.first_seen(f"urn:uuid:gone-{i}", _in(-5))
    await guard.first_seen("urn:uuid:kept", _in(60))
    await guard.first_seen("urn:uuid:kept-2", _in(60))  # the third call prunes
    async with any_components.db.reader() as s:
        count = (await s.exec(select(func.count()).select_from(SeenMessage))).one()[0]  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert count == 2
    assert await guard.prune() == 0
