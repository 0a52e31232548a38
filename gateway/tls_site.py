"""An HTTPS listener that says why a TLS handshake failed.

asyncio drops a failed server-side handshake silently (it logs only in debug mode): a school whose client
certificate is expired or from another CA sees the connection close, and nobody can see why. `TlsLoggingSite`
accepts plain TCP, upgrades each connection with ``loop.start_tls`` and, when that fails, logs the event
``tls_handshake_mislukt`` with the peer address and OpenSSL's reason (e.g. ``certificate has expired``,
``unable to get local issuer certificate``, ``peer did not return a certificate``). Nothing secret is in it:
no key material, no certificate contents. On success the connection is handed to aiohttp exactly as a
`web.TCPSite` with ``ssl_context`` would.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import Any, ClassVar

from aiohttp import web

from gateway.logging import get_logger

__all__ = ["TlsLoggingSite", "handshake_reason"]

log = get_logger(__name__)


def handshake_reason(exc: BaseException) -> str:
    """A short, secret-free reason for a failed handshake."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificaat geweigerd: {exc.verify_message or exc.reason}"
    if isinstance(exc, ssl.SSLError):
        return str(exc.reason or exc.__class__.__name__).lower().replace("_", " ")
    if isinstance(exc, TimeoutError):
        return "geen handdruk binnen de tijd"
    return exc.__class__.__name__


class _Upgrade(asyncio.Protocol):
    """The protocol of a fresh TCP connection: starts TLS, then hands over to aiohttp's protocol."""

    _pending: ClassVar[set[asyncio.Task[None]]] = set()  # strong references while a handshake runs

    def __init__(self, factory: Callable[[], asyncio.BaseProtocol], ctx: ssl.SSLContext, timeout: float) -> None:
        self._factory, self._ctx, self._timeout = factory, ctx, timeout

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.pause_reading()  # start_tls reads the ClientHello itself
        task = asyncio.get_running_loop().create_task(self._upgrade(transport))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _upgrade(self, transport: asyncio.Transport) -> None:
        peer = transport.get_extra_info("peername")
        protocol = self._factory()
        try:
            tls = await asyncio.get_running_loop().start_tls(
                transport, protocol, self._ctx, server_side=True, ssl_handshake_timeout=self._timeout
            )
        except (OSError, TimeoutError, ConnectionError) as exc:  # ssl.SSLError is an OSError
            log.warning(
                "tls_handshake_mislukt",
                peer=f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else None,
                reden=handshake_reason(exc),
            )
            transport.abort()
            return
        if tls is None:  # the peer went away during the handshake
            transport.abort()
            return
        protocol.connection_made(tls)

    def data_received(self, data: bytes) -> None:  # reading is paused until start_tls takes over
        pass

    def connection_lost(self, exc: Exception | None) -> None:
        pass


class TlsLoggingSite(web.TCPSite):
    """`web.TCPSite` with an ``ssl_context``, plus a log line for every failed handshake."""

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str | None,
        port: int,
        *,
        ssl_context: ssl.SSLContext,
        handshake_timeout: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(runner, host, port, **kwargs)
        self._tls, self._handshake_timeout = ssl_context, handshake_timeout

    @property
    def name(self) -> str:
        return super().name.replace("http://", "https://", 1)

    async def start(self) -> None:
        self._runner._reg_site(self)  # BaseSite.start
        server = self._runner.server
        assert server is not None
        self._server = await asyncio.get_running_loop().create_server(
            lambda: _Upgrade(server, self._tls, self._handshake_timeout),
            self._host,
            self._port,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            reuse_port=self._reuse_port,
        )
        sockets = self._server.sockets
        self._bound_port = sockets[0].getsockname()[1] if sockets else self._port
