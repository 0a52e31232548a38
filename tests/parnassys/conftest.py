"""Fixtures: a throw-away PKI, the notificatie endpoint on a loopback TLS port, zeep clients from its WSDL."""

from __future__ import annotations

import asyncio
import socket
import ssl
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep
from aiohttp import web
from zeep.transports import Transport

from adapters.parnassys import soap_stream
from adapters.parnassys.config import Credential, EndpointConfig
from adapters.parnassys.endpoint import notificatie_routes
from adapters.parnassys.identity import SenderConfig
from adapters.parnassys.ports import MemoryReplayGuard
from adapters.parnassys.simulator.test_pki import Issued, ThrowAwayCA
from gateway.store.spool import SealedSpool
from tests.parnassys.fakes import MemoryInbox, RegistrySenderChecks
from tests.parnassys.zeep_edukoppeling import EdukoppelingAddressing, XmlsecEdukoppelingSignature

TOPICUS_OIN = "00000003273000000000"  # 2W-be-S sender
PLAIN_OIN = "00000003273000000001"  # 2W-be sender (TLS only)
STRANGER_OIN = "00000003999999999999"  # valid certificate, not registered
GATEWAY_OIN = "00000001800000000001"
SOAP_ACTION = '"http://xml.kennisnet.nl/schemas/Overstapservice/20200910/notificatieRequest"'
DOEL_RK = "00000001800000000001"


@dataclass
class Pki:
    ca: ThrowAwayCA
    dir: Path
    server: Issued
    gateway: Issued
    topicus: Issued
    plain: Issued
    stranger: Issued
    foreign: Issued  # right OIN, but issued by another CA
    files: dict[str, tuple[Path, Path]] = field(default_factory=dict)

    def pair(self, name: str) -> tuple[str, str]:
        crt, key = self.files[name]
        return str(crt), str(key)

    @property
    def ca_file(self) -> str:
        return str(self.dir / "ca.crt")


@pytest.fixture
def spools(monkeypatch: pytest.MonkeyPatch) -> list[SealedSpool]:
    """Every sealed spool a big documentResponse's stream opens during the test (to check they are closed)."""
    made: list[SealedSpool] = []

    class Tracked(SealedSpool):
        def __init__(self, directory: Path | None = None) -> None:
            super().__init__(directory)
            made.append(self)

    monkeypatch.setattr(soap_stream, "SealedSpool", Tracked)
    return made


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    ca = ThrowAwayCA()
    ca.write_trust_store(directory / "ca.crt")
    p = Pki(
        ca=ca,
        dir=directory,
        server=ca.issue_server(),
        gateway=ca.issue_client(GATEWAY_OIN, "SWV Helmond-Peelland PO"),
        topicus=ca.issue_client(TOPICUS_OIN, "Topicus"),
        plain=ca.issue_client(PLAIN_OIN, "Leverancier zonder signing"),
        stranger=ca.issue_client(STRANGER_OIN, "Onbekende leverancier"),
        foreign=ThrowAwayCA("Other CA").issue_client(TOPICUS_OIN, "Topicus"),
    )
    for name in ("topicus", "plain", "stranger", "foreign", "gateway"):
        p.files[name] = getattr(p, name).write(directory, name)
    return p


@dataclass
class Gateway:
    url: str
    inbox: MemoryInbox
    checks: RegistrySenderChecks
    config: EndpointConfig


def endpoint_config(pki: Pki, **overrides: Any) -> EndpointConfig:
    values: dict[str, Any] = {
        "gateway_oin": GATEWAY_OIN,
        "trust_store_pem": pki.ca.cert_pem,
        "senders": (
            SenderConfig(TOPICUS_OIN, "Topicus (ParnasSys)", "2W-be-S"),
            SenderConfig(PLAIN_OIN, "Leverancier 2W-be", "2W-be"),
        ),
        "doel_routeringskenmerken": frozenset({DOEL_RK}),
        "public_url": "https://gateway.example",
        "signing": Credential(certificate=pki.gateway.cert, key=pki.gateway.key),
        "max_body_bytes": 16 * 1024,
    }
    values.update(overrides)
    return EndpointConfig(**values)


