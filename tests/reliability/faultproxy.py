"""A scriptable HTTP fault proxy on loopback, put between the gateway and one outside system (TEST DOUBLE).

The gateway is pointed at the proxy instead of the simulator; the proxy forwards every request unchanged
until a fault is set:

- ``"down"``   the system is gone: the listening socket is closed (connection refused) and requests on
               connections that were already open are cut;
- ``"slow:S"`` every answer is delayed by S seconds (longer than the gateway's timeout: the call times out),
               or until the fault is lifted;
- ``"503"``    every request is answered ``503 Service Unavailable`` (optionally with ``Retry-After``);
- ``"reset"``  every request's connection is reset before an answer;
- ``"ok"``     forward again.

``only`` limits the fault to requests whose body contains that text (e.g. ``b"afmeldingRequest"``), so a
single operation of a system can fail. The proxy counts what it did per mode (`counts`).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

__all__ = ["FaultProxy"]

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class FaultProxy:
    upstream: str  # e.g. "http://127.0.0.1:40123" (scheme + host + port; the path is kept from the request)
    name: str = "proxy"
    mode: str = "ok"
    only: bytes | None = None
    retry_after: int | None = None  # sent with "503" when set
    counts: Counter[str] = field(default_factory=Counter)
    port: int = 0
    _runner: web.AppRunner | None = None
    _site: web.TCPSite | None = None
    _session: aiohttp.ClientSession | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> str:
        self.port = self.port or _free_port()
        app = web.Application(client_max_size=1024 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        await self._listen()
        return self.url

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await self._site.start()

    async def set(self, mode: str, *, only: bytes | None = None, retry_after: int | None = None) -> None:
        """Switch the fault (see the module docstring). ``down`` stops listening; leaving it listens again."""
        if mode != "ok" and mode not in ("down", "503", "reset") and not mode.startswith("slow:"):
            raise ValueError(f"unknown fault mode {mode!r}")
        was_down = self.mode == "down" and self.only is None
        self.mode, self.only, self.retry_after = mode, only, retry_after
        self._changed.set()  # release requests held by a previous "slow"
        self._changed = asyncio.Event()
        if mode == "down" and only is None and self._site is not None:
            await self._site.stop()
            self._site = None
        elif was_down and self._site is None:
            await self._listen()

    async def stop(self) -> None:
        self._changed.set()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        mode = self.mode if self.only is None or self.only in body else "ok"
        self.counts[mode.split(":", 1)[0]] += 1
        if mode in ("down", "reset"):
            if request.transport is not None:
                request.transport.abort()
            raise web.HTTPServiceUnavailable()  # never reaches the client: the connection is gone
        if mode == "503":
            headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
            return web.Response(status=503, text=f"{self.name}: tijdelijk niet beschikbaar", headers=headers)
        if mode.startswith("slow:"):  # answered late — or as soon as the fault is lifted
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), float(mode.split(":", 1)[1]))
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        try:
            async with self._session.request(
                request.method, self.upstream + request.path_qs, data=body, headers=headers
            ) as resp:
                data = await resp.read()
                out = {k: v for k, v in resp.headers.items() if k.lower() not in _HOP}
                return web.Response(status=resp.status, body=data, headers=out)
        except (aiohttp.ClientError, ConnectionError, RuntimeError):  # upstream gone, or we are stopping
            with contextlib.suppress(Exception):
                if request.transport is not None:
                    request.transport.abort()
            raise web.HTTPBadGateway() from None
