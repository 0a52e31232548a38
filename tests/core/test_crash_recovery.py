"""kill -9 mid-batch: every acknowledged exchange is processed exactly once after restarts."""

from __future__ import annotations

import asyncio
import random
import signal

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from gateway.components import Components
from gateway.store.models import Bijlage, Exchange, Hulpvraag
from tests.conftest import unique
from tests.support.fakes import new_exchange
from tests.support.worker_processes import count, start_worker_process

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("kills", [5])
async def test_killing_the_worker_process_loses_and_doubles_nothing(any_components: Components, kills: int) -> None:
    c = any_components
    total = 300
    keys = [unique("crash-") for _ in range(total)]
    for i, key in enumerate(keys):
        await c.inbox.put(new_exchange(key, leerlingid=f"LL-{i}"))
    rng = random.Random(7)
    mid_batch = 0
    for _ in range(kills):
        proc = start_worker_process(c)
        await asyncio.sleep(rng.uniform(0.1, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        done = await count(c, select(func.count()).select_from(Exchange).where(col(Exchange.state) == "verwerkt"))
        mid_batch += 0 < done < total
    assert mid_batch >= 3, "the kills must land while the batch is being processed"
    proc = start_worker_process(c)
    try:
        for _ in range(600):
            done = await count(c, select(func.count()).select_from(Exchange).where(col(Exchange.state) == "verwerkt"))
            if done == total:
                break
            await asyncio.sleep(0.1)
    finally:
        proc.kill()
        proc.wait()
    assert done == total, await _states(c)
    assert await count(c, select(func.count()).select_from(Hulpvraag)) == total
    assert await count(c, select(func.count(func.distinct(Exchange.hulpvraag_id)))) == total
    assert await count(c, select(func.count()).select_from(Bijlage)) == 2 * total
    for b in await _rows(c):
        assert c.blobs.exists(b.blob_key)


async def _rows(c: Components) -> list[Bijlage]:
    async with c.db.reader() as s:
        return list((await s.exec(select(Bijlage))).scalars().all())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def _states(c: Components) -> list[tuple[str, int, str | None, object]]:
    async with c.db.reader() as s:
        rows = (await s.exec(select(Exchange).where(col(Exchange.state) != "verwerkt"))).scalars().all()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    return [(r.state, r.attempts, r.last_error, r.findings) for r in rows][:5]
