"""The OSO client's circuit breakers and call counters on /metrics (process-local figures registered by the
plugin): a real client against a dead Traffic Center opens the circuit and the failure counters rise."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from lxml import etree

from adapters.osr import plugin as osr_plugin
from adapters.parnassys.client import OsoSoapClient, RemoteFault, TrafficCenterClient
from adapters.parnassys.plugin import install
from adapters.parnassys.settings_map import oso_settings
from adapters.parnassys.soap import NS
from gateway.components import Components
from gateway.errors import Transient
from gateway.outbound.guards import endpoint_label, guard_samples
from gateway.settings import load_settings
from gateway.web import metrics
from gateway.web.metrics import process_label
from tests.ops.test_metrics import parse
from tests.parnassys.conftest import Pki

URL = "https://las.example:8443/oso/las?oin=00000003273000000000"
SAME_HOST = "https://las.example:8443/oso/andere-school"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again on exit: connections are refused


def _sections(pki: Pki, tc_url: str) -> dict[str, dict[str, Any]]:
    crt, key = pki.pair("gateway")
    oso = {
        "gateway_oin": "00000001800000000001",
        "trust_store": pki.ca_file,
        "senders": [{"oin": "00000003273000000000", "name": "Topicus", "profile": "2W-be-S"}],
        "traffic_center_url": tc_url,
        "traffic_center_oin": "00000001821002193000",
        "client_cert": crt,
        "client_key": key,
        "sign_requests": False,
        "retry_attempts": 2,
        "retry_initial_wait": 0.001,
        "retry_max_wait": 0.002,
        "traffic_center_failure_threshold": 4,
        "traffic_center_cool_down": 600,
    }
    return {"oso": oso, "osr": {"base_url": "http://127.0.0.1:9/api"}}


def _m(name: str, **labels: str) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in {**labels, "process": process_label()}.items())
    return f"{name}{{{inner}}}"


@pytest.fixture
async def gateway(components: Components, pki: Pki) -> AsyncIterator[tuple[TestClient, Components, str]]:
    tc_url = f"http://127.0.0.1:{_closed_port()}/oso/tc"
    components.settings = components.settings.replace(sections=_sections(pki, tc_url))
    app = web.Application()
    osr_plugin.install(app, components)  # the composition root installs the OSR before the adapters using it
    install(app, components)
    metrics.install(app, components)
    async with TestClient(TestServer(app)) as client:
        yield client, components, tc_url
    await components.extras["oso_soap_client"].close()
    await components.extras["osr_client"].close()


async def test_a_dead_traffic_center_shows_an_open_circuit_and_rising_failures_on_metrics(
    gateway: tuple[TestClient, Components, str],
) -> None:
    client, c, tc_url = gateway
    tc = TrafficCenterClient(c.extras["oso_soap_client"])
    endpoint = endpoint_label(tc_url)
    assert endpoint.startswith("http://127.0.0.1:") and "/oso" not in endpoint

    before = parse(await (await client.get("/metrics")).text())
    assert before[_m("gateway_outbound_calls_total", system="traffic_center", result="failed")] == 0
    assert before[_m("gateway_outbound_calls_total", system="las", result="ok")] == 0
    assert not any("gateway_outbound_circuit_state" in k for k in before), "no endpoint seen yet"

    for _ in range(2):  # 2 calls x 2 attempts = 4 refused connections: the threshold
        with pytest.raises(Transient):
            await tc.overdracht("koppelsleutel-1")
    for _ in range(3):
        with pytest.raises(Transient, match="stroomonderbreker"):
            await tc.overdracht("koppelsleutel-1")

    after = parse(await (await client.get("/metrics")).text())
    state = {"system": "traffic_center", "endpoint": endpoint, "operation": "overdracht"}
    assert after[_m("gateway_outbound_circuit_state", **state, state="open")] == 1
    assert after[_m("gateway_outbound_circuit_state", **state, state="closed")] == 0
    assert after[_m("gateway_outbound_circuit_state", **state, state="half_open")] == 0
    assert after[_m("gateway_outbound_calls_total", system="traffic_center", result="failed")] == 4
    assert after[_m("gateway_outbound_calls_total", system="traffic_center", result="blocked")] == 3
    assert after[_m("gateway_outbound_calls_total", system="traffic_center", result="ok")] == 0
    assert after[_m("gateway_outbound_circuit_opened_total", system="traffic_center")] == 1
    assert after["gateway_database_up"] == 1, "the database figures are still there"


async def test_a_soap_fault_from_a_live_endpoint_counts_as_fault_not_failure(pki: Pki) -> None:
    async def fault(request: web.Request) -> web.Response:
        await request.read()
        env = "http://schemas.xmlsoap.org/soap/envelope/"
        body = "<s:Fault><faultcode>s:Server</faultcode><faultstring>DossierNietGereed</faultstring></s:Fault>"
        return web.Response(text=f'<s:Envelope xmlns:s="{env}"><s:Body>{body}</s:Body></s:Envelope>')

    app = web.Application()
    app.router.add_post("/oso/las", fault)
    async with TestServer(app) as server:
        url = str(server.make_url("/oso/las"))
        knobs = oso_settings(load_settings(environ={}).replace(sections=_sections(pki, "http://127.0.0.1:9/tc")))
        soap = OsoSoapClient(knobs.client)
        try:
            for _ in range(3):
                with pytest.raises(RemoteFault):
                    await soap.call(
                        url, "document", etree.Element(f"{{{NS}}}documentRequest"), system="las", to_oin=None
                    )
        finally:
            await soap.close()
    assert soap.guards["las"].calls["fault"] == 3 and soap.guards["las"].calls["failed"] == 0
    states = {s.labels["state"]: s.value for s in guard_samples(soap.guards.values()) if "state" in s.labels}
    assert states["closed"] == 1
