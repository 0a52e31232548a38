"""`gateway serve`: run the service (HTTP or HTTPS with client certificates) with its workers."""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import signal

from aiohttp import web

from gateway.app import create_app
from gateway.cli.common import open_components, settings_from
from gateway.listen import server_ssl_context, start_site  # re-exported: tests and the demo import them here
from gateway.logging import get_logger
from gateway.settings import ROLES, Settings
from gateway.store.blob_config import blob_settings
from gateway.store.fs_journal import ext4_without_journal
from gateway.web.http_errors import coded_errors

__all__ = ["freeze_startup_objects", "lower_priority", "register", "run_server", "server_ssl_context", "start_site"]

log = get_logger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="start de gateway (HTTP-ingangen en verwerking)")
    p.add_argument("--host", help="adres om op te luisteren (standaard uit de instellingen)")
    p.add_argument("--port", type=int, help="poort (standaard uit de instellingen)")
    p.add_argument("--workers", type=int, help="aantal verwerkers in dit proces")
    p.add_argument(
        "--role",
        choices=ROLES,
        help="all: aannemen en verwerken (standaard); intake: alleen aannemen; worker: alleen verwerken",
    )
    p.set_defaults(handler=_serve)


def lower_priority(settings: Settings) -> None:
    """A worker-only process runs at a lower CPU priority (``worker_niceness``): under overload the intake
    processes keep acknowledging within milliseconds and the backlog waits, durably, in the inbox."""
    if settings.role == "worker" and settings.worker_niceness:
        os.nice(settings.worker_niceness)  # before any thread starts: threads inherit it


def freeze_startup_objects() -> None:
    """Move everything the start-up built (modules, SQLAlchemy metadata, schemas, TLS contexts: ≈ 120k
    objects) out of the garbage collector's sight. A full collection over them takes ≈ 80 ms on this
    machine and would stall every request in flight, now and then; what requests create is still
    collected as usual."""
    gc.collect()
    gc.freeze()


def warn_blob_folder_without_journal(settings: Settings) -> None:
    """A local blob folder on ext4 without a journal works, but slows down for minutes after many blobs were
    removed (gateway/store/fs_journal.py): said once at start-up, for the IT admin who can move it."""
    if blob_settings(settings).backend != "local":
        return
    folder = settings.effective_blob_dir
    if (device := ext4_without_journal(folder)) is not None:
        log.warning(
            "blobopslag_zonder_journal",
            map=str(folder),
            apparaat=device,
            uitleg=(
                "De bestandsopslag staat op ext4 zonder journal. Dat werkt, maar na het opruimen van veel "
                "bestanden wordt het schrijven van nieuwe bijlagen minutenlang trager. Zet de map op een "
                "bestandssysteem met journal (zie docs/deploy.md, [blobs])."
            ),
        )


async def run_server(settings: Settings, stop: asyncio.Event) -> None:
    lower_priority(settings)
    async with open_components(settings) as c:
        app = create_app(c)
        runner = web.AppRunner(app, access_log=None, keepalive_timeout=settings.keepalive_seconds)
        await runner.setup()
        coded_errors(runner)
        await start_site(runner, settings)
        freeze_startup_objects()
        log.info(
            "gateway_gestart",
            url=settings.effective_public_url,
            role=settings.role,
            database=c.db.engine.url.get_backend_name(),
        )
        warn_blob_folder_without_journal(settings)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
            log.info("gateway_gestopt")


async def _serve(args: argparse.Namespace) -> int:
    settings = settings_from(args, host=args.host, port=args.port, workers=args.workers, role=args.role)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run_server(settings, stop)
    return 0
