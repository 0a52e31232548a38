"""Mutual TLS: the client presents its certificate from OsrConfig and trusts only the configured CA."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from adapters.osr.client import OsrClient, OsrRejected
from adapters.osr.config import OsrConfig
from adapters.osr.simulator import OsrSimulator, running
from adapters.parnassys.simulator.test_pki import ThrowAwayCA, new_key
from gateway.errors import ConfigError
from gateway.tls import server_context
from tests.osr.conftest import RecordingSleep, fast_config
from tests.osr.factories import PARTIES, READY, TODAY
from verification.identifiers import school_oin


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, Path]:
    """The OSR's server certificate and the gateway's PKIoverheid-like client certificate (the OIN in
    Subject.serialNumber), both from one throw-away CA, with EC keys."""
    ca = ThrowAwayCA("Test CA (geen PKIoverheid)", key=new_key("ec"))
    server_crt, _ = ca.issue_server(("127.0.0.1",), key=new_key("ec")).write(tmp_path, "server")
    client_crt, _ = ca.issue_client(PARTIES.kindkans.supplier_oin, "gateway", key=new_key("ec")).write(
        tmp_path, "client"
    )
    return {"ca": ca.write_trust_store(tmp_path / "ca.pem"), "server": server_crt, "client": client_crt}


def _server_context(pki: dict[str, Path]) -> ssl.SSLContext:
    context = server_context()
    context.load_verify_locations(cafile=str(pki["ca"]))
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
    other = ThrowAwayCA("Andere CA", key=new_key("ec"))
    async with running(simulator, ssl_context=_server_context(pki)) as url:
        config = fast_config(
            url,
            cert_file=pki["client"],
            key_file=pki["client"].with_suffix(".key"),
            ca_file=other.write_trust_store(tmp_path / "other.pem"),
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
