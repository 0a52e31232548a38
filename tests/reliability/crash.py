"""The crash scenario over the real OSO-SWV HTTP path: one or two `gateway serve` processes (SQLite or one
PostgreSQL, one blob folder), a ParnasSys sender with many exchanges in flight, SIGKILL at random moments,
restart — then: every acknowledged exchange became exactly one hulpvraag, every bijlage hashes to what the
school sent, every session was closed with an afmelding.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from gateway.inbox.inbox import ACTIVE_STATES
from gateway.store.blobs import LocalBlobStore
from gateway.store.db import Database
from gateway.store.models import Exchange, OutboxMessage
from tests.reliability.harness import (
    GatewayProcess,
    StoreReport,
    free_port,
    prepare_store,
    start_faulty_world,
    store_report,
    write_toml,
)
from tests.reliability.sender import NotificatieSender

__all__ = ["CrashConfig", "CrashReport", "run_crash"]


@dataclass(frozen=True)
class CrashConfig:
    database_url: str | None = None  # None: SQLite (WAL) in the work directory
    processes: int = 1
    exchanges: int = 300
    kills: int = 5
    concurrency: int = 16  # notificaties in flight
    workers: int = 4  # exchange workers per process
    seed: int = 5
    kill_jitter: float = 0.3  # a kill lands up to this many seconds after its progress point
    kill_after: tuple[float, float] | None = None  # also wait this long (uniform) after each restart
    lease_seconds: float = 3.0
    drain_timeout: float = 120.0


@dataclass
class CrashReport:
    config: CrashConfig
    acknowledged: int = 0
    notificatie_calls: int = 0
    resent: int = 0
    sender_errors: dict[str, int] = field(default_factory=dict)
    kills: int = 0
    kills_mid_run: int = 0
    lost: list[str] = field(default_factory=list)  # acknowledged, but no processed exchange
    doubled: int = 0  # hulpvragen beyond one per acknowledged exchange
    bijlagen_wrong: list[str] = field(default_factory=list)  # koppelsleutels whose bijlagen differ
    afmeldingen_missing: list[str] = field(default_factory=list)
    tc_sessions: int = 0  # sessions opened at the Traffic Center (overdracht)
    tc_sessions_open: int = 0  # of those, never closed with an afmelding
    store: StoreReport | None = None
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        s = self.store
        return {
            "database": "postgresql" if self.config.database_url else "sqlite",
            "processes": self.config.processes,
            "exchanges": self.config.exchanges,
            "acknowledged": self.acknowledged,
            "notificatie_calls": self.notificatie_calls,
            "resent": self.resent,
            "sender_errors": self.sender_errors,
            "kills": self.kills,
            "kills_mid_run": self.kills_mid_run,
            "hulpvragen": s.hulpvragen if s else None,
            "exchanges_per_state": dict(s.exchanges) if s else None,
            "bijlagen": s.bijlagen if s else None,
            "bijlagen_bad_hash": len(s.bijlagen_bad_hash) if s else None,
            "lost": len(self.lost),
            "doubled": self.doubled,
            "bijlagen_wrong": len(self.bijlagen_wrong),
            "afmeldingen_missing": len(self.afmeldingen_missing),
            "tc_sessions": self.tc_sessions,
            "tc_sessions_left_open": self.tc_sessions_open,
            "outbox": dict(s.outbox) if s else None,
            "seconds": round(self.seconds, 1),
        }


async def _count_verwerkt(db: Database) -> int:
    async with db.reader() as s:
        stmt = select(func.count()).select_from(Exchange).where(Exchange.state == "verwerkt")
        return int((await s.exec(stmt)).one()[0])  # type: ignore[call-overload]


async def _active(db: Database) -> int:
    async with db.reader() as s:
        stmt = select(func.count()).select_from(Exchange).where(Exchange.state.in_(ACTIVE_STATES))  # type: ignore[attr-defined]
        return int((await s.exec(stmt)).one()[0])  # type: ignore[call-overload]


async def _outbox_waiting(db: Database) -> int:
    async with db.reader() as s:
        stmt = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "wachtend")
        return int((await s.exec(stmt)).one()[0])  # type: ignore[call-overload]


def _kill_points(rng: random.Random, total: int, kills: int) -> list[int]:
    """Random moments, spread over the run: kill k lands when a random number of notificaties in the k-th
    slice of 5 %–85 % of the run was acknowledged (plus a random jitter)."""
    width = 0.8 / max(1, kills)
    return [int(total * rng.uniform(0.05 + k * width, 0.05 + (k + 1) * width)) for k in range(kills)]


async def run_crash(cfg: CrashConfig, work: Path) -> CrashReport:
    report = CrashReport(cfg)
    rng = random.Random(cfg.seed)
    data = work / "data"
    blob_dir = data / "blobs"
    blob_dir.mkdir(parents=True, exist_ok=True)
    url = cfg.database_url or f"sqlite+aiosqlite:///{(data / 'gateway.db').resolve()}"
    world = await start_faulty_world(work / "world")
    db = Database(url)
    gateways: list[GatewayProcess] = []
    started = time.perf_counter()
    try:
        await prepare_store(url)
        tls = world.world.tls_settings()
        for n in range(cfg.processes):
            config = write_toml(
                work / f"gateway-{n}.toml",
                {
                    "data_dir": data,
                    "database_url": url,
                    "blob_dir": blob_dir,
                    "workers": cfg.workers,
                    "poll_interval": 0.05,
                    "lease_seconds": cfg.lease_seconds,
                    "retry_base_seconds": 0.2,
                    "retry_max_seconds": 1.0,
                    "log_format": "json",
                    "log_level": "warning",
                    **{k: str(v) for k, v in tls.items()},
                },
                world.sections(),
            )
            gateways.append(GatewayProcess(config, free_port(), tls["tls_client_ca"], work / f"gateway-{n}.log"))
        await asyncio.gather(*(g.start() for g in gateways))
        sender = NotificatieSender(world.world, [g.oso_url for g in gateways], concurrency=cfg.concurrency)
        sending = asyncio.create_task(sender.run(cfg.exchanges))
        for target in _kill_points(rng, cfg.exchanges, cfg.kills):
            if cfg.kill_after is not None:
                await asyncio.sleep(rng.uniform(*cfg.kill_after))
            while len(sender.acknowledged) < target and not sending.done():  # noqa: ASYNC110 - polls progress
                await asyncio.sleep(0.02)
            await asyncio.sleep(rng.uniform(0.0, cfg.kill_jitter))
            victim = rng.choice(gateways)
            victim.kill()
            report.kills += 1
            if not sending.done() or await _count_verwerkt(db) < cfg.exchanges:
                report.kills_mid_run += 1
            await victim.start()
        await sending
        deadline = time.perf_counter() + cfg.drain_timeout
        while time.perf_counter() < deadline:
            if await _active(db) == 0 and await _outbox_waiting(db) == 0:
                break  # nothing left to do (a refused or held exchange shows up in the checks)
            await asyncio.sleep(0.2)
        report.seconds = time.perf_counter() - started
        store = await store_report(db, LocalBlobStore(blob_dir))
        report.store = store
        report.acknowledged = len(sender.acknowledged)
        report.notificatie_calls = sum(sender.sends.values())
        report.resent = sender.resent
        report.sender_errors = dict(sender.errors)
        afmeldingen = world.world.tc.afmeldingen()
        report.tc_sessions = len(world.world.tc.sessies)
        report.tc_sessions_open = sum(1 for x in world.world.tc.sessies.values() if not x.afgemeld)
        for k in sender.acknowledged:
            hid = store.hulpvraag_per_koppelsleutel.get(k)
            if hid is None:
                report.lost.append(k)
            elif store.per_koppelsleutel.get(k) != sender.expected[k]:
                report.bijlagen_wrong.append(k)
            if afmeldingen.get(k) != "OverdrachtGeslaagd":
                report.afmeldingen_missing.append(k)
        report.doubled = max(0, store.hulpvragen - len(sender.acknowledged)) + max(
            0, len(sender.acknowledged) - store.distinct_hulpvragen_of_exchanges - len(report.lost)
        )
        return report
    finally:
        for g in gateways:
            g.stop()
        await db.dispose()
        await world.stop()
