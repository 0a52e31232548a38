"""The systems under attack, started the way production wires them: one aiohttp application from
`gateway.app.create_app` (ESIS routes, core inbox) with the OSO notificatie routes added on top — over TLS
with optional client certificates, as `gateway serve` runs it — and a throw-away PKI for the SOAP senders.

Until `adapters/parnassys/plugin.py` wires the endpoint into `create_app`, the notificatie routes are added
here with the core inbox, the database replay guard and an in-memory registry of sender checks (the same
building blocks the plugin uses, without the OSR client).
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from adapters.parnassys.config import Credential, EndpointConfig
from adapters.parnassys.endpoint import notificatie_routes
from adapters.parnassys.identity import SenderConfig
from adapters.parnassys.simulator.test_pki import Issued, ThrowAwayCA
from gateway.app import create_app
from gateway.components import Components
from gateway.inbox.replay import DatabaseReplayGuard
from gateway.registry import codes
from gateway.web.http_errors import coded_errors
from tests.hostile.wire import HttpInput, HttpResult, send
from tests.parnassys.fakes import RegistrySenderChecks

__all__ = [
    "ESIS_BRIN6",
    "ESIS_CODE",
    "GATEWAY_OIN",
    "PLAIN_OIN",
    "SOAP_PATH",
    "TOPICUS_OIN",
    "HostilePki",
    "Running",
    "make_pki",
    "start_targets",
]

TOPICUS_OIN = "00000003273000000000"  # 2W-be-S sender (TLS + WS-Security)
PLAIN_OIN = "00000003273000000001"  # 2W-be sender (TLS only)
STRANGER_OIN = "00000003999999999999"  # a good certificate, not a registered sender
GATEWAY_OIN = "00000001800000000001"
DOEL_RK = GATEWAY_OIN
SOAP_PATH = "/oso/swv"
ESIS_BRIN6 = "27ZX00"
ESIS_CODE = "27ZX00-Wilg-koppeling-2025!"
ESIS_ENVIRONMENT = "esis-eenbes"


@dataclass
class HostilePki:
    ca: ThrowAwayCA
    dir: Path
    server: Issued
    gateway: Issued
    certs: dict[str, Issued]

    def client_context(self, name: str | None) -> ssl.SSLContext:
        client = self.certs[name] if name else None
        return self.ca.client_ssl_context(client, self.dir, stem=name or "anon")


def make_pki(directory: Path) -> HostilePki:
    ca = ThrowAwayCA("Hostile-corpus Throw-away CA")
    return HostilePki(
        ca=ca,
        dir=directory,
        server=ca.issue_server(),
        gateway=ca.issue_client(GATEWAY_OIN, "SWV Helmond-Peelland PO"),
        certs={
            "topicus": ca.issue_client(TOPICUS_OIN, "Topicus"),
            "plain": ca.issue_client(PLAIN_OIN, "Leverancier 2W-be"),
            "stranger": ca.issue_client(STRANGER_OIN, "Onbekende leverancier"),
        },
    )


def endpoint_config(pki: HostilePki, **overrides: Any) -> EndpointConfig:
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
    }
    values.update(overrides)
    return EndpointConfig(**values)


@dataclass
class Running:
    """A started gateway: where it listens and what it is built on."""

    c: Components
    pki: HostilePki
    host: str
    port: int
    runner: web.AppRunner
    ssl_clients: dict[str | None, ssl.SSLContext] = field(default_factory=dict)

    def context(self, cert: str | None) -> ssl.SSLContext:
        if cert not in self.ssl_clients:
            self.ssl_clients[cert] = self.pki.client_context(cert)
        return self.ssl_clients[cert]

    async def send(self, request: HttpInput, *, answer_within: float = 20.0) -> HttpResult:
        return await send(
            self.host, self.port, request, ssl_context=self.context(request.cert), answer_within=answer_within
        )

    async def send_all(self, requests: Sequence[HttpInput]) -> list[HttpResult]:
        return [await self.send(r) for r in requests]

    async def close(self) -> None:
        await self.runner.cleanup()


async def activate_esis_code(c: Components, brin6: str = ESIS_BRIN6, code: str = ESIS_CODE) -> None:
    view = await codes.register(c.db, brin6, ESIS_ENVIRONMENT, code, "hostile:school", contact_email="ict@x.example")
    await codes.activate(c.db, view.id, "hostile:secretariaat")


async def start_targets(
    c: Components,
    pki: HostilePki,
    *,
    esis_section: dict[str, object] | None = None,
    runner_kwargs: dict[str, Any] | None = None,
    **endpoint: Any,
) -> Running:
    """Start the gateway (ESIS + OSO notificatie endpoint) on a loopback TLS port."""
    c.settings = c.settings.replace(sections={"esis": {"delay_step_seconds": 0.0, **(esis_section or {})}})
    app = create_app(c, run_workers=False)
    app.add_routes(
        notificatie_routes(
            endpoint_config(pki, **endpoint),
            inbox=c.inbox,
            sender_checks=RegistrySenderChecks(),
            replay_guard=DatabaseReplayGuard(c.db),
        )
    )
    runner = web.AppRunner(app, access_log=None, **(runner_kwargs or {}))
    await runner.setup()
    coded_errors(runner)
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=pki.ca.server_ssl_context(pki.server, pki.dir))
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # aiohttp types TCPSite._server as optional AbstractServer; a started site has sockets
    return Running(c, pki, "127.0.0.1", port, runner)
