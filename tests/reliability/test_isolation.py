"""One school's LAS hanging must not stop the processing of other schools' requests (bulkheads).

The scenario: 4 workers; vestiging 14SS00's LAS hangs (every answer held 30 s, the gateway's read timeout is
20 s); as many 14SS00 notificaties as there are workers arrive and are all tried; then one notificatie of
vestiging 14SS01 — another LAS endpoint in the OSR — arrives. It must be processed while 14SS00's LAS hangs.

The figure in docs/reliability.md (how long 14SS01's exchange waited) comes from::

    .venv/bin/python -m tests.reliability.test_isolation --limit 120
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
import structlog
from sqlalchemy import select
from sqlmodel import col

from gateway.store.db import Database
from gateway.store.models import Exchange
from tests.reliability.faultproxy import FaultProxy
from tests.reliability.harness import running_gateway, start_faulty_world
from tests.reliability.sender import NotificatieSender

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]

OTHER_KENMERK = "0000000700014SS00501"  # vestiging 14SS01: its own LAS endpoint in the OSR
WORKERS = 4


async def _state(db: Database, koppelsleutel: str) -> str | None:
    async with db.reader() as s:
        return (
            (await s.exec(select(col(Exchange.state)).where(col(Exchange.key) == f"oso:{koppelsleutel}")))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            .scalars()
            .first()
        )


async def _all_tried(db: Database, koppelsleutels: list[str]) -> bool:
    keys = [f"oso:{k}" for k in koppelsleutels]
    async with db.reader() as s:
        attempts = (await s.exec(select(col(Exchange.attempts)).where(col(Exchange.key).in_(keys)))).scalars().all()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    return len(attempts) == len(keys) and all(a >= 1 for a in attempts)


async def other_school_wait(
    work: Path, *, hanging: bool, limit: float, extra: dict[str, Any] | None = None
) -> float | None:
    """Seconds from the acknowledgement of 14SS01's notificatie until its exchange is ``verwerkt`` (``None``:
    not within ``limit`` seconds), while 14SS00's LAS hangs (``hanging``) or answers normally. ``extra``: more
    ``[oso]`` settings (e.g. the guards switched off, for the figure without them)."""
    fw = await start_faulty_world(work / "world")
    if extra:
        plain = fw.sections

        def sections(oso: dict[str, Any] | None = None, osr: dict[str, Any] | None = None) -> dict[str, Any]:
            return plain({**(oso or {}), **extra}, osr)

        fw.sections = sections  # type: ignore[method-assign]  # the world's settings, with the extra [oso] keys
    other = FaultProxy(fw.las.upstream, name="LAS 14SS01")
    await other.start()
    fw.world.osr.endpoints[:] = [
        dataclasses.replace(e, url=other.url + "/oso/las") if e.routing_id == OTHER_KENMERK else e
        for e in fw.world.osr.endpoints
    ]
    try:
        async with running_gateway(fw, work, workers=WORKERS, call_timeout=20.0) as gw:
            url = [gw.base + "/oso/swv"]
            if hanging:
                await fw.las.set("slow:30")
            a = NotificatieSender(fw.world, url, concurrency=WORKERS)
            await a.run(WORKERS)  # 14SS00: as many as there are workers
            for _ in range(200):  # every one of them has been tried (and, before the bulkhead, holds a worker)
                if await _all_tried(gw.c.db, list(a.acknowledged)):
                    break
                await asyncio.sleep(0.05)
            b = NotificatieSender(fw.world, url, concurrency=1, kenmerk=OTHER_KENMERK, vestigingscode="01")
            await b.run(1, start=100)
            (koppelsleutel,) = b.acknowledged
            started = time.monotonic()
            while time.monotonic() - started < limit:
                if await _state(gw.c.db, koppelsleutel) == "verwerkt":
                    return time.monotonic() - started
                await asyncio.sleep(0.05)
            return None
    finally:
        await other.stop()
        await fw.stop()


@pytest.mark.parametrize("hanging", [False, True])
async def test_a_hanging_las_of_one_vestiging_does_not_hold_up_another(tmp_path: Path, hanging: bool) -> None:
    # 5 s: far less than the hanging LAS's 20 s read timeout (x 2 attempts) that held every worker before
    assert await other_school_wait(tmp_path, hanging=hanging, limit=5.0) is not None


def main() -> None:
    p = argparse.ArgumentParser(description="How long another vestiging's exchange waits while one LAS hangs.")
    p.add_argument("--limit", type=float, default=120.0, help="give up after this many seconds")
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--without-guards", action="store_true", help="no bulkhead, no circuit breaker (as before)")
    args = p.parse_args()
    off = {"las_max_concurrent": 0, "las_failure_threshold": 0, "traffic_center_failure_threshold": 0}
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    for hanging in (False, True):
        for run in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                waited = asyncio.run(
                    other_school_wait(
                        Path(tmp), hanging=hanging, limit=args.limit, extra=off if args.without_guards else None
                    )
                )
            shown = f"{waited:.2f} s" if waited is not None else f"> {args.limit:.0f} s"
            print(f"LAS 14SS00 {'hangs' if hanging else 'answers'} (run {run + 1}): 14SS01 verwerkt after {shown}")


if __name__ == "__main__":
    main()
