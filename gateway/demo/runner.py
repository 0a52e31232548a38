"""Runs the demo: a fresh embedded store, the gateway on HTTP, simulated outside systems, a batch of requests.

Scenarios (one per outside system) plug in through the `DemoScenario` protocol; they start their simulators
(honest test doubles, never used by `gateway serve`), seed what the SWV knows, and send requests through
the gateway's real HTTP entry points.
"""

from __future__ import annotations

import asyncio
import shlex
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web

from gateway.app import create_app
from gateway.components import Components, build_components
from gateway.errors import ConfigError
from gateway.settings import Settings
from gateway.store.migrate import upgrade
from gateway.store.models import Exchange
from gateway.store.seed import seed_demo_registry, seed_swv
from gateway.web.http_errors import coded_errors

__all__ = ["KEEP_ON_RESET", "DemoContext", "DemoScenario", "curl", "reset_data_dir", "run_demo"]

# Files in the demo's data directory that survive the reset at each start (the demo accounts' key).
KEEP_ON_RESET = frozenset({"demo-accounts.key"})
# What shows a directory is the demo's own (so it may be emptied): its key, or the database of an older demo.
DEMO_MARKERS = frozenset({"demo-accounts.key", "gateway.db"})


@dataclass
class DemoContext:
    settings: Settings
    gateway_url: str = ""
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)  # settings sections for the adapters
    notes: list[str] = field(default_factory=list)  # what happened: printed after the summary
    # what to try while the gateway serves (pages, curl lines with --cacert): printed only when it keeps serving
    try_lines: list[str] = field(default_factory=list)
    ca_file: Path | None = None  # the throw-away CA that signed the gateway's server certificate, if HTTPS
    # requests refused at the door (an HTTP error before anything was stored), one dict per request, in the
    # shape of schemas/demo/summary.schema.json's door_refusals
    door_refusals: list[dict[str, Any]] = field(default_factory=list)
    # every request the simulators sent and the answer they got (the summary's "requests")
    requests: list[dict[str, Any]] = field(default_factory=list)
    # what each simulated outside system saw, by scenario name (the summary's "simulators")
    simulators: dict[str, dict[str, Any]] = field(default_factory=dict)


class DemoScenario(Protocol):
    name: str

    async def start(self, ctx: DemoContext) -> None: ...  # start simulators; fill ctx.sections / ctx.settings
    async def seed(self, ctx: DemoContext, c: Components) -> None: ...
    async def send(self, ctx: DemoContext, c: Components) -> int: ...  # returns how many requests were sent
    async def stop(self) -> None: ...


def free_port() -> int:
    """A port that is free now (for a test that starts the demo in another process; the demo holds its own)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PortReservation:
    """A free port of this machine, held — bound, not listening — until the gateway binds it itself. The demo's
    simulators start in between and bind ports of their own: a port only looked up and let go again could be
    handed to one of them, and the gateway's start would then fail with "de poort is al in gebruik" (seen once
    in CI). While it is held, no other socket on this machine gets it."""

    def __init__(self) -> None:
        self._sock: socket.socket | None = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.port = int(self._sock.getsockname()[1])

    def release(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


async def _wait_until_settled(c: Components, within: float) -> None:
    from sqlalchemy import func, select
    from sqlmodel import col

    from gateway.inbox.inbox import ACTIVE_STATES

    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        async with c.db.reader() as s:
            busy = (
                await s.exec(select(func.count()).select_from(Exchange).where(col(Exchange.state).in_(ACTIVE_STATES)))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            ).one()[0]
        if busy == 0:
            return
        await asyncio.sleep(0.1)


async def run_demo(
    settings: Settings,
    scenarios: list[DemoScenario],
    *,
    fresh: bool = True,
    settle_timeout: float = 60.0,
    port: PortReservation | None = None,
) -> tuple[DemoContext, Components, web.AppRunner]:
    """Start everything and push the batch. Returns once the batch has settled; the caller stops it. ``port``:
    the gateway's port (``settings.port``), held until the gateway binds it, after every simulator has its own."""
    if fresh:
        reset_data_dir(settings.data_dir)
    ctx = DemoContext(settings=settings, gateway_url=settings.effective_public_url)
    for sc in scenarios:
        await sc.start(ctx)
    settings = ctx.settings  # a scenario may have changed it (e.g. TLS with a throw-away test CA)
    sections = {k: dict(v) for k, v in settings.sections.items()}
    for name, values in ctx.sections.items():
        sections.setdefault(name, {}).update(values)
    settings = settings.replace(sections=sections)
    ctx.settings = settings
    ctx.gateway_url = settings.effective_public_url
    c = build_components(settings)
    await upgrade(c.db)
    swv_id = await seed_swv(c.db, settings.swv_code)
    await seed_demo_registry(c.db, swv_id)
    for sc in scenarios:
        await sc.seed(ctx, c)
    app = create_app(c)
    runner = web.AppRunner(app, access_log=None, keepalive_timeout=settings.keepalive_seconds)
    await runner.setup()
    coded_errors(runner)
    from gateway.listen import start_site

    if port is not None:
        port.release()  # the gateway binds it next: nothing else of the demo binds a port in between
    try:
        await start_site(runner, settings)
    except ConfigError:
        await c.close()
        for sc in scenarios:
            await sc.stop()
        raise
    for sc in scenarios:
        await sc.send(ctx, c)
    await _wait_until_settled(c, settle_timeout)
    return ctx, c, runner


def reset_data_dir(path: Path) -> None:
    """Empty the demo's data directory, except `KEEP_ON_RESET`. Only a directory the demo made is emptied
    (it holds `DEMO_MARKERS`, or nothing): a mistyped ``--data-dir`` never wipes someone's files."""
    try:
        if not path.exists():
            path.mkdir(parents=True)
            return
        if not path.is_dir():
            raise ConfigError(f"--data-dir {path}: dit is een bestand, geen map.")
        entries = list(path.iterdir())
        if entries and not any(e.name in DEMO_MARKERS for e in entries):
            raise ConfigError(
                f"--data-dir {path}: deze map is niet leeg en is geen map van 'gateway demo' (de demo maakt hem "
                "bij elke start leeg). Kies een nieuwe of lege map."
            )
        for entry in entries:
            if entry.name in KEEP_ON_RESET:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    except OSError as exc:
        from gateway.os_errors import os_error_reason

        raise ConfigError(f"--data-dir {path}: {os_error_reason(exc)}.") from None


def curl(ctx: DemoContext, url: str, *options: str) -> str:
    """A curl command line that works as printed: the demo's CA with ``--cacert``, every part shell-quoted."""
    parts = ["curl", "--fail-with-body"]  # a refusal still shows its Dutch body, and exits non-zero
    if ctx.ca_file is not None:
        parts += ["--cacert", str(ctx.ca_file)]
    parts += [*options, url]
    return " ".join(shlex.quote(p) for p in parts)


def demo_data_dir(base: Path | None) -> Path:
    return (base or Path("demo-data")).resolve()
