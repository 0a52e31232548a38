"""The running parts of one gateway process, built once from the settings.

Adapters plug in through `install(app, components)` functions called by the app factory: they add their
routes and register their exchange handlers (per exchange kind), outbound deliverers (per message kind),
status hooks (per source system) and the Dutch labels of the parties they wait for here, and may append
process-local metric sources (`metric_sources`, shown on /metrics) and periodic jobs (`background`, run by
processes that process, next to the workers). Core code only sees the protocols in gateway.pipeline.contracts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gateway.inbox.inbox import Inbox
from gateway.outbound.retry import RetryPolicy
from gateway.pipeline.contracts import ExchangeHandler, OutboundDeliverer, StatusHook
from gateway.settings import Settings
from gateway.store.blob_config import blob_settings, build_blob_store
from gateway.store.blobs import BlobStore
from gateway.store.db import Database

if TYPE_CHECKING:
    from gateway.metric_samples import MetricSource

__all__ = ["Components", "build_components"]


@dataclass
class Components:
    settings: Settings
    db: Database
    blobs: BlobStore
    inbox: Inbox
    retry: RetryPolicy
    handlers: dict[str, ExchangeHandler] = field(default_factory=dict)
    deliverers: dict[str, OutboundDeliverer] = field(default_factory=dict)
    # what follows a hulpvraag's status change, per source system (gateway.pipeline.status.change_status)
    status_hooks: dict[str, StatusHook] = field(default_factory=dict)
    # whom a Transient's ``waiting_for`` names, in Dutch (``{"osr": "het OSR"}``): the queue's "Wacht op …"
    waiting_for_labels: dict[str, str] = field(default_factory=dict)
    # path patterns (fnmatch) of routes an adapter added that authenticate their callers themselves: the pages'
    # access policy lets them through as machine routes (gateway.web.pages.policy)
    machine_routes: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)  # adapter-owned shared objects (clients, caches)
    # process-local figures for /metrics (breaker states, call counters): see gateway.metric_samples.Sample
    metric_sources: list[MetricSource] = field(default_factory=list)
    # adapter-owned periodic jobs (e.g. a sweeper): run next to the workers in a process that processes,
    # each until the event is set
    background: list[Callable[[asyncio.Event], Awaitable[None]]] = field(default_factory=list)

    async def close(self) -> None:
        for obj in self.extras.values():
            closer = getattr(obj, "close", None)
            if closer is not None:
                result = closer()
                if hasattr(result, "__await__"):
                    await result
        await self.db.dispose()


def build_components(settings: Settings) -> Components:
    db = Database(settings.effective_database_url)
    db.secret_keyring = blob_settings(settings).keyring
    return Components(
        settings=settings,
        db=db,
        blobs=build_blob_store(settings),
        inbox=Inbox(db, lease_seconds=settings.lease_seconds),
        retry=RetryPolicy(settings.retry_base_seconds, settings.retry_max_seconds),
    )
