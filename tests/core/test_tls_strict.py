"""Every certificate the project makes passes RFC 5280-strict verification, and the gateway verifies strictly.

Python 3.13 turns on OpenSSL's ``VERIFY_X509_STRICT`` by default; the gateway's own contexts
(``gateway.tls``) turn it on on every interpreter. So these tests hold the test PKI, the demo's throw-away CA
and the simulators' certificates to the strict checks on 3.11 as on 3.13: a real TLS handshake between two
strict contexts, and `cryptography`'s RFC 5280 verifier (for client certificates: the gateway's own
CertificateGate).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import PolicyBuilder, Store

from adapters.osr.config import OsrConfig
from adapters.parnassys.client import OsoSoapClient
from adapters.parnassys.config import ClientConfig, Credential
from adapters.parnassys.identity import CertificateGate, SenderConfig, oin_of
from adapters.parnassys.simulator.test_pki import Issued, ThrowAwayCA, new_key
from adapters.parnassys.simulator.world import SimulatedWorld, start_world
from gateway.cli.serve import server_ssl_context
from gateway.settings import Settings
from gateway.tls import client_context, server_context
from tests.support.tls import handshake

OIN = "00000001234567890000"
NOW = dt.datetime.now(dt.UTC)


def _strict(ctx: ssl.SSLContext) -> ssl.SSLContext:
    assert ctx.verify_flags & ssl.VERIFY_X509_STRICT, "the test itself must verify strictly"
    return ctx


def assert_strict_server_certificate(ca_pem: bytes, server: ssl.SSLContext, leaf: x509.Certificate) -> None:
    """A strict client trusting only ``ca_pem`` completes a handshake with ``server`` for every name the
    certificate carries; `cryptography`'s verifier agrees."""
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    hosts = [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] + names.get_values_for_type(x509.DNSName)
    assert hosts
    for host in hosts:
        handshake(_strict(server), _strict(client_context(cadata=ca_pem.decode())), hostname=host)
    store = Store(x509.load_pem_x509_certificates(ca_pem))
    subjects: list[x509.IPAddress | x509.DNSName] = [
        x509.IPAddress(ip) for ip in names.get_values_for_type(x509.IPAddress)
    ]
    subjects += [x509.DNSName(name) for name in names.get_values_for_type(x509.DNSName)]
    for subject in subjects:
        PolicyBuilder().store(store).time(NOW).build_server_verifier(subject).verify(leaf, [])


def assert_strict_client_certificate(ca_pem: bytes, client: Issued, directory: Path) -> None:
    """A strict server that demands a certificate from ``ca_pem``'s CA accepts ``client``; so does the
    gateway's CertificateGate, which reads the OIN from it."""
    server = ThrowAwayCA("Server-side CA").issue_server()
    server_ctx = _strict(server_context())
    server_ctx.load_cert_chain(*server.write(directory, "strict-server"))
    server_ctx.load_verify_locations(cadata=ca_pem.decode())
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    client_ctx = _strict(client_context())
    client_ctx.check_hostname, client_ctx.verify_mode = False, ssl.CERT_NONE  # only the client side is judged
    client_ctx.load_cert_chain(*client.write(directory, "strict-client"))
    seen = handshake(server_ctx, client_ctx).getpeercert(binary_form=True)
    assert seen == client.cert.public_bytes(serialization.Encoding.DER)
    oin = oin_of(client.cert)
    assert oin is not None
    gate = CertificateGate(trust_store_pem=ca_pem, senders=[SenderConfig(oin, "leverancier")])
    assert gate.identify(peer_der=seen, remote=None, headers={}).oin == oin


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_every_certificate_the_test_pki_makes_passes_strict_verification(kind: str, tmp_path: Path) -> None:
    ca = ThrowAwayCA(key=new_key(kind))
    for server in (ca.issue_server(key=new_key(kind)), ca.issue_server(("localhost",), oin=OIN)):
        assert_strict_server_certificate(ca.cert_pem, ca.server_ssl_context(server, tmp_path), server.cert)
    assert_strict_client_certificate(ca.cert_pem, ca.issue_client(OIN, key=new_key(kind)), tmp_path)


def test_the_ca_carries_what_rfc_5280_asks_of_a_ca() -> None:
    ext = ThrowAwayCA().cert.extensions
    basic = ext.get_extension_for_class(x509.BasicConstraints)
    usage = ext.get_extension_for_class(x509.KeyUsage)
    assert basic.critical and basic.value.ca
    assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
    ext.get_extension_for_class(x509.SubjectKeyIdentifier)
    ext.get_extension_for_class(x509.AuthorityKeyIdentifier)


@pytest.fixture
async def demo_world(tmp_path: Path) -> AsyncIterator[SimulatedWorld]:
    world = await start_world(tmp_path / "oso-demo")  # what `gateway demo` starts
    try:
        yield world
    finally:
        await world.stop()


