"""Knobs of the OSO adapter (frozen; `adapters.parnassys.settings_map` maps the settings onto them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from adapters.parnassys.identity import SenderConfig
from gateway.outbound.guards import GuardPolicy
from gateway.outbound.retry import RetryPolicy

__all__ = ["ClientConfig", "Credential", "EndpointConfig", "GuardPolicy", "RetryPolicy"]


@dataclass(frozen=True)
class Credential:
    """The gateway's own PKIoverheid certificate and key (TLS client auth and 2W-be-S signing)."""

    certificate: x509.Certificate
    key: PrivateKeyTypes
    cert_path: Path | None = None
    key_path: Path | None = None

    @classmethod
    def from_files(cls, cert_path: Path, key_path: Path, password: bytes | None = None) -> Credential:
        cert = x509.load_pem_x509_certificates(Path(cert_path).read_bytes())[0]
        key = load_pem_private_key(Path(key_path).read_bytes(), password=password)
        return cls(certificate=cert, key=key, cert_path=Path(cert_path), key_path=Path(key_path))


@dataclass(frozen=True)
class EndpointConfig:
    """The inbound notificatie endpoint."""

    gateway_oin: str  # our OIN (Kindkans/SWV side), expected in wsa:To ?oin= and put in wsa:From of replies
    trust_store_pem: bytes  # CA certificates client certificates must chain to (PKIoverheid / PKI-onderwijs)
    senders: tuple[SenderConfig, ...]  # suppliers registered as sending system, each with its profile
    doel_routeringskenmerken: frozenset[str]  # the doelRouteringsKenmerk values that address us
    public_url: str  # how senders reach the gateway (``[gateway] public_url``): the WSDL's address, never Host
    swv_code: str = "PO3008"
    path: str = "/oso/swv"
    max_body_bytes: int = 64 * 1024  # a notificatie is < 4 KiB; refused before it is read whole
    body_timeout: float = 3.0  # seconds to read the whole body: a trickling or stalled sender is cut off (408)
    trusted_proxies: tuple[str, ...] = ()  # addresses/networks allowed to forward a client certificate
    proxy_header: str = "X-SSL-Client-Cert"  # URL-encoded PEM, as nginx's $ssl_client_escaped_cert
    max_clock_skew: dt.timedelta = dt.timedelta(minutes=2)
    max_message_age: dt.timedelta = dt.timedelta(minutes=5)  # Timestamp/Created older than this: stale
    require_from_oin: bool = True  # wsa:From/wsa:Address must carry ?oin= equal to the TLS client's OIN
    signing: Credential | None = None  # when set, replies and faults to senders whose `signs_replies` are signed

    @property
    def address(self) -> str:
        """The endpoint's public address, as the WSDL advertises it."""
        return f"{self.public_url.rstrip('/')}{self.path}"


@dataclass(frozen=True)
class ClientConfig:
    """The outbound OSO clients (Traffic Center, the school's LAS)."""

    gateway_oin: str
    traffic_center_url: str
    traffic_center_oin: str
    trust_store_pem: bytes | None = None  # CAs for the servers we call (None: system default)
    credential: Credential | None = None  # mutual TLS client certificate (and signing key)
    sign: bool = True  # 2W-be-S: sign every request with `credential`
    overdrachtsoort: str = "SWVaanvraag"
    connect_timeout: float = 5.0
    read_timeout: float = 30.0  # per call; a documentRequest for a large dossier may take a while
    max_response_bytes: int = 512 * 1024 * 1024  # documentResponse limit (bijlagen ≤ 10 MB each, base64)
    # a documentResponse growing past this is read as it arrives, without a DOM (adapters.parnassys.soap_stream);
    # smaller ones (the usual ≈ 400 kB) are parsed whole, faster in CPU. The dossier reader's fast path
    # (gateway.dossier.DossierLimits.fast_path_bytes) ends at the same size.
    stream_response_bytes: int = 2 * 1024 * 1024
    # where such an answer's dossier is spooled, sealed (gateway.store.spool), until the dossier reader has read
    # it; `oso_settings` sets <data_dir>/spool (None: the system's temp dir, which may be a tmpfs, i.e. RAM)
    spool_dir: Path | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)  # per call: 3 attempts, waits from 0.2 s up to 2 s
    las_oin: str | None = None  # OIN expected in wsa:To for the LAS (None: leave ?oin= off)
    las_guard: GuardPolicy = field(default_factory=GuardPolicy)  # per school LAS endpoint: bulkhead of 2
    # one Traffic Center for every exchange: no bulkhead (it would cap all traffic), only the breaker
    traffic_center_guard: GuardPolicy = field(default_factory=lambda: GuardPolicy(max_concurrent=0))
