"""The reliability harness: a simulated OSO world behind fault proxies, a gateway as an OS process, and
the database/blob checks "every acknowledged exchange became exactly one hulpvraag, bijlagen intact".

Shared by `tests/reliability/` (bounded runs) and `bench/reliability_*.py` (full-length runs).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select, text
from sqlmodel import col

import gateway.store.models  # noqa: F401  (all tables)
from adapters.parnassys.simulator.world import SimulatedWorld, start_world
from gateway.components import Components
from gateway.store.db import Database
from gateway.store.models import Bijlage, Exchange, Hulpvraag, OutboxMessage
from gateway.store.seed import seed_demo_registry, seed_swv
from tests.reliability.faultproxy import FaultProxy
from tests.support.watchdog import ProcessDied, log_tail

__all__ = [
    "REPO",
    "FaultyWorld",
    "GatewayProcess",
    "InProcessGateway",
    "StoreReport",
    "first_death",
    "free_port",
    "parse_metrics",
    "prepare_store",
    "running_gateway",
    "start_faulty_world",
    "store_report",
    "write_toml",
]

REPO = Path(__file__).resolve().parents[2]
_ALEMBIC = asyncio.Lock()  # alembic's command context is process-global: one stamp at a time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the world: simulators behind fault proxies --------------------------------------------------------------


@dataclass
class FaultyWorld:
    """The simulated world (plain HTTP on loopback) with a `FaultProxy` in front of each system the gateway
    calls: ``tc`` (Traffic Center), ``las`` (the school's ParnasSys) and ``osr``."""

    world: SimulatedWorld
    tc: FaultProxy
    las: FaultProxy
    osr: FaultProxy

    def proxies(self) -> dict[str, FaultProxy]:
        return {"traffic_center": self.tc, "las": self.las, "osr": self.osr}

    def sections(self, oso: dict[str, Any] | None = None, osr: dict[str, Any] | None = None) -> dict[str, Any]:
        """The gateway's ``[oso]`` and ``[osr]`` settings, pointed at the proxies."""
        s = self.world.sections(traffic_center_url=self.tc.url + "/oso/tc", **(oso or {}))
        s["osr"] = {**s["osr"], "base_url": self.osr.url, **(osr or {})}
        return s

    async def stop(self) -> None:
        for p in (self.tc, self.las, self.osr):
            await p.stop()
        await self.world.stop()


def _origin(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{rest.split('/', 1)[0]}"


async def start_faulty_world(directory: Path) -> FaultyWorld:
    world = await start_world(directory, tls=False)
    tc = FaultProxy(_origin(world.tc_url), name="Traffic Center")
    las = FaultProxy(_origin(world.las_url), name="LAS")
    osr = FaultProxy(_origin(world.osr_url), name="OSR")
    for p in (tc, las, osr):
        await p.start()
    las_url = las.url + "/oso/las"
    world.osr.endpoints[:] = [dataclasses.replace(e, url=las_url) for e in world.osr.endpoints]
    world.las_url = las_url  # add_school uses it
    world.tc.las_url = las_url  # meldenTerugkoppeling answers with it
    return FaultyWorld(world, tc, las, osr)


# -- the store ---------------------------------------------------------------------------------------------


async def prepare_store(url: str) -> None:
    """An empty schema at the migrations' head (created from the models, then stamped, so `gateway serve`'s
    own upgrade is a no-op), with the SWV and the demo registry seeded."""
    from alembic import command
    from sqlmodel import SQLModel

    from gateway.store.migrate import alembic_config

    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            if not db.is_sqlite:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
            await conn.run_sync(SQLModel.metadata.create_all)

            def _stamp(connection: Any) -> None:
                cfg = alembic_config(url)
                cfg.attributes["connection"] = connection
                command.stamp(cfg, "head")

            async with _ALEMBIC:
                await conn.run_sync(_stamp)
        swv_id = await seed_swv(db)
        await seed_demo_registry(db, swv_id)
    finally:
        await db.dispose()


@dataclass
class StoreReport:
    exchanges: Counter[str]  # per state
    hulpvragen: int
    distinct_hulpvragen_of_exchanges: int
    bijlagen: int
    bijlagen_bad_hash: list[str]  # bijlage ids whose stored bytes do not hash to their sha256
    bijlagen_missing: list[str]
    per_koppelsleutel: dict[str, set[str]]  # koppelsleutel → sha256 of its hulpvraag's bijlagen
    hulpvraag_per_koppelsleutel: dict[str, int | None]
    outbox: Counter[str]  # per state
    waiting: list[tuple[str, str | None, int]]  # (state, waiting_for, attempts) of unfinished exchanges

    @property
    def verwerkt(self) -> int:
        return self.exchanges.get("verwerkt", 0)


async def store_report(db: Database, blobs: Any, *, hash_blobs: bool = True) -> StoreReport:
    async with db.reader() as s:
        states = Counter(
            {
                str(st): int(n)
                for st, n in (await s.exec(select(col(Exchange.state), func.count()).group_by(Exchange.state))).all()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            }
        )
        hulpvragen = int((await s.exec(select(func.count()).select_from(Hulpvraag))).one()[0])  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        distinct = int((await s.exec(select(func.count(func.distinct(Exchange.hulpvraag_id))))).one()[0])  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        ex_rows = (
            await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                select(
                    col(Exchange.key),
                    col(Exchange.hulpvraag_id),
                    col(Exchange.state),
                    col(Exchange.waiting_for),
                    col(Exchange.attempts),
                )
            )
        ).all()
        bijlagen = (await s.exec(select(Bijlage.id, Bijlage.hulpvraag_id, Bijlage.sha256, Bijlage.blob_key))).all()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        outbox_rows = (await s.exec(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state))).all()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        outbox = Counter({str(st): int(n) for st, n in outbox_rows})
    by_hulpvraag: dict[int, set[str]] = {}
    bad, missing = [], []
    for bid, hid, sha, key in bijlagen:
        by_hulpvraag.setdefault(int(hid), set()).add(str(sha))
        if not hash_blobs:
            continue
        if not blobs.exists(key):
            missing.append(str(bid))
            continue
        h = hashlib.sha256()
        for chunk in blobs.iter_chunks(key):
            h.update(chunk)
        if h.hexdigest() != sha:
            bad.append(str(bid))
    per_k: dict[str, set[str]] = {}
    hv: dict[str, int | None] = {}
    waiting = []
    for key, hid, state, waiting_for, attempts in ex_rows:
        k = str(key).removeprefix("oso:")
        hv[k] = hid
        per_k[k] = by_hulpvraag.get(int(hid), set()) if hid is not None else set()
        if state != "verwerkt":
            waiting.append((str(state), waiting_for, int(attempts)))
    return StoreReport(
        exchanges=states,
        hulpvragen=hulpvragen,
        distinct_hulpvragen_of_exchanges=distinct,
        bijlagen=len(bijlagen),
        bijlagen_bad_hash=bad,
        bijlagen_missing=missing,
        per_koppelsleutel=per_k,
        hulpvraag_per_koppelsleutel=hv,
        outbox=outbox,
        waiting=waiting,
    )


