"""Many exchanges of one school at once, the OSR cache cold, two workers' answers stored at the same moment:
the `mandaat` bookkeeping must not turn into an unexpected error for an exchange (PostgreSQL, where writers
really run concurrently)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from gateway.store.models import Exchange, ExchangeEvent
from tests.reliability.harness import running_gateway, start_faulty_world
from tests.reliability.sender import NotificatieSender

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]
N = 8


async def test_simultaneous_first_exchanges_of_a_school_each_succeed_at_the_first_attempt(
    tmp_path: Path, postgres_url: str
) -> None:
    fw = await start_faulty_world(tmp_path / "world")
    try:
        async with running_gateway(fw, tmp_path, database_url=postgres_url, workers=N, call_timeout=20.0) as gw:
            await fw.osr.set("slow:30")  # hold every OSR answer, then release them all at once
            await NotificatieSender(fw.world, [gw.base + "/oso/swv"], concurrency=N).run(N)
            for _ in range(200):
                if fw.osr.counts["slow"] >= N:
                    break
                await asyncio.sleep(0.05)
            await fw.osr.set("ok")
            for _ in range(200):
                async with gw.c.db.reader() as s:
                    states = (await s.exec(select(Exchange.state, Exchange.attempts))).all()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                if len(states) == N and all(st == "verwerkt" for st, _ in states):
                    break
                await asyncio.sleep(0.05)
            async with gw.c.db.reader() as s:
                messages = (await s.exec(select(col(ExchangeEvent.message)))).scalars().all()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        assert [st for st, _ in states] == ["verwerkt"] * N
        assert not [m for m in messages if m.startswith("Tijdelijke fout")], "no unexpected error on the way"
        assert [a for _, a in states] == [1] * N, "each exchange needed one attempt"
    finally:
        await fw.stop()
