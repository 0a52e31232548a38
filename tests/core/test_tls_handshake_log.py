"""A failed TLS handshake is logged with the peer and the reason (no secrets); a good one is served as usual."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from structlog.testing import capture_logs

from adapters.parnassys.simulator.test_pki import Issued, ThrowAwayCA
from gateway.tls_site import TlsLoggingSite

OIN = "00000003273000000000"


def expired_client(ca: ThrowAwayCA) -> Issued:
    """A client certificate like the test CA issues (every extension strict verification wants), expired."""
    good = ca.issue_client(OIN)
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(good.cert.subject)
        .issuer_name(good.cert.issuer)
        .public_key(good.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=30))
        .not_valid_after(now - dt.timedelta(days=1))
    )
    for extension in good.cert.extensions:
        builder = builder.add_extension(extension.value, extension.critical)
    return Issued(cert=builder.sign(ca.key, hashes.SHA256()), key=good.key)


async def peer_oin(request: web.Request) -> web.Response:
    ssl_object = request.transport.get_extra_info("ssl_object") if request.transport else None
    der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
    subject = x509.load_der_x509_certificate(der).subject if der else None
    oin = subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value if subject else "geen"
    return web.Response(text=str(oin))


@pytest.fixture
async def site(tmp_path: Path):
    ca = ThrowAwayCA()
    app = web.Application()
    app.router.add_get("/", peer_oin)
    runner = web.AppRunner(app)
    await runner.setup()
    server_ctx = ca.server_ssl_context(ca.issue_server(), tmp_path)
    listener = TlsLoggingSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
    await listener.start()
    yield ca, listener.port, tmp_path
    await runner.cleanup()


async def get(port: int, ctx: ssl.SSLContext) -> str:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"https://127.0.0.1:{port}/", ssl=ctx) as resp:
            return await resp.text()


async def failed_handshakes(port: int, ctx: ssl.SSLContext) -> list[MutableMapping[str, Any]]:
    with capture_logs() as logs:
        with pytest.raises(aiohttp.ClientError):
            await get(port, ctx)
        for _ in range(50):  # the server logs after the client saw the close
            if any(e["event"] == "tls_handshake_mislukt" for e in logs):
                break
            await asyncio.sleep(0.02)
    return [e for e in logs if e["event"] == "tls_handshake_mislukt"]


async def test_a_certificate_from_another_ca_is_logged_with_peer_and_reason(site) -> None:
    ca, port, tmp = site
    client = ca.client_ssl_context(ThrowAwayCA("Other CA").issue_client(OIN), tmp, "foreign")

    events = await failed_handshakes(port, client)  # aiohttp tries a GET twice: one line per handshake
    event = events[0]
    assert all(e["reden"] == event["reden"] for e in events)

    assert event["peer"].startswith("127.0.0.1:") and event["log_level"] == "warning"
    assert "certificaat geweigerd" in event["reden"] and "issuer" in event["reden"]


async def test_an_expired_certificate_is_logged_as_expired(site) -> None:
    ca, port, tmp = site
    client = ca.client_ssl_context(expired_client(ca), tmp, "expired")

    events = await failed_handshakes(port, client)  # aiohttp tries a GET twice: one line per handshake
    event = events[0]
    assert all(e["reden"] == event["reden"] for e in events)

    assert "expired" in event["reden"]
    key_pem = expired_client(ca).key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert "PRIVATE KEY" not in repr(event) and key_pem.decode()[40:80] not in repr(event)


async def test_a_good_handshake_is_served_with_the_client_certificate_visible(site) -> None:
    ca, port, tmp = site
    client = ca.client_ssl_context(ca.issue_client(OIN), tmp, "good")
    with capture_logs() as logs:
        assert await get(port, client) == OIN
    assert not [e for e in logs if e["event"] == "tls_handshake_mislukt"]
