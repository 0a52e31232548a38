"""A whole simulated OSO-SWV world on loopback: a throw-away PKI, the OSR simulator, the Traffic Center
and the ParnasSys (LAS) simulators — and the ``[oso]``/``[osr]`` settings that point a gateway at them.

TEST DOUBLE for the demo, the integration tests and the benchmark; `gateway serve` never imports it.
"""

from __future__ import annotations

import contextlib
import json
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from adapters.osr.simulator import OsrSimulator, running
from adapters.parnassys.client import OsoSoapClient
from adapters.parnassys.config import ClientConfig, Credential, RetryPolicy
from adapters.parnassys.simulator.las import LAS_OIN, LasSimulator
from adapters.parnassys.simulator.test_pki import ThrowAwayCA
from adapters.parnassys.simulator.traffic_center import TC_OIN, TrafficCenterSimulator
from gateway.resources import resource_path
from verification.mandates import OsoSwvParties

__all__ = ["DEMO_SEED", "DOEL_RK", "GATEWAY_OIN", "SimulatedWorld", "long_kenmerk", "start_world"]

GATEWAY_OIN = OsoSwvParties().kindkans.supplier_oin  # our side, as the OSR simulator's seed knows it
DOEL_RK = "00000001800000000001"  # the doelRouteringsKenmerk the simulated ParnasSys addresses us with
DEMO_SEED = resource_path("adapters.osr", "demo_seed.json")


def long_kenmerk(brin4: str, nummer: int) -> str:
    return f"00000007000{brin4}{nummer:05d}"


@dataclass
class SimulatedWorld:
    directory: Path
    ca: ThrowAwayCA
    files: dict[str, Path]
    osr: OsrSimulator
    tc: TrafficCenterSimulator
    las: LasSimulator
    osr_url: str = ""
    tc_url: str = ""
    las_url: str = ""
    _stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    def sections(self, **oso: Any) -> dict[str, dict[str, Any]]:
        """The gateway's ``[oso]`` and ``[osr]`` settings for this world (``oso`` overrides keys)."""
        return {
            "oso": {
                "gateway_oin": GATEWAY_OIN,
                "trust_store": str(self.files["ca"]),
                "senders": [{"oin": LAS_OIN, "name": "Topicus (ParnasSys-simulator)", "profile": "2W-be-S"}],
                "doel_routeringskenmerken": [DOEL_RK],
                "traffic_center_url": self.tc_url,
                "traffic_center_oin": TC_OIN,
                "client_cert": str(self.files["gateway.crt"]),
                "client_key": str(self.files["gateway.key"]),
                "server_trust_store": str(self.files["ca"]),
                "retry_attempts": 2,
                "retry_initial_wait": 0.01,
                "retry_max_wait": 0.05,
                **oso,
            },
            "osr": {"base_url": self.osr_url, "max_attempts": 2, "backoff_initial": 0.01, "backoff_max": 0.05},
        }

    def tls_settings(self) -> dict[str, Path]:
        """``Settings.replace(**world.tls_settings())``: HTTPS with client certificates from this CA."""
        return {
            "tls_cert": self.files["server.crt"],
            "tls_key": self.files["server.key"],
            "tls_client_ca": self.files["ca"],
        }

    def add_school(self, brin4: str, *, vestigingen: tuple[int, ...] = (500,), kindkans: bool = True) -> None:
        """OSR facts for another school: both mandates (or only ParnasSys) and its LAS endpoints."""
        parties = OsoSwvParties()
        systems = [parties.parnassys, parties.kindkans] if kindkans else [parties.parnassys]
        for system in systems:
            mandate = {"school": brin4, "system": system.name, "supplier_oin": system.supplier_oin}
            self.osr.add_mandate({**mandate, "start_date": "2022-08-15"})
        from adapters.osr.wire import Endpoint

        for nummer in vestigingen:
            self.osr.endpoints.append(
                Endpoint(
                    url=self.las_url,
                    routing_id=long_kenmerk(brin4, nummer),
                    school_oin=f"00000007000{brin4}00000",
                    service_version_namespace=parties.service_namespace,
                )
            )

    async def stop(self) -> None:
        await self._stack.aclose()


async def _serve(stack: contextlib.AsyncExitStack, app: web.Application, ctx: ssl.SSLContext | None) -> str:
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # aiohttp types TCPSite._server as optional AbstractServer; a started site has sockets
    return f"{'https' if ctx else 'http'}://127.0.0.1:{port}"


def _pki(directory: Path) -> tuple[ThrowAwayCA, dict[str, Path]]:
    ca = ThrowAwayCA("SWV Gateway demo test-CA (weggooi)")
    files = {"ca": ca.write_trust_store(directory / "ca.crt")}  # creates the directory
    for stem, issued in (
        ("server", ca.issue_server()),
        ("gateway", ca.issue_client(GATEWAY_OIN, "SWV Helmond-Peelland PO")),
        ("topicus", ca.issue_client(LAS_OIN, "Topicus (simulator)")),
    ):
        crt, key = issued.write(directory, stem)
        files[f"{stem}.crt"], files[f"{stem}.key"] = crt, key
    return ca, files


async def start_world(
    directory: Path,
    *,
    seed: dict[str, Any] | None = None,
    tls: bool = True,
    default_dossier: bytes | None = None,
    direct_session_check: bool = False,
) -> SimulatedWorld:
    """Start the OSR, TC and LAS simulators (TLS with the throw-away CA unless ``tls=False``).

    ``direct_session_check``: the LAS simulator checks sessions at this world's TC simulator by a call in
    this process instead of a signed HTTPS request (benchmarks: a hop between two simulators measures
    nothing of the gateway; the fault tests keep the HTTPS hop, so a TC outage reaches the LAS too).

    ``seed``: the OSR simulator's seed (default ``adapters/osr/demo_seed.json``; its endpoint URLs are
    replaced by the LAS simulator's)."""
    ca, files = _pki(directory)  # writes a few small files (the directory is created by Issued.write)
    stack = contextlib.AsyncExitStack()
    try:
        server_ctx = ca.server_ssl_context(ca.issue_server(), directory / "sim") if tls else None
        tc = TrafficCenterSimulator()
        tc_url = await _serve(stack, tc.app(), server_ctx) + "/oso/tc"
        client = OsoSoapClient(
            ClientConfig(
                gateway_oin=LAS_OIN,
                traffic_center_url=tc_url,
                traffic_center_oin=TC_OIN,
                trust_store_pem=ca.cert_pem,
                credential=Credential.from_files(files["topicus.crt"], files["topicus.key"]),
                retry=RetryPolicy(attempts=1),
            )
        )
        stack.push_async_callback(client.close)
        las = LasSimulator(
            client=client, default_dossier=default_dossier, traffic_center=tc if direct_session_check else None
        )
        las_url = await _serve(stack, las.app(), server_ctx) + "/oso/las"
        tc.las_url = las_url
        data = dict(seed) if seed is not None else json.loads(DEMO_SEED.read_text(encoding="utf-8"))
        data["endpoints"] = [{**e, "url": las_url} for e in data.get("endpoints", [])]
        osr = OsrSimulator.from_seed(data)
        osr_url = await stack.enter_async_context(running(osr))
    except BaseException:
        await stack.aclose()
        raise
    return SimulatedWorld(
        directory=directory,
        ca=ca,
        files=files,
        osr=osr,
        tc=tc,
        las=las,
        osr_url=osr_url,
        tc_url=tc_url,
        las_url=las_url,
        _stack=stack,
    )