# -- the gateway in this process -----------------------------------------------------------------------------

_LINE = re.compile(r"^([a-z_]+)(\{[^}]*\})? (\S+)$")


def parse_metrics(text: str) -> dict[str, float]:
    """``name{labels}`` → value, for the samples of a Prometheus text exposition."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        m = _LINE.match(line)
        if m:
            out[m.group(1) + (m.group(2) or "")] = float(m.group(3).replace("+Inf", "inf"))
    return out


@dataclass
class InProcessGateway:
    c: Components
    base: str  # https://127.0.0.1:<port>
    http: aiohttp.ClientSession
    tls: ssl.SSLContext

    async def metrics(self) -> dict[str, float]:
        async with self.http.get(self.base + "/metrics", ssl=self.tls) as r:
            return parse_metrics(await r.text())


@contextlib.asynccontextmanager
async def running_gateway(
    fw: FaultyWorld,
    work: Path,
    *,
    database_url: str | None = None,
    workers: int = 4,
    retry_base_seconds: float = 0.2,
    retry_max_seconds: float = 1.0,
    call_timeout: float = 0.5,
) -> AsyncIterator[InProcessGateway]:
    """`create_app` with its workers, served over HTTPS with client certificates, pointed at the proxies;
    ``call_timeout`` is the ``[oso]`` read/connect timeout and the ``[osr]`` total/connect timeout."""
    from aiohttp import web

    from gateway.app import create_app
    from gateway.cli.serve import server_ssl_context
    from gateway.components import build_components
    from gateway.settings import load_settings

    (work / "data").mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite+aiosqlite:///{(work / 'data' / 'gateway.db').resolve()}"
    t = call_timeout
    settings = load_settings(
        environ={},
        data_dir=work / "data",
        database_url=url,
        lease_seconds=10.0,
        retry_base_seconds=retry_base_seconds,
        retry_max_seconds=retry_max_seconds,
        poll_interval=0.05,
        workers=workers,
    ).replace(
        sections=fw.sections(
            oso={"read_timeout": t, "connect_timeout": t}, osr={"total_timeout": t, "connect_timeout": t}
        ),
        **fw.world.tls_settings(),
    )
    await prepare_store(url)
    c = build_components(settings)
    runner = web.AppRunner(create_app(c), access_log=None, handle_signals=False, shutdown_timeout=1.0)
    http = aiohttp.ClientSession()
    try:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ssl_context(settings))
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # aiohttp types TCPSite._server as optional AbstractServer; a started site has sockets
        tls = ssl.create_default_context(cafile=str(fw.world.files["ca"]))
        yield InProcessGateway(c, f"https://127.0.0.1:{port}", http, tls)
    finally:
        await http.close()
        await runner.cleanup()
        await c.close()


# -- the gateway as an OS process ----------------------------------------------------------------------------


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, Path):
        v = str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list | tuple):
        if all(isinstance(x, dict) for x in v) and v:
            return "[" + ", ".join(_toml_inline(x) for x in v) + "]"
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return _toml_inline(v)
    raise TypeError(f"no TOML for {type(v).__name__}")


def _toml_inline(d: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k} = {_toml_value(x)}" for k, x in d.items()) + "}"


def write_toml(path: Path, top: dict[str, Any], sections: dict[str, dict[str, Any]]) -> Path:
    lines = [f"{k} = {_toml_value(v)}" for k, v in top.items() if v is not None]
    for name, values in sections.items():
        lines.append(f"\n[{name}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in values.items() if v is not None]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class GatewayProcess:
    """`python -m gateway --config FILE serve` with its own port; killed with SIGKILL and started again."""

    config: Path
    port: int
    ca: Path  # to trust the gateway's TLS certificate when probing /health/live
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    kills: int = 0
    _log_handles: list[Any] = field(default_factory=list)
    _down_on_purpose: bool = False  # killed or stopped by the test, not yet started again

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def oso_url(self) -> str:
        return self.base + "/oso/swv"

    def spawn(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
        env["PYTHONPATH"] = str(REPO)
        handle = open(self.log, "ab")  # kept open for the child's lifetime
        self._log_handles.append(handle)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gateway", "--config", str(self.config), "serve", "--port", str(self.port)],
            cwd=REPO,
            env=env,
            stdout=handle,
            stderr=handle,
        )
        self._down_on_purpose = False
        self.starts += 1

    def died(self) -> str | None:
        """None while the process runs (or was killed or stopped by the test); otherwise how it ended by
        itself: its exit code and the tail of its log."""
        if self.proc is None or self._down_on_purpose or (code := self.proc.poll()) is None:
            return None
        if self._down_on_purpose:  # killed by the test between the look at the flag and the poll (another thread)
            return None
        return self._ended(code)

    def _ended(self, code: int) -> str:
        return (
            f"gateway on port {self.port} (start {self.starts}) exited by itself with {code}; "
            f"the end of {self.log}:\n{log_tail(self.log)}"
        )

    async def start(self, within: float = 60.0) -> None:
        self.spawn()
        await self.wait_ready(within)

    async def wait_ready(self, within: float = 60.0) -> None:
        ctx = ssl.create_default_context(cafile=str(self.ca))
        deadline = asyncio.get_running_loop().time() + within
        async with aiohttp.ClientSession() as http:
            while asyncio.get_running_loop().time() < deadline:
                if self.proc is not None and (code := self.proc.poll()) is not None:
                    raise ProcessDied(self._ended(code))
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with http.get(self.base + "/health/live", ssl=ctx) as r:
                        if r.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise TimeoutError(f"gateway on port {self.port} not ready after {within} s; see {self.log}")

    def kill(self) -> None:
        self._down_on_purpose = True
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.kills += 1

    def stop(self) -> None:
        self._down_on_purpose = True
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for h in self._log_handles:
            h.close()
        self._log_handles.clear()


def first_death(gateways: list[GatewayProcess]) -> str | None:
    """How the first of ``gateways`` that exited by itself ended (a `tests.support.watchdog.watching` probe)."""
    for g in list(gateways):
        if (died := g.died()) is not None:
            return died
    return None
