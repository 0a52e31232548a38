"""Listening on the configured address: the server's TLS context (client certificates optional at the TLS
layer; the OSO endpoint demands one) and starting the site with clear Dutch errors instead of tracebacks.

Used by `gateway serve` and by the demo (`gateway.demo.runner`), which therefore need not import each other.
"""

from __future__ import annotations

import errno
import ssl

from aiohttp import web

from gateway.errors import ConfigError
from gateway.settings import Settings
from gateway.tls import server_context
from gateway.tls_site import TlsLoggingSite

__all__ = ["server_ssl_context", "start_site"]


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
