"""A throw-away test PKI: a CA, a server certificate for loopback and client certificates with an OIN.

TEST DOUBLE. Generated at test (or benchmark) time with `cryptography`; never used by `gateway serve`. The
tests, the simulators and the demo take every certificate they need from here.
Client certificates carry the OIN in ``Subject.serialNumber`` as PKIoverheid / PKI-onderwijs certificates
do, and have the clientAuth extended key usage so that both the TLS layer and
`cryptography.x509.verification` accept them.

Every certificate is RFC 5280-conformant, so it passes OpenSSL's strict chain checks
(``ssl.VERIFY_X509_STRICT``, on by default since Python 3.13, and on in the gateway's own TLS contexts on
every interpreter, see ``gateway.tls``): the CA has critical basic constraints, a critical key usage with
keyCertSign and a subject key identifier; every certificate has a subject key identifier and an authority
key identifier (keyid) naming its issuer's key; leaf certificates are no CA, carry a critical key usage
and an extended key usage. ``tests/core/test_tls_strict.py`` checks them against both verifiers.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gateway.tls import client_context, server_context

__all__ = ["Issued", "PrivateKey", "ThrowAwayCA", "new_key"]

_KEY_SIZE = 2048

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=_KEY_SIZE)


def new_key(kind: str = "rsa") -> PrivateKey:
    """A fresh private key: ``rsa`` (2048 bits, as PKIoverheid issues) or ``ec`` (P-256)."""
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "rsa":
        return _key()
    raise ValueError(f"unknown key kind {kind!r}")


@dataclass(frozen=True)
class Issued:
    """A certificate with its private key (PEM forms ready for files and ssl contexts)."""

    cert: x509.Certificate
    key: PrivateKey

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def write(self, directory: Path, stem: str) -> tuple[Path, Path]:
        """Write ``<stem>.crt`` and ``<stem>.key``; returns both paths."""
        directory.mkdir(parents=True, exist_ok=True)
        crt, key = directory / f"{stem}.crt", directory / f"{stem}.key"
        crt.write_bytes(self.cert_pem)
        key.write_bytes(self.key_pem)
        key.chmod(0o600)
        return crt, key


class ThrowAwayCA:
    """A self-signed CA that issues loopback server and OIN-carrying client certificates."""

    def __init__(self, name: str = "SWV Gateway Throw-away Test CA", *, key: PrivateKey | None = None) -> None:
        self.key: PrivateKey = key if key is not None else _key()
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = _now()
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def write_trust_store(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.cert_pem)
        return path

    def _issue(
        self,
        subject: x509.Name,
        *,
        eku: list[x509.ObjectIdentifier],
        san: list[x509.GeneralName] | None,
        valid_days: int = 7,
        key: PrivateKey | None = None,
    ) -> Issued:
        key = key if key is not None else _key()
        now = _now()
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=valid_days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=isinstance(key, rsa.RSAPrivateKey),  # RFC 5480: never for an EC key
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage(eku), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
        )
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
        return Issued(cert=builder.sign(self.key, hashes.SHA256()), key=key)

    def issue_server(
        self,
        hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
        *,
        oin: str | None = None,
        key: PrivateKey | None = None,
    ) -> Issued:
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        attrs = [x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]
        if oin:
            attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, oin))
        return self._issue(
            x509.Name(attrs),
            eku=[ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
            san=names,
            key=key,
        )

    def issue_client(
        self, oin: str, organisation: str = "Test leverancier", *, key: PrivateKey | None = None
    ) -> Issued:
        """A PKIoverheid-like client (and signing) certificate: the OIN in ``Subject.serialNumber``."""
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, oin),
                x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} OSO"),
            ]
        )
        return self._issue(subject, eku=[ExtendedKeyUsageOID.CLIENT_AUTH], san=None, key=key)

    def server_ssl_context(self, server: Issued, directory: Path) -> ssl.SSLContext:
        """A server context that asks for (but does not demand) a client certificate from this CA.

        CERT_OPTIONAL: a client without a certificate still completes the handshake, so the endpoint can
        answer with a SOAP fault that says what is missing; a certificate that does not chain is refused
        by the TLS layer itself.
        """
        crt, key = server.write(directory, "server")
        ctx = server_context()  # strict chain checks, as the gateway's own
        ctx.load_cert_chain(crt, key)
        ctx.load_verify_locations(cadata=self.cert_pem.decode())
        ctx.verify_mode = ssl.CERT_OPTIONAL
        return ctx

    def client_ssl_context(self, client: Issued | None, directory: Path, stem: str = "client") -> ssl.SSLContext:
        ctx = client_context(cadata=self.cert_pem.decode())
        if client is not None:
            crt, key = client.write(directory, stem)
            ctx.load_cert_chain(crt, key)
        return ctx
