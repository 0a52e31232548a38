"""The school's ParnasSys endpoint for a ``bronRouteringsKenmerk``, from the OSR (``GET /endpoints``).

The kenmerk is asked for in its 20-position OSO'21 form (``0000000700014SS00501``), which is the OSR's
``routing_id``. Answers are cached per routing id (the OSR rate-limits ``/endpoints``); an OSR that cannot
be reached raises ``Transient(waiting_for="osr")``; no endpoint at all is a refusal the school can act on
(``OSO_LAS_ENDPOINT_ONBEKEND``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import structlog

from adapters.osr.client import OsrClient, OsrRejected
from adapters.parnassys.refusals import refusal
from gateway.errors import Refusal, Transient
from gateway.store.types import utcnow
from verification.identifiers import OngeldigeIdentificatie
from verification.routering import parse_routeringskenmerk

__all__ = ["OsrLasEndpoints"]

log = structlog.get_logger("adapters.parnassys.las_endpoints")


class OsrLasEndpoints:
    """Implements ``adapters.parnassys.ports.LasEndpoints``."""

    def __init__(
        self,
        client: OsrClient,
        *,
        service_namespace: str,
        ttl: dt.timedelta = dt.timedelta(hours=1),
        timezone: str = "Europe/Amsterdam",
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.client = client
        self.service_namespace = service_namespace
        self.ttl = ttl
        self._tz = ZoneInfo(timezone)
        self._clock = clock
        self._cache: dict[str, tuple[dt.datetime, str]] = {}

    async def las_endpoint(self, bron_routeringskenmerk: str, brin: str) -> str:
        try:
            routing_id = parse_routeringskenmerk(bron_routeringskenmerk).long_form(brin)
        except (OngeldigeIdentificatie, ValueError) as exc:
            unknown = refusal("OSO_LAS_ENDPOINT_ONBEKEND", "bronRouteringsKenmerk", value=bron_routeringskenmerk)
            raise Refusal([unknown]) from exc
        now = self._clock()
        cached = self._cache.get(routing_id)
        if cached is not None and now - cached[0] <= self.ttl:
            return cached[1]
        day = now.astimezone(self._tz).date()
        try:
            endpoints = await self.client.endpoints(
                service_version_namespace=self.service_namespace, routing_id=routing_id, reference_date=day
            )
        except OsrRejected as exc:
            log.error("osr_weigert_verzoek", reden=str(exc), status=exc.status)
            raise Transient(str(exc), waiting_for="osr") from exc
        valid = [e for e in endpoints if e.valid_on(day) and e.url]
        if not valid:
            raise Refusal([refusal("OSO_LAS_ENDPOINT_ONBEKEND", "bronRouteringsKenmerk", value=routing_id)])
        url = valid[0].url
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[routing_id] = (now, url)
        return url
