"""PostgreSQL: ping a pooled connection before use only when it has been idle for a while.

A connection that waited in the pool may have been closed by the server (a restart, a failover, an idle
timeout of a proxy); SQLAlchemy's ``pool_pre_ping`` finds that out by a round trip before *every* checkout
— on asyncpg three (``BEGIN; SELECT 1; ROLLBACK``), ≈ 80 µs of the process's CPU and three statements of
the server's for every unit of work, ≈ a quarter of a small unit's cost. Under load a connection goes back
into use within milliseconds, so the ping almost never finds anything. Here a connection is pinged on
checkout only when it has been idle in the pool for at least ``after_idle`` seconds; a dead one is
replaced (and the pool's older connections with it) before the unit runs, exactly as with the pre-ping.

What this gives up: a connection the server closed less than ``after_idle`` ago is found out by the unit
that uses it. That unit fails with a disconnect error (nothing of it is committed), SQLAlchemy invalidates
the pool, and the next unit gets a new connection — the same as for the units that were running when the
server went away, which fail with or without a pre-ping. Every caller already treats a failed unit as an
outage that delays work: the intake answers 503 and the sender sends again, a worker leaves the exchange
to be retried (docs/reliability.md).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

__all__ = ["DEFAULT_AFTER_IDLE", "ping_when_idle"]

DEFAULT_AFTER_IDLE = 1.0  # seconds a connection may sit in the pool before it is pinged on checkout

_IDLE_SINCE = "gateway_idle_since"


def ping_when_idle(engine: Engine, *, after_idle: float = DEFAULT_AFTER_IDLE) -> None:
    """Install the checkin/checkout listeners on ``engine``'s pool (an async engine's ``sync_engine``)."""
    pool, dialect = engine.pool, engine.dialect

    @event.listens_for(pool, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < after_idle:
            return  # a new connection, or one in use moments ago
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure of the ping: do not use this connection
            # the pool replaces this connection (and, as the pre-ping does, every older one) and tries again
            raise exc.InvalidatePoolError(f"idle connection failed its ping: {error}") from error
