"""Knobs of the OSR adapter: where the OSR is, our PKIoverheid client certificate, timeouts, retries and
the mandate cache. Frozen; `adapters.osr.settings.osr_settings` maps the settings onto them."""

from __future__ import annotations

import datetime as dt
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from gateway.errors import ConfigError
from gateway.outbound.guards import GuardPolicy
from gateway.outbound.retry import RetryPolicy
from gateway.tls import client_context

__all__ = ["MandateCachePolicy", "OsrConfig"]

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@dataclass(frozen=True, slots=True)
class OsrConfig:
    # ASSUMPTION: the OSR API base URL is configuration; this placeholder is not a published address.
    base_url: str = "https://osr.kennisnet.nl/api"
    cert_file: Path | None = None  # PKIoverheid / PKI-onderwijs client certificate (PEM)
    key_file: Path | None = None
    ca_file: Path | None = None  # trust anchors for the OSR's server certificate; None = system store
    connect_timeout: float = 5.0  # seconds
    total_timeout: float = 15.0  # seconds, per attempt
    max_attempts: int = 4  # attempts per request, the first included
    backoff_initial: float = 0.5  # seconds; exponential with jitter between attempts
    backoff_max: float = 8.0
    max_retry_after: float = 30.0  # a longer Retry-After ends the retries at once (the queue waits)
    max_response_bytes: int = 1_048_576
    # the circuit breaker (`gateway.outbound.guards`) per OSR path: after this many consecutive requests that
    # failed after all their attempts, requests fail fast for the cool-down (doubled per failed probe); 0 = never
    failure_threshold: int = 5
    cool_down: float = 1.0
    cool_down_max: float = 60.0
    # the bulkhead: requests in flight to the OSR at a time (0 = no limit beyond the 16 pooled connections;
    # one OSR serves every exchange, so a limit would cap all traffic) and how long one may wait for a slot
    max_concurrent: int = 0
    slot_wait: float = 1.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigError("OSR: max_attempts moet minstens 1 zijn.")
        if self.total_timeout <= 0 or self.connect_timeout <= 0:
            raise ConfigError("OSR: time-outs moeten groter dan 0 zijn.")

    @property
    def retry(self) -> RetryPolicy:
        """The backoff between the attempts of one request."""
        return RetryPolicy(base=self.backoff_initial, cap=self.backoff_max, attempts=self.max_attempts)

    @property
    def guard(self) -> GuardPolicy:
        return GuardPolicy(
            max_concurrent=self.max_concurrent,
            slot_wait=self.slot_wait,
            failure_threshold=self.failure_threshold,
            cool_down=self.cool_down,
            cool_down_max=max(self.cool_down, self.cool_down_max),
        )

    @property
    def uses_tls(self) -> bool:
        return urlsplit(self.base_url).scheme == "https"

    def ssl_context(self) -> ssl.SSLContext | None:
        """Mutual TLS (TLS ≥ 1.2) for https; None for plain http, allowed only on loopback (the simulator)."""
        parts = urlsplit(self.base_url)
        if parts.scheme == "http":
            if parts.hostname not in _LOOPBACK:
                raise ConfigError(
                    f"OSR-adres {self.base_url} gebruikt geen https; alleen de simulator op dit apparaat "
                    "(127.0.0.1/localhost) mag zonder TLS."
                )
            return None
        if parts.scheme != "https":
            raise ConfigError(f"OSR-adres {self.base_url} moet met https:// beginnen.")
        if self.cert_file is None or self.key_file is None:
            raise ConfigError(
                "Het OSR vraagt een PKIoverheid-clientcertificaat: stel het certificaat- en sleutelbestand in."
            )
        for path in (self.cert_file, self.key_file, self.ca_file):
            if path is not None and not Path(path).is_file():
                raise ConfigError(f"OSR: bestand {path} bestaat niet.")
        from gateway.os_errors import tls_error_reason

        try:
            context = client_context(cafile=str(self.ca_file) if self.ca_file else None)
        except OSError as exc:  # ssl.SSLError too
            raise ConfigError(f"OSR: het CA-bestand {self.ca_file} is onbruikbaar: {tls_error_reason(exc)}.") from None
        try:
            context.load_cert_chain(str(self.cert_file), str(self.key_file))
        except OSError as exc:  # ssl.SSLError too
            raise ConfigError(
                f"OSR: het clientcertificaat {self.cert_file} of de sleutel {self.key_file} is onbruikbaar: "
                f"{tls_error_reason(exc)}."
            ) from None
        return context


@dataclass(frozen=True, slots=True)
class MandateCachePolicy:
    ttl: dt.timedelta = dt.timedelta(hours=1)  # a verdict this young is used without asking the OSR
    max_staleness: dt.timedelta = dt.timedelta(hours=24)  # OSR down: a verdict this young still counts
    use_stale_negative: bool = False  # OSR down: may an old "no mandate" refuse? (default: wait instead)
    max_entries: int = 50_000
