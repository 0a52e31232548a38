"""Async client for the OSR REST API: mutual TLS, timeouts, retries on transient failures only, and the core's
outbound guards.

Retried (the core's `RetryPolicy`: exponential backoff with jitter, driven by tenacity): connection errors and
resets, timeouts, 429 (after its Retry-After) and 5xx. Never retried: other 4xx — they mean our request or
certificate is wrong (`OsrRejected`, a `ConfigError`), as does a server certificate we do not trust.
``GET /mandates`` answering 404 means "no mandate": a result.
When the attempts are used up, or a Retry-After exceeds ``max_retry_after``, `Transient` is raised with
``waiting_for="osr"`` so the exchange waits in the queue.

Every request (with its retries) goes through the OSR's `EndpointGuards` (`gateway.outbound.guards`): after
``failure_threshold`` consecutive requests that failed after all their attempts, the circuit of that OSR path
opens and requests fail fast with `Transient` ("Het OSR is niet bereikbaar (stroomonderbreker open; …)")
without touching the network, for a cool-down; then one probe goes through. An answer — also a 4xx
(`OsrRejected`) or a 404 — closes it. A bulkhead (``max_concurrent``, off by default) bounds the requests
in flight. The figures are on /metrics as ``system="osr"`` (the OSR plug-in registers them).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import json
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

import aiohttp
import structlog
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from adapters.osr.config import OsrConfig
from adapters.osr.wire import Endpoint, MandateAnswer, Service, ServiceVersion
from gateway.errors import ConfigError, Transient
from gateway.outbound.breaker import Blocked
from gateway.outbound.guards import EndpointGuards

__all__ = ["OsrClient", "OsrRejected"]

log = structlog.get_logger(__name__)


class OsrRejected(ConfigError):
    """The OSR refused our request (4xx other than a 404 on /mandates, or an unreadable answer)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def _retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def _unreachable(system: str, operation: str, url: str, blocked: Blocked) -> str:
    """What a request the guards stopped says (it reaches the queue page as the reason the exchange waits)."""
    return f"Het OSR is niet bereikbaar ({blocked.reason})."


