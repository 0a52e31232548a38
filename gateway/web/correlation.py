"""One correlation id per request, bound to every log line written while it is handled.

The inbox stores the id with the exchange it receives, and the worker binds the same id again when it
processes that exchange, so intake and processing of one exchange share one id in the logs. The id is
returned in the ``X-Correlation-ID`` response header (a school's IT admin can quote it to the secretariaat).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from gateway.logging import new_correlation_id

__all__ = ["HEADER", "correlation_middleware", "current_correlation_id"]

HEADER = "X-Correlation-ID"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def current_correlation_id() -> str | None:
    value = structlog.contextvars.get_contextvars().get("correlation_id")
    return value if isinstance(value, str) else None


@web.middleware
async def correlation_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    cid = new_correlation_id()  # never taken from the request: ids are ours, so they cannot collide or inject
    tokens = structlog.contextvars.bind_contextvars(correlation_id=cid)
    try:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            exc.headers[HEADER] = cid
            raise
        if not response.prepared:
            response.headers[HEADER] = cid
        return response
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
