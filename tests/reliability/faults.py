"""The fault scenario: one outside system (Traffic Center, the school's LAS, the OSR) goes down, answers
slowly, answers 503 or resets connections for a while; notificaties keep arriving over HTTPS. Expected:
every notificatie is acknowledged, the exchanges wait in the queue saying for whom and when the next attempt
is, `/metrics` shows the backlog, and after recovery everything drains — no exchange lost or doubled.

Whether an exchange waited, and for whom, is read from what the gateway recorded (each exchange's timeline:
a ``wacht_op_herhaling`` step per failed attempt saying whom it waits for), not from catching it in the act;
and the fault lasts until every acknowledged exchange has recorded such a wait (at least ``outage_seconds``,
at most ``outage_cap_seconds``), so a slow sender on a loaded machine cannot let the outage end before the
exchanges ever met it.

The gateway runs in this process (`create_app` with its workers, HTTPS with client certificates); the
simulators run here too, behind `FaultProxy`s (see `harness.start_faulty_world`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from gateway.store.models import Exchange, OutboxMessage
from gateway.store.types import utcnow
from gateway.web.pages.texts import WAITING_FOR
from tests.reliability.faultproxy import FaultProxy
from tests.reliability.harness import (
    FaultyWorld,
    InProcessGateway,
    parse_metrics,
    running_gateway,
    start_faulty_world,
    store_report,
)
from tests.reliability.sender import NotificatieSender

__all__ = ["FaultConfig", "FaultReport", "parse_metrics", "run_fault"]


@dataclass(frozen=True)
class FaultConfig:
    system: str  # traffic_center | las | osr
    mode: str  # down | slow | 503 | reset
    exchanges: int = 6
    outage_seconds: float = 3.0
    only: bytes | None = None  # fault only requests containing this (e.g. b"afmeldingRequest")
    retry_after: int | None = None  # Retry-After sent with "503"
    retry_base_seconds: float = 0.2
    retry_max_seconds: float = 1.0
    call_timeout: float = 0.5  # [oso] read/connect timeout and [osr] total timeout
    slow_seconds: float = 1.5  # "slow" answers after this long (> call_timeout: the call times out)
    database_url: str | None = None
    drain_timeout: float = 60.0
    workers: int = 4
    outage_cap_seconds: float = 30.0  # the fault lasts until every exchange recorded a wait, up to this long


@dataclass
class FaultReport:
    config: FaultConfig
    acknowledged: int = 0
    sender_errors: dict[str, int] = field(default_factory=dict)
    waiting_seen: int = 0  # most exchanges seen waiting for the faulty system at once
    waited: set[int] = field(default_factory=set)  # every exchange whose timeline records a wait for it
    waiting_for_seen: set[str] = field(default_factory=set)  # whom the timelines say exchanges waited for
    max_attempts_during: int = 0  # most attempts of one exchange during the fault (seen, or failed per timeline)
    outage_seconds: float = 0.0  # how long the fault lasted
    next_attempt_delays: list[float] = field(default_factory=list)  # seconds, as announced in the queue
    queue_messages: list[str] = field(default_factory=list)  # e.g. "Wacht op het Traffic Center; volgende …"
    metrics_during: dict[str, float] = field(default_factory=dict)
    metrics_after: dict[str, float] = field(default_factory=dict)
    outbox_retrying_seen: int = 0
    proxy_counts: dict[str, int] = field(default_factory=dict)
    drain_seconds: float | None = None  # recovery → everything verwerkt and every afmelding delivered
    verwerkt: int = 0
    hulpvragen: int = 0
    lost: int = 0
    doubled: int = 0
    bijlagen_wrong: int = 0
    afmeldingen: int = 0

    def summary(self) -> dict[str, Any]:
        c = self.config
        d = sorted(self.next_attempt_delays)
        return {
            "system": c.system + (f" ({c.only.decode()} only)" if c.only else ""),
            "mode": c.mode,
            "outage_s": round(self.outage_seconds, 1),
            "exchanges": c.exchanges,
            "acknowledged": self.acknowledged,
            "waiting_at_once": self.waiting_seen,
            "waited": len(self.waited),
            "waiting_for": sorted(self.waiting_for_seen),
            "max_attempts_during_outage": self.max_attempts_during,
            "next_attempt_delay_s": [round(d[0], 2), round(d[-1], 2)] if d else None,
            "outbox_retrying_seen": self.outbox_retrying_seen,
            "drain_s": None if self.drain_seconds is None else round(self.drain_seconds, 1),
            "verwerkt": self.verwerkt,
            "hulpvragen": self.hulpvragen,
            "afmeldingen": self.afmeldingen,
            "lost": self.lost,
            "doubled": self.doubled,
            "bijlagen_wrong": self.bijlagen_wrong,
            "proxy": self.proxy_counts,
        }


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


async def _observe(db: Any, system: str, report: FaultReport, seen: dict[int, dt.datetime]) -> None:
    now = utcnow()
    async with db.reader() as s:
        rows = (
            await s.exec(
                select(
                    col(Exchange.id),
                    col(Exchange.state),
                    col(Exchange.waiting_for),
                    col(Exchange.attempts),
                    col(Exchange.next_attempt_at),
                )
            )
        ).all()
        retrying = (
            await s.exec(
                select(col(OutboxMessage.id)).where(
                    col(OutboxMessage.state) == "wachtend", col(OutboxMessage.attempts) > 0
                )
            )
        ).all()
    report.outbox_retrying_seen = max(report.outbox_retrying_seen, len(retrying))
    waiting = 0
    for ex_id, state, waiting_for, attempts, next_at in rows:
        report.max_attempts_during = max(report.max_attempts_during, int(attempts))
        if state != "wacht_op_herhaling":
            continue
        if waiting_for == system:
            waiting += 1
        next_at = _aware(next_at)
        if seen.get(ex_id) != next_at:  # a new retry was scheduled since the last look
            seen[ex_id] = next_at
            report.next_attempt_delays.append(max(0.0, (next_at - now).total_seconds()))
    report.waiting_seen = max(report.waiting_seen, waiting)


async def run_fault(cfg: FaultConfig, work: Path) -> FaultReport:
    report = FaultReport(cfg)
    world = await start_faulty_world(work / "world")
    proxy = world.proxies()[cfg.system]
    try:
        async with running_gateway(
            world,
            work,
            database_url=cfg.database_url,
            workers=cfg.workers,
            retry_base_seconds=cfg.retry_base_seconds,
            retry_max_seconds=cfg.retry_max_seconds,
            call_timeout=cfg.call_timeout,
        ) as gw:
            return await _scenario(cfg, report, world, proxy, gw)
    finally:
        await world.stop()


async def _scenario(
    cfg: FaultConfig, report: FaultReport, world: FaultyWorld, proxy: FaultProxy, gw: InProcessGateway
) -> FaultReport:
    c, base, metrics = gw.c, gw.base, gw.metrics
    mode = f"slow:{cfg.slow_seconds}" if cfg.mode == "slow" else cfg.mode
    await proxy.set(mode, only=cfg.only, retry_after=cfg.retry_after)
    fault_started = time.perf_counter()
    sender = NotificatieSender(world.world, [base + "/oso/swv"], concurrency=cfg.exchanges)
    await sender.run(cfg.exchanges, give_up_after=30.0)
    report.acknowledged = len(sender.acknowledged)
    report.sender_errors = dict(sender.errors)
    seen: dict[int, dt.datetime] = {}
    while (elapsed := time.perf_counter() - fault_started) < cfg.outage_cap_seconds:
        await _observe(c.db, cfg.system, report, seen)
        m = await metrics()  # keep the scrape that shows the biggest backlog
        if _backlog(m, cfg.system) >= _backlog(report.metrics_during, cfg.system):
            report.metrics_during = m
        if elapsed >= cfg.outage_seconds and (cfg.only is not None or await _all_waited(c.db, cfg.system, report)):
            break
        await asyncio.sleep(0.05)
    report.queue_messages = await _queue_messages(c.db)
    await proxy.set("ok")
    report.outage_seconds = time.perf_counter() - fault_started
    recovered = time.perf_counter()
    while time.perf_counter() - recovered < cfg.drain_timeout:
        st = await store_report(c.db, c.blobs, hash_blobs=False)
        if st.verwerkt >= report.acknowledged and st.outbox.get("wachtend", 0) == 0:
            report.drain_seconds = time.perf_counter() - recovered
            break
        await asyncio.sleep(0.05)
    report.metrics_after = await metrics()
    await _recorded_waits(c.db, cfg.system, report)  # calls in flight when the fault ended count too
    st = await store_report(c.db, c.blobs)
    report.verwerkt, report.hulpvragen = st.verwerkt, st.hulpvragen
    report.lost = sum(1 for k in sender.acknowledged if st.hulpvraag_per_koppelsleutel.get(k) is None)
    report.doubled = max(0, st.hulpvragen - report.acknowledged)
    report.bijlagen_wrong = sum(
        1 for k in sender.acknowledged if st.per_koppelsleutel.get(k) != sender.expected[k]
    ) + len(st.bijlagen_bad_hash)
    afm = world.world.tc.afmeldingen()
    report.afmeldingen = sum(1 for k in sender.acknowledged if afm.get(k) == "OverdrachtGeslaagd")
    report.proxy_counts = dict(Counter(proxy.counts))
    return report


_WHO = {label: system for system, label in WAITING_FOR.items()}  # "Wacht op het OSR" → "osr"


async def _recorded_waits(db: Any, system: str, report: FaultReport) -> None:
    """``waited`` and ``waiting_for_seen`` from the timelines: one ``wacht_op_herhaling`` step per failed
    attempt, its message saying whom the exchange waits for ("Wacht op het LAS van de school; volgende
    poging om …"; "Tijdelijke fout; …" when it is no outside system)."""
    from gateway.store.models import ExchangeEvent

    async with db.reader() as s:
        rows = (
            await s.exec(
                select(col(ExchangeEvent.exchange_id), col(ExchangeEvent.message)).where(
                    col(ExchangeEvent.step) == "wacht_op_herhaling"
                )
            )
        ).all()
    failures: Counter[int] = Counter()
    for ex_id, message in rows:
        who = str(message).split(";", 1)[0]
        report.waiting_for_seen.add(_WHO.get(who, who))
        if _WHO.get(who) == system:
            report.waited.add(int(ex_id))
            failures[int(ex_id)] += 1
    report.max_attempts_during = max([report.max_attempts_during, *failures.values()])


async def _all_waited(db: Any, system: str, report: FaultReport) -> bool:
    """Has every acknowledged exchange recorded a wait for ``system`` (so the fault has been met)?"""
    probe = FaultReport(report.config)
    await _recorded_waits(db, system, probe)
    return len(probe.waited) >= report.acknowledged


def _backlog(m: dict[str, float], system: str) -> float:
    return m.get(f'gateway_exchange_queue{{state="wacht_op_herhaling",waiting_for="{system}"}}', 0.0) + sum(
        v for k, v in m.items() if k.startswith("gateway_outbox_retrying")
    )


async def _queue_messages(db: Any) -> list[str]:
    """What the queue says about each waiting exchange (its last timeline message)."""
    from gateway.store.models import ExchangeEvent

    async with db.reader() as s:
        rows = (
            await s.exec(
                select(col(ExchangeEvent.exchange_id), col(ExchangeEvent.message)).order_by(col(ExchangeEvent.id))
            )
        ).all()
    last: dict[int, str] = {}
    for ex_id, message in rows:
        last[int(ex_id)] = str(message)
    return sorted(set(last.values()))