class OsrClient:
    """Use as ``async with OsrClient(config) as osr: await osr.mandate(...)``.

    ``session`` may be given (the caller then owns it); ``sleep`` is injectable for tests.
    """

    def __init__(
        self,
        config: OsrConfig,
        *,
        session: aiohttp.ClientSession | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._config = config
        self._ssl = config.ssl_context()
        self._session = session
        self._own_session = session is None
        self._sleep = sleep
        self._retry = config.retry
        self.guards = EndpointGuards("osr", config.guard, events="osr", describe=_unreachable)

    async def __aenter__(self) -> OsrClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=16), headers={"Accept": "application/json"}
            )
        return self._session

    # --- the API -------------------------------------------------------------------------------------

    async def mandate(
        self,
        *,
        school_oin: str,
        supplier_oin: str,
        service_version_namespace: str,
        reference_date: dt.date,
    ) -> MandateAnswer:
        data = await self._get_json(
            "/mandates",
            {
                "supplier_oin": supplier_oin,
                "school_oin": school_oin,
                "service_version_namespace": service_version_namespace,
                "reference_date": reference_date.isoformat(),
            },
            not_found_is_none=True,
        )
        if data is not None and not isinstance(data, dict):
            raise OsrRejected("Het OSR gaf een onleesbaar antwoord op /mandates.")
        return MandateAnswer.from_json(
            data,
            school_oin=school_oin,
            supplier_oin=supplier_oin,
            service_version_namespace=service_version_namespace,
            reference_date=reference_date,
        )

    async def endpoints(
        self,
        *,
        service_version_namespace: str,
        routing_id: str | None = None,
        school_oin: str | None = None,
        reference_date: dt.date | None = None,
    ) -> list[Endpoint]:
        if (routing_id is None) == (school_oin is None):
            raise ValueError("give exactly one of routing_id and school_oin")
        params = {"service_version_namespace": service_version_namespace}
        params.update({"routing_id": routing_id} if routing_id else {"school_oin": school_oin or ""})
        if reference_date is not None:
            params["reference_date"] = reference_date.isoformat()
        data = await self._get_json("/endpoints", params, not_found_is_none=True)
        return [Endpoint.from_json(item) for item in self._items(data, "/endpoints")]

    async def services(self) -> list[Service]:
        data = await self._get_json("/services", {})
        return [Service.from_json(item) for item in self._items(data, "/services")]

    async def service_versions(self) -> list[ServiceVersion]:
        data = await self._get_json("/service-versions", {})
        return [ServiceVersion.from_json(item) for item in self._items(data, "/service-versions")]

    @staticmethod
    def _items(data: Any, path: str) -> list[dict[str, Any]]:
        if data is None:
            return []
        if isinstance(data, dict):  # tolerate {"items": [...]} as well as a bare list
            data = data.get("items", data.get("results"))
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise OsrRejected(f"Het OSR gaf een onleesbaar antwoord op {path}.")
        return data

    # --- transport -----------------------------------------------------------------------------------

    async def _get_json(self, path: str, params: dict[str, str], *, not_found_is_none: bool = False) -> Any:
        url = self._config.base_url.rstrip("/") + path
        async with self.guards.call(url, path) as call:  # Transient at once while the circuit is open
            try:
                return await self._with_retries(path, params, not_found_is_none)
            except _Retryable as exc:
                call.failed(exc.retry_after)
                log.warning("osr_unreachable", path=path, reason=exc.reason, retry_after=exc.retry_after)
                raise Transient(
                    f"Het OSR is niet bereikbaar ({exc.reason}).", waiting_for="osr", retry_after=exc.retry_after
                ) from exc
            except OsrRejected:
                call.answered()  # the OSR is there; its verdict is about our request
                raise

    async def _with_retries(self, path: str, params: dict[str, str], not_found_is_none: bool) -> Any:
        retrying = AsyncRetrying(
            stop=self._stop,
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(path, params, not_found_is_none)
        raise AssertionError("unreachable")  # pragma: no cover

    def _stop(self, state: RetryCallState) -> bool:
        if stop_after_attempt(self._retry.attempts)(state):
            return True
        exc = state.outcome.exception() if state.outcome else None
        return isinstance(exc, _Retryable) and (exc.retry_after or 0) > self._config.max_retry_after

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return exc.retry_after
        return self._retry.delay(state.attempt_number)

    @staticmethod
    def _log_retry(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.info(
            "osr_request_retry",
            attempt=state.attempt_number,
            reason=getattr(exc, "reason", str(exc)),
            wait=state.next_action.sleep if state.next_action else None,
        )

    async def _attempt(self, path: str, params: dict[str, str], not_found_is_none: bool) -> Any:
        url = self._config.base_url.rstrip("/") + path
        timeout = aiohttp.ClientTimeout(total=self._config.total_timeout, sock_connect=self._config.connect_timeout)
        try:
            async with self._get_session().get(
                url, params=params, timeout=timeout, ssl=self._ssl if self._ssl is not None else True
            ) as response:
                status = response.status
                if status == 429 or status >= 500:
                    raise _Retryable(f"HTTP {status}", _retry_after_seconds(response.headers.get("Retry-After")))
                if status == 404 and not_found_is_none:
                    return None
                body = await response.content.read(self._config.max_response_bytes + 1)
        except aiohttp.ClientConnectorCertificateError as exc:
            raise OsrRejected(
                "Het servercertificaat van het OSR wordt niet vertrouwd: controleer het OSR-adres en de "
                f"ingestelde CA ({exc.certificate_error}).",
            ) from exc
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
            raise _Retryable(f"verbinding mislukt: {type(exc).__name__}") from exc
        except TimeoutError as exc:
            raise _Retryable("time-out") from exc
        if status in (401, 403):
            raise OsrRejected(
                f"Het OSR weigert de toegang (HTTP {status}): controleer het PKIoverheid-clientcertificaat en "
                "het OIN waarmee de gateway bij het OSR bekend is.",
                status=status,
            )
        if status >= 400:
            raise OsrRejected(f"Het OSR weigert het verzoek {path} (HTTP {status}).", status=status)
        if len(body) > self._config.max_response_bytes:
            raise OsrRejected(f"Het antwoord van het OSR op {path} is te groot.", status=status)
        try:
            return json.loads(body) if body else None
        except ValueError as exc:
            raise OsrRejected(f"Het OSR gaf geen geldige JSON op {path}.", status=status) from exc
