"""The app factory: the composition root that wires adapters into the core.

Only this module (and the CLI) import adapters. Each adapter exposes `install(app, components)`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from gateway.components import Components
from gateway.inbox.outbox import OutboxWorker
from gateway.inbox.worker import ExchangeWorkers
from gateway.logging import get_logger
from gateway.store.blob_sweep import run_periodically, sweep_policy
from gateway.web import health, metrics
from gateway.web.correlation import correlation_middleware
from gateway.web.roles import processing_only_middleware

__all__ = ["COMPONENTS", "PLUGINS", "create_app", "installers"]

log = get_logger(__name__)
COMPONENTS: web.AppKey[Components] = web.AppKey("components", Components)
WORKERS: web.AppKey[ExchangeWorkers] = web.AppKey("workers", ExchangeWorkers)

Installer = Callable[[web.Application, Components], None]

# Every plug-in module, in order (each has ``install(app, components)``): a new source system is one line here.
PLUGINS: tuple[str, ...] = (
    "adapters.osr.plugin",  # before the adapters that ask the OSR
    "adapters.parnassys.plugin",
    "adapters.esis.plugin",
    "gateway.web.pages",
)


def installers() -> list[Installer]:
    """Every plug-in of the gateway, in order. Adapters are imported here and nowhere else in the core."""
    found: list[Installer] = [health.install, metrics.install]
    for module in PLUGINS:
        try:
            mod = __import__(module, fromlist=["install"])
        except ModuleNotFoundError as exc:
            if exc.name is not None and module.startswith(exc.name):
                continue  # this capability is not part of this build yet
            raise
        found.append(mod.install)
    return found


def create_app(c: Components, *, run_workers: bool = True) -> web.Application:
    """The gateway's application for this process's role (settings.role): ``all`` answers and processes;
    ``intake`` answers only (another process processes); ``worker`` processes and answers only its health
    and metrics. Every role installs every adapter, so handlers and deliverers are always registered."""
    middlewares = [correlation_middleware]
    if not c.settings.serves_endpoints:
        middlewares.append(processing_only_middleware)
    app = web.Application(client_max_size=c.settings.max_request_bytes, middlewares=middlewares)
    app[COMPONENTS] = c
    for install in installers():
        install(app, c)
    workers = ExchangeWorkers(
        c.db,
        c.inbox,
        c.handlers,
        retry=c.retry,
        max_attempts=c.settings.max_attempts,
        poll_interval=c.settings.poll_interval,
        waiting_for_labels=c.waiting_for_labels,
    )
    app[WORKERS] = workers
    if run_workers and c.settings.runs_workers:
        app.cleanup_ctx.append(_background(c, workers))
        # what a crash or a refused/held exchange left in the blob store: at start-up, then periodically
        app.cleanup_ctx.append(run_periodically(c.db, c.blobs, sweep_policy(c.settings)))
    return app


def _background(c: Components, workers: ExchangeWorkers) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(_: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        outbox = OutboxWorker(
            c.db,
            c.deliverers,
            retry=c.retry,
            lease_seconds=c.settings.lease_seconds,
            max_attempts=c.settings.max_attempts,
            poll_interval=c.settings.poll_interval,
        )
        tasks = [
            asyncio.create_task(workers.run(c.settings.workers, stop)),
            asyncio.create_task(outbox.run(stop)),
            *(asyncio.create_task(job(stop)) for job in c.background),  # type: ignore[arg-type]  # background jobs are typed Awaitable but are coroutines
        ]
        log.info("workers_gestart", workers=c.settings.workers)
        yield
        stop.set()
        for t in tasks:
            t.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
        log.info("workers_gestopt")

    return ctx
