"""`gateway serve`: run the service (HTTP or HTTPS with client certificates) with its workers."""

from __future__ import annotations

import argparse
import asyncio
import errno
import gc
import os
import signal
import ssl

from aiohttp import web

from gateway.app import create_app
from gateway.cli.common import open_components, settings_from
from gateway.errors import ConfigError
from gateway.logging import get_logger
from gateway.settings import ROLES, Settings
from gateway.tls import server_context
from gateway.tls_site import TlsLoggingSite
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


def server_ssl_context(settings: Settings) -> ssl.SSLContext | None:
    if not settings.tls_cert:
        return None
    ctx = server_context()
    ctx.load_cert_chain(str(settings.tls_cert), str(settings.tls_key))
    if settings.tls_client_ca:
        ctx.load_verify_locations(str(settings.tls_client_ca))
        ctx.verify_mode = ssl.CERT_OPTIONAL  # the OSO endpoint demands one; health checks and pages do not
    return ctx


async def start_site(runner: web.AppRunner, settings: Settings) -> None:
    """Listen on the configured address; an address in use or an unusable certificate is a clear error, not a
    traceback."""
    from gateway.os_errors import os_error_reason, tls_error_reason

    try:
        context = server_ssl_context(settings)
    except OSError as exc:  # ssl.SSLError too
        await runner.cleanup()
        named = ", ".join(
            f"'{key}' ({value})"
            for key, value in (
                ("tls_cert", settings.tls_cert),
                ("tls_key", settings.tls_key),
                ("tls_client_ca", settings.tls_client_ca),
            )
            if value
        )
        raise ConfigError(f"Instellingen {named}: {tls_error_reason(exc)}.") from None
    site = (
        TlsLoggingSite(runner, settings.host, settings.port, ssl_context=context)  # logs why a handshake failed
        if context is not None
        else web.TCPSite(runner, settings.host, settings.port)
    )
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        if exc.errno == errno.EADDRNOTAVAIL:
            raise ConfigError(
                f"Kan niet luisteren op {settings.host}:{settings.port} (dit adres hoort niet bij deze machine). "
                "Kies een ander adres (--host of GATEWAY_HOST)."
            ) from None
        reason = {
            errno.EADDRINUSE: "de poort is al in gebruik",
            errno.EACCES: "geen rechten voor deze poort (onder 1024 alleen voor beheerders)",
        }.get(exc.errno or 0) or os_error_reason(exc)
        raise ConfigError(
            f"Kan niet luisteren op {settings.host}:{settings.port} ({reason}). Kies een andere "
            "poort (--port of GATEWAY_PORT) of stop het programma dat deze poort gebruikt."
        ) from None


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
