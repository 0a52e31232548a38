"""Mutual TLS: the client presents its certificate from OsrConfig and trusts only the configured CA."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from adapters.osr.client import OsrClient, OsrRejected
from adapters.osr.config import OsrConfig
from adapters.osr.simulator import OsrSimulator, running
from gateway.errors import ConfigError
from tests.osr.conftest import RecordingSleep, fast_config
from tests.osr.factories import PARTIES, READY, TODAY
from verification.identifiers import school_oin

NOW = dt.datetime.now(dt.UTC)


def _name(common: str, serial: str | None = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, common)]
    if serial:  # PKIoverheid puts the OIN in Subject.serialNumber
        parts.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    return x509.Name(parts)


def _cert(subject: x509.Name, key, issuer: x509.Name, issuer_key, *, ca: bool = False, server: bool = False):
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(minutes=5))
        .not_valid_after(NOW + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert, key=None) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        path.with_suffix(".key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return path


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, Path]:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Test CA (geen PKIoverheid)")
    ca = _cert(ca_name, ca_key, ca_name, ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _cert(_name("osr-simulator"), server_key, ca_name, ca_key, server=True)
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = _cert(_name("gateway", PARTIES.kindkans.supplier_oin), client_key, ca_name, ca_key)
    return {
        "ca": _write(tmp_path / "ca.pem", ca),
        "server": _write(tmp_path / "server.pem", server, server_key),
        "client": _write(tmp_path / "client.pem", client, client_key),
    }


def _server_context(pki: dict[str, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki["ca"]))
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(str(pki["server"]), str(pki["server"].with_suffix(".key")))
    return context


async def _ask(osr: OsrClient):
    return await osr.mandate(
        school_oin=school_oin(READY),
        supplier_oin=PARTIES.kindkans.supplier_oin,
        service_version_namespace=PARTIES.service_namespace,
        reference_date=TODAY,
    )


async def test_the_client_certificate_opens_the_door(
    pki: dict[str, Path], simulator: OsrSimulator, sleep: RecordingSleep
) -> None:
    async with running(simulator, ssl_context=_server_context(pki)) as url:
        config = fast_config(
            url,
            cert_file=pki["client"],
            key_file=pki["client"].with_suffix(".key"),
            ca_file=pki["ca"],
            total_timeout=5.0,
        )
        async with OsrClient(config, sleep=sleep) as osr:
            assert (await _ask(osr)).found


async def test_a_server_outside_the_configured_ca_is_not_trusted(
    pki: dict[str, Path], simulator: OsrSimulator, sleep: RecordingSleep, tmp_path: Path
) -> None:
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = _cert(_name("Andere CA"), other_key, _name("Andere CA"), other_key, ca=True)
    async with running(simulator, ssl_context=_server_context(pki)) as url:
        config = fast_config(
            url,
            cert_file=pki["client"],
            key_file=pki["client"].with_suffix(".key"),
            ca_file=_write(tmp_path / "other.pem", other),
            total_timeout=5.0,
        )
        async with OsrClient(config, sleep=sleep) as osr:
            with pytest.raises(OsrRejected, match="niet vertrouwd"):
                await _ask(osr)
    assert simulator.count("/mandates") == 0 and sleep.waits == []


def test_https_without_a_client_certificate_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="clientcertificaat"):
        OsrConfig(base_url="https://osr.example.test").ssl_context()


def test_plain_http_is_only_for_the_simulator_on_loopback() -> None:
    assert OsrConfig(base_url="http://127.0.0.1:8081").ssl_context() is None
    with pytest.raises(ConfigError, match="https"):
        OsrConfig(base_url="http://osr.example.test").ssl_context()
    with pytest.raises(ConfigError):
        OsrConfig(base_url="ftp://osr.example.test").ssl_context()


def test_missing_or_unusable_certificate_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="bestaat niet"):
        OsrConfig(
            base_url="https://osr.example.test", cert_file=tmp_path / "no.pem", key_file=tmp_path / "no.key"
        ).ssl_context()
    junk = tmp_path / "junk.pem"
    junk.write_text("geen certificaat", encoding="utf-8")
    with pytest.raises(ConfigError, match="onbruikbaar"):
        OsrConfig(base_url="https://osr.example.test", cert_file=junk, key_file=junk).ssl_context()


def test_nonsense_knobs_are_refused() -> None:
    with pytest.raises(ConfigError):
        OsrConfig(max_attempts=0)
    with pytest.raises(ConfigError):
        OsrConfig(total_timeout=0)