@pytest.fixture
async def start_gateway(pki: Pki, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    runners: list[web.AppRunner] = []

    async def start(*, tls: bool = True, **overrides: Any) -> Gateway:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))  # bound first: the WSDL's address is public_url, never the Host header
        port = sock.getsockname()[1]
        scheme = "https" if tls else "http"
        overrides.setdefault("public_url", f"{scheme}://127.0.0.1:{port}")
        config = endpoint_config(pki, **overrides)
        inbox, checks = MemoryInbox(), RegistrySenderChecks()
        app = web.Application()
        app.add_routes(notificatie_routes(config, inbox=inbox, sender_checks=checks, replay_guard=MemoryReplayGuard()))
        runner = web.AppRunner(app)
        await runner.setup()
        runners.append(runner)
        ctx = pki.ca.server_ssl_context(pki.server, tmp_path) if tls else None
        site = web.SockSite(runner, sock, ssl_context=ctx)
        await site.start()
        return Gateway(f"{scheme}://127.0.0.1:{port}{config.path}", inbox, checks, config)

    yield start
    for runner in runners:
        await runner.cleanup()


def notificatie(**overrides: str) -> dict[str, str]:
    values = {
        "bronBrin": "14SS",
        "bronRouteringsKenmerk": "0000000700014SS00500",
        "doelBrin": "14SS",
        "doelRouteringsKenmerk": DOEL_RK,
        "koppelsleutel": str(uuid.uuid4()),
        "doel": "SWV",
    }
    values.update(overrides)
    return values


def zeep_client(
    pki: Pki,
    gateway: Gateway,
    *,
    cert: str | None = "topicus",
    signer: str | None = "topicus",
    from_oin: str = TOPICUS_OIN,
    wsdl: str | None = None,
    message_id: str | None = None,
    **signature: Any,
) -> zeep.Client:
    """A zeep client built from the served WSDL, with client certificate, OIN addressing and signing."""
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override session.verify
    session.verify = pki.ca_file
    if cert:
        session.cert = pki.pair(cert)
    wsse = None
    if signer:
        ident = getattr(pki, signer)
        wsse = XmlsecEdukoppelingSignature(
            ident.key_pem, ident.cert_pem, reply_cert_pem=pki.gateway.cert_pem, **signature
        )
    plugins = [EdukoppelingAddressing(from_oin=from_oin, to_oin=GATEWAY_OIN, message_id=message_id)]
    transport = Transport(session=session, timeout=10, operation_timeout=10)
    client = zeep.Client(wsdl or f"{gateway.url}?wsdl", transport=transport, wsse=wsse, plugins=plugins)
    if wsdl:  # another service's WSDL, bound to the gateway's address (unknown-operation test)
        binding = next(iter(client.wsdl.bindings))
        client._default_service = client.create_service(binding, gateway.url)
    return client


async def call(client: zeep.Client, operation: str = "notificatie", **values: str) -> Any:
    return await asyncio.to_thread(getattr(client.service, operation), **values)


def client_ssl(pki: Pki, name: str | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=pki.ca_file)
    if name:
        ctx.load_cert_chain(*pki.pair(name))
    return ctx


async def make_client(pki: Pki, gateway: Gateway, **kwargs: Any) -> zeep.Client:
    return await asyncio.to_thread(zeep_client, pki, gateway, **kwargs)


def raw_envelope(
    from_oin: str,
    *,
    operation: str = "notificatieRequest",
    action: str | None = None,
    sign_with: Issued | None = None,
    **fields: str,
) -> bytes:
    """A notificatie built without zeep (for what zeep will not send: broken or hostile messages)."""
    from lxml import etree

    from adapters.parnassys.soap import ANONYMOUS, NS, action_for, build_envelope, to_bytes
    from adapters.parnassys.wssec import sign_envelope

    op = etree.Element(f"{{{NS}}}{operation}")
    for name, value in notificatie(**fields).items():
        etree.SubElement(op, f"{{{NS}}}{name}").text = value
    env = build_envelope(
        op,
        action=action or action_for(operation),
        to=f"https://127.0.0.1/oso/swv?oin={GATEWAY_OIN}",
        from_address=f"{ANONYMOUS}?oin={from_oin}",
    )
    if sign_with is not None:
        sign_envelope(env, key=sign_with.key, certificate=sign_with.cert)
    return to_bytes(env)
