"""One school's LAS hanging must not stop the processing of other schools' requests (bulkheads)."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.store.models import Exchange
from tests.reliability.faultproxy import FaultProxy
from tests.reliability.harness import running_gateway, start_faulty_world
from tests.reliability.sender import NotificatieSender

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]

OTHER_KENMERK = "0000000700014SS00501"  # vestiging 14SS01: its own LAS endpoint in the OSR


async def _state(db: object, koppelsleutel: str) -> str | None:
    async with db.reader() as s:  # type: ignore[attr-defined]
        return (await s.exec(select(Exchange.state).where(Exchange.key == f"oso:{koppelsleutel}"))).scalars().first()


@pytest.mark.parametrize(
    "hanging",
    [
        False,
        pytest.param(
            True,
            marks=pytest.mark.xfail(
                strict=True,
                reason="gateway/inbox/worker.py: every worker waits on the hanging LAS ([oso] read_timeout x "
                "retry_attempts per exchange); no per-endpoint limit or circuit breaker, so other schools wait",
            ),
        ),
    ],
)
async def test_a_hanging_las_of_one_vestiging_does_not_hold_up_another(tmp_path: Path, hanging: bool) -> None:
    fw = await start_faulty_world(tmp_path / "world")
    other = FaultProxy(fw.las.upstream, name="LAS 14SS01")
    await other.start()
    fw.world.osr.endpoints[:] = [
        dataclasses.replace(e, url=other.url + "/oso/las") if e.routing_id == OTHER_KENMERK else e
        for e in fw.world.osr.endpoints
    ]
    try:
        async with running_gateway(fw, tmp_path, workers=4, call_timeout=20.0) as gw:
            url = [gw.base + "/oso/swv"]
            if hanging:
                await fw.las.set("slow:30")
            await NotificatieSender(fw.world, url, concurrency=4).run(4)  # 14SS00: as many as there are workers
            for _ in range(200):
                if fw.las.counts["slow" if hanging else "ok"] >= 4:
                    break
                await asyncio.sleep(0.05)
            b = NotificatieSender(fw.world, url, concurrency=1, kenmerk=OTHER_KENMERK, vestigingscode="01")
            await b.run(1, start=100)
            (koppelsleutel,) = b.acknowledged
            for _ in range(100):  # 5 s: far less than the hanging LAS's 20 s timeout
                if await _state(gw.c.db, koppelsleutel) == "verwerkt":
                    break
                await asyncio.sleep(0.05)
            assert await _state(gw.c.db, koppelsleutel) == "verwerkt"
    finally:
        await other.stop()
        await fw.stop()
