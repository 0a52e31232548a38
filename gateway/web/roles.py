"""What a process of role ``worker`` answers over HTTP: only its health and metrics.

A worker process processes the inbox and the outbox; schools, ESIS and users talk to ``intake`` (or ``all``)
processes. The worker still listens, so an orchestrator can probe ``/health/live`` and ``/health/ready`` and
Prometheus can scrape ``/metrics``; everything else gets a coded 404 that says where to send it instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from gateway.web.http_errors import finding_response
from verification.findings import fout

__all__ = ["WORKER_PATHS", "processing_only_middleware"]

WORKER_PATHS = ("/health/live", "/health/ready", "/metrics")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def processing_only_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path in WORKER_PATHS:
        return await handler(request)
    finding = fout(
        "PROCES_ALLEEN_VERWERKING",
        "Dit gateway-proces verwerkt alleen de wachtrij en neemt geen berichten of paginaverzoeken aan. Stuur het "
        "verzoek naar het adres van de gateway zelf (een proces met rol 'intake' of 'all').",
        "HTTP",
    )
    return finding_response(finding, 404)
