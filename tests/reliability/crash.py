"""The crash scenario over the real OSO-SWV HTTP path: one or two `gateway serve` processes (SQLite or one
PostgreSQL, one blob folder), a ParnasSys sender with many exchanges in flight, SIGKILL at random moments —
each one landing while exchanges are ``in_behandeling`` — restart; then: every acknowledged exchange became
exactly one hulpvraag (or was refused), every bijlage hashes to what the school sent, and — from the Traffic
Center simulator's list of every call — every koppelsleutel had exactly one overdracht session and exactly
one afmelding with the resultaat that fits its end state, and no session is left open.

``mixed``: besides processed exchanges the run has held ones (a forbidden bijlage) that the secretariaat
then releases or refuses — from another process (this test process), after the gateways were killed and
restarted, with one more kill while the released ones are processed — and ones refused by the worker after
the acknowledgement (a dossier with a BSN).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from gateway.inbox.inbox import ACTIVE_STATES
from gateway.store.db import Database
from gateway.store.models import Exchange, OutboxMessage
from tests.reliability.harness import (
    GatewayProcess,
    StoreReport,
    first_death,
    free_port,
    prepare_store,
    start_faulty_world,
    store_report,
    write_toml,
)
from tests.reliability.leftovers import Leftovers, leftovers
from tests.reliability.sender import HELD, INVALID, OK, NotificatieSender
from tests.support.watchdog import watching

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
    mixed: bool = False  # also held (then released or refused) and refused-after-acknowledgement exchanges
    blobs: dict[str, Any] | None = None  # the gateways' [blobs] section (e.g. S3 with encryption); None: local
    esis: int = 0  # ESIS requests sent alongside the notificaties (to the same gateways, through the kills)
    # each process's role (docs/deploy.md, "Roles"); empty: every one "all". Schools and ESIS send only to the
    # processes that answer them; a "worker" with local blobs reads dossiers in its loop's thread
    roles: tuple[str, ...] = ()


def scenario(i: int) -> str:
    """The mixed run: 1 in 10 held (a forbidden bijlage), 1 in 10 refused by the worker after the ack."""
    return {3: HELD, 7: INVALID}.get(i % 10, OK)


# what ParnasSys must hear at the end, per end state
EXPECTED_RESULTAAT = {
    "verwerkt": "OverdrachtGeslaagd",
    "vrijgegeven": "OverdrachtGeslaagd",
    "ongeldig": "DossierOngeldig",
    "geweigerd_door_secretariaat": "AanvraagGeweigerd",
}


@dataclass
class CrashReport:
    config: CrashConfig
    acknowledged: int = 0
    notificatie_calls: int = 0
    resent: int = 0
    sender_errors: dict[str, int] = field(default_factory=dict)
    kills: int = 0
    kills_mid_run: int = 0
    kills_in_behandeling: int = 0  # kills that landed while at least one exchange was in_behandeling
    end_states: Counter[str] = field(default_factory=Counter)  # verwerkt, vrijgegeven, ongeldig, geweigerd_...
    # n overdracht sessions → koppelsleutels (every session the TC handed out, replaced ones included)
    sessions_per_koppelsleutel: Counter[int] = field(default_factory=Counter)
    afmeldingen_per_koppelsleutel: Counter[int] = field(default_factory=Counter)  # n afmeldingen → koppelsl.
    wrong_resultaat: list[str] = field(default_factory=list)  # koppelsleutels told something else
    expected_hulpvragen: int = 0
    esis_accepted: int = 0
    esis_errors: dict[str, int] = field(default_factory=dict)
    esis_lost: list[str] = field(default_factory=list)  # accepted, but no hulpvraag (or more than one)
    esis_bijlagen_wrong: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # acknowledged, but no processed exchange
    doubled: int = 0  # hulpvragen beyond one per acknowledged exchange
    bijlagen_wrong: list[str] = field(default_factory=list)  # koppelsleutels whose bijlagen differ
    afmeldingen_missing: list[str] = field(default_factory=list)
    tc_sessions: int = 0  # sessions opened at the Traffic Center (overdracht)
    tc_sessions_open: int = 0  # of those, neither closed with an afmelding nor replaced
    tc_sessions_replaced: int = 0  # replaced by a later overdracht (a kill between the TC's answer and our commit)
    store: StoreReport | None = None
    leftovers: Leftovers | None = None  # what stays readable once the sweep's grace period has passed
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
            "kills_in_behandeling": self.kills_in_behandeling,
            "end_states": dict(self.end_states),
            "sessions_per_koppelsleutel": dict(self.sessions_per_koppelsleutel),
            "afmeldingen_per_koppelsleutel": dict(self.afmeldingen_per_koppelsleutel),
            "wrong_resultaat": len(self.wrong_resultaat),
            "esis_accepted": self.esis_accepted,
            "esis_errors": self.esis_errors,
            "esis_lost": len(self.esis_lost),
            "esis_bijlagen_wrong": len(self.esis_bijlagen_wrong),
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
            "tc_sessions_replaced": self.tc_sessions_replaced,
            "outbox": dict(s.outbox) if s else None,
            "leftovers": self.leftovers.summary() if self.leftovers else None,
            "seconds": round(self.seconds, 1),
        }


async def _count_verwerkt(db: Database) -> int:
    async with db.reader() as s:
        stmt = select(func.count()).select_from(Exchange).where(col(Exchange.state) == "verwerkt")
        return int((await s.exec(stmt)).one()[0])  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def _active(db: Database) -> int:
    async with db.reader() as s:
        stmt = select(func.count()).select_from(Exchange).where(col(Exchange.state).in_(ACTIVE_STATES))
        return int((await s.exec(stmt)).one()[0])  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def _in_behandeling(db: Database) -> int:
    async with db.reader() as s:
        stmt = select(func.count()).select_from(Exchange).where(col(Exchange.state) == "in_behandeling")
        return int((await s.exec(stmt)).one()[0])  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def _kill_while_working(victim: GatewayProcess, db: Database, within: float = 15.0) -> bool:
    """SIGKILL ``victim`` as soon as an exchange is ``in_behandeling`` (waiting at most ``within`` s); returns
    whether one was when the signal was sent."""
    deadline = time.perf_counter() + within
    busy = await _in_behandeling(db) > 0
    while not busy and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
        busy = await _in_behandeling(db) > 0
    victim.kill()
    return busy


async def _drain(db: Database, within: float) -> None:
    deadline = time.perf_counter() + within
    while time.perf_counter() < deadline:
        if await _active(db) == 0 and await _outbox_waiting(db) == 0:
            return  # nothing left to do (a refused or held exchange shows up in the checks)
        await asyncio.sleep(0.2)


async def _decide_held(config: Path, sender: NotificatieSender) -> dict[str, str]:
    """The secretariaat, in another process (this one: its own components, nothing of the gateways' memory),
    releases every other held exchange and refuses the rest. Returns koppelsleutel → end state."""
    from gateway.app import create_app
    from gateway.components import build_components
    from gateway.settings import load_settings
    from gateway.web.pages.actions import refuse_exchange, release_exchange

    c = build_components(load_settings(config, environ={}))
    create_app(c, run_workers=False)  # the adapters' handlers, for the refusal's afmelding
    decided: dict[str, str] = {}
    try:
        async with c.db.reader() as s:
            held = (
                await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                    select(col(Exchange.id), col(Exchange.key))
                    .where(col(Exchange.state) == "vastgehouden")
                    .order_by(col(Exchange.id))
                )
            ).all()
        for n, (exchange_id, key) in enumerate(held):
            k = str(key).removeprefix("oso:")
            if sender.kind.get(k) != HELD:
                continue  # held for another reason: left for the checks to show
            if n % 2 == 0:
                await release_exchange(c, exchange_id, actor="secretariaat", swv_code=c.settings.swv_code)
                decided[k] = "vrijgegeven"
            else:
                reason = "Een programmabestand nemen we niet aan."
                await refuse_exchange(c, exchange_id, reason, actor="secretariaat", swv_code=c.settings.swv_code)
                decided[k] = "geweigerd_door_secretariaat"
    finally:
        await c.close()
    return decided


async def _check_esis(db: Database, esis: Any, report: CrashReport) -> None:
    """Every accepted ESIS request is exactly one hulpvraag holding exactly its own document."""
    from gateway.store.models import Bijlage, Hulpvraag

    report.esis_accepted = len(esis.accepted)
    report.esis_errors = dict(esis.errors)
    report.expected_hulpvragen += len(esis.accepted)
    async with db.reader() as s:
        rows = (
            await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                select(col(Hulpvraag.request_key), col(Bijlage.sha256))
                .where(col(Hulpvraag.source_system) == "esis")
                .join(
                    Bijlage,
                    col(Bijlage.hulpvraag_id) == Hulpvraag.id,
                    isouter=True,
                )
            )
        ).all()
    found: dict[str, list[str | None]] = {}
    for key, sha in rows:
        if key:
            found.setdefault(str(key).rsplit(":", 1)[-1], []).append(sha)
    for aanvraag_id, sha in esis.accepted.items():
        shas = found.get(aanvraag_id)
        if shas is None:
            report.esis_lost.append(aanvraag_id)
        elif shas != [sha]:
            report.esis_bijlagen_wrong.append(aanvraag_id)


async def _outbox_waiting(db: Database) -> int:
    async with db.reader() as s:
        stmt = select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.state) == "wachtend")
        return int((await s.exec(stmt)).one()[0])  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


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
        # a gateway that dies by itself fails the run at once, with its exit code and log (not pytest's timeout)
        async with watching(lambda: first_death(gateways)):
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
                        "role": cfg.roles[n] if cfg.roles else "all",
                        **{k: str(v) for k, v in tls.items()},
                    },
                    {**world.sections(), **({"blobs": cfg.blobs} if cfg.blobs else {})},
                )
                gateways.append(GatewayProcess(config, free_port(), tls["tls_client_ca"], work / f"gateway-{n}.log"))
            await asyncio.gather(*(g.start() for g in gateways))
            answering = [g for n, g in enumerate(gateways) if not cfg.roles or cfg.roles[n] != "worker"]
            sender = NotificatieSender(
                world.world,
                [g.oso_url for g in answering],
                concurrency=cfg.concurrency,
                scenario=scenario if cfg.mixed else None,
            )
            esis_sender = None
            secrets: list[str] = []  # must not be readable anywhere afterwards (the verificatiecode)
            if cfg.esis:
                from gateway.registry import codes
                from tests.reliability.esis_sender import ESIS_BRIN6, EsisSender

                code = f"{ESIS_BRIN6}-crash-esis-koppeling-1"
                secrets.append(code)
                view = await codes.register(db, ESIS_BRIN6, "esis-crash", code, "test:school")
                await codes.activate(db, view.id, "test:secretariaat")
                esis_sender = EsisSender([g.base for g in answering], code, str(tls["tls_client_ca"]))
            sending = asyncio.gather(
                sender.run(cfg.exchanges), *([esis_sender.run(cfg.esis)] if esis_sender is not None else [])
            )
            for target in _kill_points(rng, cfg.exchanges, cfg.kills):
                if cfg.kill_after is not None:
                    await asyncio.sleep(rng.uniform(*cfg.kill_after))
                while len(sender.acknowledged) < target and not sending.done():  # noqa: ASYNC110 - polls progress
                    await asyncio.sleep(0.02)
                await asyncio.sleep(rng.uniform(0.0, cfg.kill_jitter))
                victim = rng.choice(gateways)
                report.kills_in_behandeling += await _kill_while_working(victim, db)
                report.kills += 1
                if not sending.done() or await _count_verwerkt(db) < cfg.exchanges:
                    report.kills_mid_run += 1
                await victim.start()
            await sending
            await _drain(db, cfg.drain_timeout)
            decided: dict[str, str] = {}
            if cfg.mixed:  # after the restarts: the secretariaat decides, then one more kill while they are processed
                decided = await _decide_held(gateways[0].config, sender)
                victim = rng.choice(gateways)
                report.kills_in_behandeling += await _kill_while_working(victim, db)
                report.kills += 1
                report.kills_mid_run += 1
                await victim.start()
                await _drain(db, cfg.drain_timeout)
            report.seconds = time.perf_counter() - started
            from gateway.settings import load_settings
            from gateway.store.blob_config import build_blob_store
            from gateway.store.blob_sweep import sweep_policy

            # the gateways' own blob store (local folder, or S3 with encryption): every stored byte is read back
            settings = load_settings(gateways[0].config, environ={})
            blob_store = build_blob_store(settings)
            store = await store_report(db, blob_store)
            report.store = store
            report.acknowledged = len(sender.acknowledged)
            report.notificatie_calls = sum(sender.sends.values())
            report.resent = sender.resent
            report.sender_errors = dict(sender.errors)
            tc = world.world.tc
            report.tc_sessions = len(tc.sessies)
            report.tc_sessions_open = len(tc.open_sessions())
            report.tc_sessions_replaced = len(tc.replaced())
            sessions = Counter(x.koppelsleutel for x in tc.sessies.values())  # from the TC's own records
            closings: dict[str, list[str]] = {}
            for k, _sessie, resultaat in tc.closed:  # every afmelding that closed a session, in order
                closings.setdefault(k, []).append(resultaat)
            for k in sender.acknowledged:
                kind = sender.kind.get(k, OK)
                end = {OK: "verwerkt", INVALID: "ongeldig"}.get(kind) or decided.get(k, "vastgehouden")
                report.end_states[end] += 1
                stored = end in ("verwerkt", "vrijgegeven")
                report.expected_hulpvragen += stored
                hid = store.hulpvraag_per_koppelsleutel.get(k)
                if stored and hid is None:
                    report.lost.append(k)
                elif stored and store.per_koppelsleutel.get(k) != sender.expected[k]:
                    report.bijlagen_wrong.append(k)
                report.sessions_per_koppelsleutel[sessions.get(k, 0)] += 1
                report.afmeldingen_per_koppelsleutel[len(closings.get(k, []))] += 1
                if closings.get(k) != [EXPECTED_RESULTAAT.get(end, "?")]:
                    report.afmeldingen_missing.append(k)
                    if closings.get(k):
                        report.wrong_resultaat.append(k)
            if esis_sender is not None:
                await _check_esis(db, esis_sender, report)
            report.doubled = max(0, store.hulpvragen - report.expected_hulpvragen) + max(
                0, report.expected_hulpvragen - store.distinct_hulpvragen_of_exchanges - len(report.lost)
            )
            report.leftovers = await leftovers(
                db,
                blob_store,
                [g.log for g in gateways],
                encrypted=bool((cfg.blobs or {}).get("key_id")),
                grace=sweep_policy(settings).grace,
                secrets=secrets,
            )
            return report
    finally:
        for g in gateways:
            g.stop()
        await db.dispose()
        await world.stop()
