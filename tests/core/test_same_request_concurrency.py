"""The "same request" rule under concurrency: two exchanges of one request, processed at the same moment by
different workers in different processes, become one hulpvraag holding the bijlagen of both — on SQLite and
on PostgreSQL (where the outcome's transaction takes the request's advisory lock)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from gateway.components import Components
from gateway.store.models import Bijlage, Exchange, Hulpvraag
from tests.conftest import unique
from tests.support.fakes import new_exchange
from tests.support.worker_processes import count, start_worker_process

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

PAIRS = 100  # pupils with two exchanges for the same request
ESIS_PAIRS = 20  # ESIS requests with two exchanges carrying the same request key
PROCESSES, WORKERS = 2, 4  # 8 workers in 2 processes


async def test_two_exchanges_of_one_request_in_two_processes_make_one_hulpvraag_with_every_bijlage(
    any_components: Components,
) -> None:
    c = any_components
    run = unique("race-")
    expected: dict[str, set[str]] = {}  # exchange key → the request it belongs to
    for i in range(PAIRS):  # the two exchanges of a pair are adjacent: claimed at the same moment
        for side in ("a", "b"):
            key = f"{run}-{i}-{side}"
            await c.inbox.put(new_exchange(key, leerlingid=f"{run}-LL-{i}", pause=0.02))
            expected[key] = {f"pupil-{i}"}
    for i in range(ESIS_PAIRS):
        for side in ("a", "b"):
            key = f"{run}-esis-{i}-{side}"
            await c.inbox.put(
                new_exchange(key, leerlingid=f"{run}-E-{i}-{side}", esis_request_key=f"{run}:{i}", pause=0.02)
            )
            expected[key] = {f"esis-{i}"}
    total = 2 * (PAIRS + ESIS_PAIRS)
    procs = [start_worker_process(c, WORKERS) for _ in range(PROCESSES)]
    try:
        for _ in range(1200):
            done = await count(c, select(func.count()).select_from(Exchange).where(col(Exchange.state) == "verwerkt"))
            if done == total:
                break
            await asyncio.sleep(0.1)
    finally:
        for p in procs:
            p.kill()
            p.wait()
    assert done == total
    async with c.db.reader() as s:
        exchanges = (await s.exec(select(Exchange.key, Exchange.hulpvraag_id))).all()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        bijlagen = (await s.exec(select(Bijlage.hulpvraag_id, Bijlage.sha256))).all()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    hulpvraag_of = {str(k): int(h) for k, h in exchanges}
    per_request: dict[str, set[int]] = {}
    for key, hid in hulpvraag_of.items():
        per_request.setdefault(next(iter(expected[key])), set()).add(hid)
    duplicates = {r: ids for r, ids in per_request.items() if len(ids) != 1}
    assert duplicates == {}, f"{len(duplicates)} requests became more than one hulpvraag"
    assert await count(c, select(func.count()).select_from(Hulpvraag)) == PAIRS + ESIS_PAIRS
    # every exchange's two documents are in its request's hulpvraag, each once
    assert len(bijlagen) == 2 * total
    assert Counter((int(h), str(sha)) for h, sha in bijlagen).most_common(1)[0][1] == 1
    per_hulpvraag = Counter(int(h) for h, _ in bijlagen)
    assert set(per_hulpvraag.values()) == {4}