async def test_the_demo_certificates_pass_strict_verification(demo_world: SimulatedWorld, tmp_path: Path) -> None:
    files, ca_pem = demo_world.files, demo_world.files["ca"].read_bytes()
    # the gateway's HTTPS as the demo configures it, and the clients' certificates the demo writes
    gateway_tls = server_ssl_context(Settings().replace(**demo_world.tls_settings()))
    assert gateway_tls is not None
    server_cert = x509.load_pem_x509_certificate(files["server.crt"].read_bytes())
    assert_strict_server_certificate(ca_pem, gateway_tls, server_cert)
    for stem in ("gateway", "topicus"):
        crt, key = files[f"{stem}.crt"], files[f"{stem}.key"]
        written = Credential.from_files(crt, key)
        assert isinstance(written.key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
        assert_strict_client_certificate(ca_pem, Issued(written.certificate, written.key), tmp_path)
    # the simulators' own HTTPS (Traffic Center, LAS), as the gateway's strict client meets it
    for url in (demo_world.tc_url, demo_world.las_url):
        parts = urlsplit(url)
        assert parts.scheme == "https"
        _, writer = await asyncio.open_connection(
            parts.hostname, parts.port, ssl=client_context(cadata=ca_pem.decode()), server_hostname=parts.hostname
        )
        writer.close()
        await writer.wait_closed()


def _client_of_the_oso_adapter(ca: ThrowAwayCA) -> ssl.SSLContext:
    config = ClientConfig(gateway_oin=OIN, traffic_center_url="https://127.0.0.1/tc", traffic_center_oin=OIN)
    return OsoSoapClient(config)._ssl


def _client_of_the_osr_adapter(ca: ThrowAwayCA, directory: Path) -> ssl.SSLContext:
    crt, key = ca.issue_client(OIN).write(directory, "osr")
    context = OsrConfig(base_url="https://127.0.0.1:1/api", cert_file=crt, key_file=key).ssl_context()
    assert context is not None
    return context


def _gateway_https(ca: ThrowAwayCA, directory: Path) -> ssl.SSLContext:
    crt, key = ca.issue_server().write(directory, "https")
    settings = Settings(tls_cert=crt, tls_key=key, tls_client_ca=ca.write_trust_store(directory / "ca.pem"))
    context = server_ssl_context(settings)
    assert context is not None
    return context


@pytest.mark.parametrize(
    "make",
    [
        lambda ca, d: _gateway_https(ca, d),
        lambda ca, d: _client_of_the_oso_adapter(ca),
        lambda ca, d: _client_of_the_osr_adapter(ca, d),
        lambda ca, d: client_context(),  # SMTP STARTTLS
    ],
    ids=["gateway-https", "oso-client", "osr-client", "smtp"],
)
def test_the_gateways_own_tls_contexts_verify_strictly_on_every_interpreter(
    make: Callable[[ThrowAwayCA, Path], ssl.SSLContext], tmp_path: Path
) -> None:
    context = make(ThrowAwayCA(), tmp_path)
    assert context.verify_flags & ssl.VERIFY_X509_STRICT
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2


def _without_authority_key_identifier(ca: ThrowAwayCA) -> Issued:
    """A loopback server certificate as a careless tool makes it: chains to the CA, but no AKI."""
    key = new_key("ec")
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(hours=1))
        .not_valid_after(NOW + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(ca.key, hashes.SHA256())
    )
    return Issued(cert, key)


def test_a_certificate_without_authority_key_identifier_is_refused_on_every_interpreter(tmp_path: Path) -> None:
    ca = ThrowAwayCA()
    server = server_context()
    server.load_cert_chain(*_without_authority_key_identifier(ca).write(tmp_path, "careless"))
    with pytest.raises(ssl.SSLCertVerificationError, match="Authority Key Identifier"):
        handshake(server, client_context(cadata=ca.cert_pem.decode()))


def test_a_ca_whose_basic_constraints_are_not_critical_is_refused_on_every_interpreter(tmp_path: Path) -> None:
    ca = ThrowAwayCA()
    ca.cert = (  # the same CA, its basic constraints marked non-critical
        x509.CertificateBuilder()
        .subject_name(ca.cert.subject)
        .issuer_name(ca.cert.subject)
        .public_key(ca.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(ca.cert.not_valid_before_utc)
        .not_valid_after(ca.cert.not_valid_after_utc)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=False)
        .add_extension(ca.cert.extensions.get_extension_for_class(x509.KeyUsage).value, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca.key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    server = ca.issue_server()
    with pytest.raises(ssl.SSLCertVerificationError, match=r"(?i)basic constraints"):
        handshake(ca.server_ssl_context(server, tmp_path), client_context(cadata=ca.cert_pem.decode()))
