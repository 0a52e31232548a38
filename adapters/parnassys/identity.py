"""Who is calling: the TLS client certificate, its chain to our trust store and the OIN it carries.

Two ways in (Edukoppeling requires two-way TLS either way):
- the gateway terminates TLS itself: the certificate comes from the TLS session (already chained to the
  trust store by the ssl context; checked again here so a mis-configured context cannot let one through);
- a TLS-terminating proxy forwards the verified client certificate in a header (URL-encoded PEM): accepted
  only from configured proxy addresses, and then chained to the trust store here with `cryptography`.
The OIN is read from ``Subject.serialNumber`` (PKIoverheid / PKI-onderwijs) and must belong to a sender
registered for OSO-SWV. A chain that passed is trusted again for a few minutes without being built anew (never
past its certificates' validity); whether its OIN belongs to a registered sender is asked every time.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from adapters.parnassys.refusals import refusal
from adapters.parnassys.soap import SoapRejected

__all__ = ["CertificateGate", "ClientIdentity", "Profile", "SenderConfig", "oin_of"]

Profile = Literal["2W-be", "2W-be-S"]


@dataclass(frozen=True, slots=True)
class SenderConfig:
    """A supplier registered as sending system (e.g. Topicus for ParnasSys)."""

    oin: str
    name: str
    profile: Profile = "2W-be-S"
    # Whether our replies and faults to this sender carry a signed ``wsse:Security`` header (which SOAP marks
    # ``mustUnderstand="1"``). None: follow the profile — signed for 2W-be-S, not for 2W-be, whose client
    # (e.g. a stock JAX-WS client) does not understand the header and would reject even an accepted call.
    sign_replies: bool | None = None

    @property
    def signs_replies(self) -> bool:
        return self.profile == "2W-be-S" if self.sign_replies is None else self.sign_replies


@dataclass(frozen=True, slots=True)
class ClientIdentity:
    certificate: x509.Certificate
    oin: str
    sender: SenderConfig
    via: Literal["tls", "proxy"]


# PKIoverheid/PKI-onderwijs client certificates identify by OIN in the subject, not by a SubjectAltName:
# relax only that one requirement of the Web PKI defaults.
_EE_POLICY = ExtensionPolicy.webpki_defaults_ee().may_be_present(
    x509.SubjectAlternativeName, Criticality.AGNOSTIC, None
)


def oin_of(cert: x509.Certificate) -> str | None:
    values = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    if len(values) != 1:
        return None
    value = values[0].value
    return value if isinstance(value, str) and value.isdigit() and len(value) == 20 else None


def _load_pems(data: bytes) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(data)


# A chain once verified is trusted again without building it anew (≈ 0.15 ms per request): for as long as every
# certificate of the built chain stays valid, and at most this long, so that a changed clock or trust store
# (a restart) is met within minutes. Only what passed is kept; a refusal is judged again every time.
_TRUSTED_FOR = dt.timedelta(minutes=5)
_TRUSTED_CHAINS = 256  # senders are a handful of suppliers; a full cache is emptied, never a reason to refuse


class CertificateGate:
    """Turns a request's transport into a `ClientIdentity`, or raises `SoapRejected`."""

    def __init__(
        self,
        *,
        trust_store_pem: bytes,
        senders: Iterable[SenderConfig],
        trusted_proxies: Iterable[str] = (),
        proxy_header: str = "X-SSL-Client-Cert",
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        roots = _load_pems(trust_store_pem)
        if not roots:
            raise ValueError("trust store holds no certificates")
        self._store = Store(roots)
        self._senders: dict[str, SenderConfig] = {s.oin: s for s in senders}
        self._proxies = tuple(ipaddress.ip_network(p, strict=False) for p in trusted_proxies)
        self._header = proxy_header
        self._clock = clock
        self._trusted: dict[bytes | str, tuple[list[x509.Certificate], dt.datetime]] = {}

    def _from_trusted_proxy(self, remote: str | None) -> bool:
        if not remote or not self._proxies:
            return False
        try:
            addr = ipaddress.ip_address(remote)
        except ValueError:
            return False
        return any(addr in net for net in self._proxies)

    def _trusted_chain(self, raw: bytes | str, load: Callable[[], list[x509.Certificate]]) -> list[x509.Certificate]:
        """The chain ``raw`` holds (``load`` reads it), verified to our trust store now or recently."""
        now = self._clock()
        known = self._trusted.get(raw)
        if known is not None and now < known[1]:
            return known[0]
        chain = load()
        built = self._verify_chain(chain, now)
        until = min(now + _TRUSTED_FOR, *(c.not_valid_after_utc for c in built))
        if len(self._trusted) >= _TRUSTED_CHAINS:
            self._trusted.clear()
        self._trusted[raw] = (chain, until)
        return chain

    def _verify_chain(self, chain: list[x509.Certificate], now: dt.datetime) -> list[x509.Certificate]:
        verifier = (
            PolicyBuilder()
            .store(self._store)
            .time(now)
            .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=_EE_POLICY)
            .build_client_verifier()
        )
        try:
            return list(verifier.verify(chain[0], chain[1:]).chain)
        except VerificationError as exc:
            raise SoapRejected(
                refusal("TLS_CERTIFICAAT_NIET_VERTROUWD", "TLS", detail=str(exc)[:120]), status=403
            ) from exc

    def _forwarded_chain(self, forwarded: str) -> list[x509.Certificate]:
        try:
            chain = _load_pems(unquote(forwarded).encode("ascii"))
        except ValueError as exc:
            raise SoapRejected(
                refusal("TLS_CERTIFICAAT_NIET_VERTROUWD", self._header, detail="onleesbaar certificaat"),
                status=403,
            ) from exc
        return chain

    def identify(self, *, peer_der: bytes | None, remote: str | None, headers: Mapping[str, str]) -> ClientIdentity:
        forwarded = headers.get(self._header)
        if peer_der is not None:
            chain = self._trusted_chain(peer_der, lambda: [x509.load_der_x509_certificate(peer_der)])
            via: Literal["tls", "proxy"] = "tls"
        elif forwarded:
            if not self._from_trusted_proxy(remote):
                raise SoapRejected(refusal("TLS_PROXY_NIET_VERTROUWD", self._header), status=403)
            chain = self._trusted_chain(forwarded, lambda: self._forwarded_chain(forwarded))
            via = "proxy"
        else:
            raise SoapRejected(refusal("TLS_CLIENTCERTIFICAAT_ONTBREEKT", "TLS"), status=403)
        leaf = chain[0]
        oin = oin_of(leaf)
        if oin is None:
            raise SoapRejected(refusal("TLS_OIN_ONTBREEKT", "TLS"), status=403)
        sender = self._senders.get(oin)
        if sender is None:
            raise SoapRejected(refusal("TLS_AFZENDER_ONBEKEND", "TLS", oin=oin), status=403)
        return ClientIdentity(certificate=leaf, oin=oin, sender=sender, via=via)
