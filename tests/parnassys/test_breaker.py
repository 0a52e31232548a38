"""The OSO SOAP client behind its guards (`gateway.outbound.guards`, tested alone in tests/outbound) against a
loopback server that counts what reaches it; and the ``[oso]`` guard settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web
from lxml import etree

from adapters.parnassys.client import OsoSoapClient, RemoteFault
from adapters.parnassys.config import ClientConfig, GuardPolicy, RetryPolicy
from adapters.parnassys.settings_map import oso_settings
from adapters.parnassys.soap import NS
from gateway.errors import ConfigError, Transient
from gateway.settings import Settings, load_settings
from tests.parnassys.conftest import Pki
from tests.support.served import served

URL = "https://las-a.example/oso"


# -- the SOAP client behind the guards ------------------------------------------------------------------------


@dataclass
class Loopback:
    url: str
    hits: int = 0
    mode: str = "503"  # "503" | "fault" | "ok"


def _answer(mode: str) -> web.Response:
    if mode == "503":
        return web.Response(status=503, text="weg")
    env = "http://schemas.xmlsoap.org/soap/envelope/"
    if mode == "fault":
        body = "<s:Fault><faultcode>s:Server</faultcode><faultstring>DossierNietGereed</faultstring></s:Fault>"
    else:
        body = f'<o:documentResponse xmlns:o="{NS}"/>'
    return web.Response(
        text=f'<s:Envelope xmlns:s="{env}"><s:Body>{body}</s:Body></s:Envelope>', content_type="text/xml"
    )


@pytest.fixture
async def loopback() -> AsyncIterator[Loopback]:
    state = Loopback("")

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        state.hits += 1
        return _answer(state.mode)

    app = web.Application()
    app.router.add_post("/oso/las", handle)
    async with served(app) as port:
        state.url = f"http://127.0.0.1:{port}/oso/las"
        yield state


def _client() -> OsoSoapClient:
    return OsoSoapClient(
        ClientConfig(
            gateway_oin="00000001800000000001",
            traffic_center_url="http://127.0.0.1:9/tc",
            traffic_center_oin="00000001821002193000",
            sign=False,
            retry=RetryPolicy(attempts=2, base=0.001, cap=0.002),
            las_guard=GuardPolicy(max_concurrent=2, slot_wait=0.1, failure_threshold=4, cool_down=60.0),
        )
    )


async def _document(client: OsoSoapClient, url: str) -> etree._Element:
    body = etree.Element(f"{{{NS}}}documentRequest")
    return await client.call(url, "document", body, system="las", to_oin=None)


async def test_the_client_stops_calling_an_endpoint_whose_circuit_is_open(loopback: Loopback) -> None:
    client = _client()
    try:
        for _ in range(2):  # 2 calls x 2 attempts = 4 consecutive 503s: open
            with pytest.raises(Transient):
                await _document(client, loopback.url)
        assert loopback.hits == 4
        for _ in range(5):
            with pytest.raises(Transient, match="stroomonderbreker") as caught:
                await _document(client, loopback.url)
            assert caught.value.waiting_for == "las"
        assert loopback.hits == 4, "failed fast: the endpoint was not called"
    finally:
        await client.close()


async def test_a_soap_fault_is_an_answer_and_keeps_the_circuit_closed(loopback: Loopback) -> None:
    client = _client()
    loopback.mode = "fault"
    try:
        for _ in range(6):
            with pytest.raises(RemoteFault):
                await _document(client, loopback.url)
        assert loopback.hits == 6
        assert client.guards["las"].states() == {f"document {loopback.url}": "closed"}
    finally:
        await client.close()


# -- the knobs -----------------------------------------------------------------------------------------------


def _settings(pki: Pki, **oso: object) -> Settings:
    crt, key = pki.pair("gateway")
    section = {
        "gateway_oin": "00000001800000000001",
        "trust_store": pki.ca_file,
        "senders": [{"oin": "00000003273000000000", "name": "Topicus", "profile": "2W-be-S"}],
        "traffic_center_url": "https://tc.example.invalid/oso",
        "traffic_center_oin": "00000001821002193000",
        "client_cert": crt,
        "client_key": key,
        **oso,
    }
    return load_settings(environ={}).replace(sections={"oso": section, "osr": {"base_url": "http://127.0.0.1:9/"}})


def test_the_guards_default_to_a_bulkhead_for_the_las_and_only_a_breaker_for_the_traffic_center(pki: Pki) -> None:
    client = oso_settings(_settings(pki)).client
    assert client.las_guard == GuardPolicy(max_concurrent=2, slot_wait=1.0, failure_threshold=5, cool_down=1.0)
    assert client.traffic_center_guard.max_concurrent == 0
    assert client.traffic_center_guard.failure_threshold == 5


def test_the_guard_settings_are_read_from_text_as_well(pki: Pki) -> None:
    client = oso_settings(
        _settings(
            pki,
            las_max_concurrent="3",
            las_slot_wait="0.5",
            las_failure_threshold="0",
            las_cool_down="2",
            las_cool_down_max="30",
            traffic_center_max_concurrent=8,
        )
    ).client
    assert client.las_guard == GuardPolicy(
        max_concurrent=3, slot_wait=0.5, failure_threshold=0, cool_down=2.0, cool_down_max=30.0
    )
    assert client.traffic_center_guard.max_concurrent == 8


@pytest.mark.parametrize(
    ("key", "value"),
    [("las_max_concurrent", "twee"), ("las_failure_threshold", "2.5"), ("traffic_center_cool_down_max", "0.5")],
)
def test_a_bad_guard_setting_is_named(pki: Pki, key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=key):
        oso_settings(_settings(pki, **{key: value}))
