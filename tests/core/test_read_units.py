"""Read units (`Database.read`): a synchronous function with all its statements in one read-only transaction
— on SQLite in a reader thread with its own connection, on PostgreSQL in a reader session — and the intake's
look-ups built on them (the duplicate check, the catalogue)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, update
from sqlmodel import Session, col

from gateway.components import Components
from gateway.pipeline.ports.catalogue import aanvraagtypes_of, clear_catalogue_cache
from gateway.pipeline.ports.exchanges import seen_exchange
from gateway.store.models import Exchange
from tests.conftest import unique
from tests.support.db_calls import units_of
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
        s.execute(update(Exchange).where(col(Exchange.key) == key).values(step="gewijzigd"))
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


async def test_the_duplicate_check_reads_the_first_requests_content_hash(any_components: Components) -> None:
    c = any_components
    key, plain = unique("esis-"), unique("esis-")
    first = await c.inbox.put(new_exchange(key, inhoud_sha256="ab" * 32))
    await c.inbox.put(new_exchange(plain))
    seen = await seen_exchange(c.db, key)
    assert seen is not None and (seen.id, seen.state, seen.content_sha256) == (
        first.exchange_id,
        "ontvangen",
        "ab" * 32,
    )
    assert seen.correlation_id == first.correlation_id
    without = await seen_exchange(c.db, plain)
    assert without is not None and without.content_sha256 is None  # no hash stored: never equal to a request's
    assert await seen_exchange(c.db, unique("esis-")) is None


async def test_a_cached_catalogue_answers_the_intake_without_a_database_read(
    any_components: Components, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = any_components
    clear_catalogue_cache()
    reads = units_of(c.db, monkeypatch, "read")
    first = await aanvraagtypes_of(c.db, c.settings.swv_code)
    assert first and await aanvraagtypes_of(c.db, c.settings.swv_code) == first
    assert len(reads) == 1
    clear_catalogue_cache()  # or the TTL passed: read again
    assert await aanvraagtypes_of(c.db, c.settings.swv_code) == first and len(reads) == 2


async def test_an_unknown_swv_has_no_catalogue_and_is_not_remembered(
    any_components: Components, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = any_components
    clear_catalogue_cache()
    reads = units_of(c.db, monkeypatch, "read")
    assert await aanvraagtypes_of(c.db, "PO9999") == [] and await aanvraagtypes_of(c.db, "PO9999") == []
    assert len(reads) == 2
