"""Bulkhead and circuit breaker per outside endpoint (`adapters.parnassys.breaker`), with a fake clock;
and the SOAP client behind them against a loopback server that counts what reaches it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web
from lxml import etree

from adapters.parnassys.breaker import CircuitBreaker, EndpointGuards
from adapters.parnassys.client import OsoSoapClient, RemoteFault
from adapters.parnassys.config import ClientConfig, GuardPolicy, RetryPolicy
from adapters.parnassys.settings_map import oso_settings
from adapters.parnassys.soap import NS
from gateway.errors import ConfigError, Transient
from gateway.settings import Settings, load_settings
from tests.parnassys.conftest import Pki

URL = "https://las-a.example/oso"
OTHER = "https://las-b.example/oso"


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _breaker(clock: FakeClock, **kw: float) -> CircuitBreaker:
    return CircuitBreaker(
        "las document x",
        failure_threshold=int(kw.get("threshold", 3)),
        cool_down=kw.get("cool_down", 10.0),
        cool_down_max=kw.get("cool_down_max", 40.0),
        clock=clock,
    )


def _fail(b: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        assert b.begin() is None
        b.failure()


# -- the circuit breaker -----------------------------------------------------------------------------------


def test_the_circuit_opens_after_the_threshold_of_consecutive_failures() -> None:
    b = _breaker(FakeClock())
    _fail(b, 2)
    assert b.state == "closed"
    _fail(b, 1)
    assert b.state == "open"
    blocked = b.begin()
    assert blocked is not None and blocked.retry_after == pytest.approx(10.0)
    assert "stroomonderbreker open" in blocked.reason


def test_an_answer_between_failures_resets_the_count() -> None:
    b = _breaker(FakeClock())
    _fail(b, 2)
    b.success()
    _fail(b, 2)
    assert b.state == "closed" and b.consecutive_failures == 2


def test_after_the_cool_down_exactly_one_probe_goes_through() -> None:
    clock = FakeClock()
    b = _breaker(clock)
    _fail(b, 3)
    clock.advance(9.9)
    assert b.begin() is not None
    clock.advance(0.1)
    assert b.state == "half_open"
    assert b.begin() is None, "the probe"
    second = b.begin()
    assert second is not None and "proefaanroep" in second.reason


def test_a_successful_probe_closes_the_circuit() -> None:
    clock = FakeClock()
    b = _breaker(clock)
    _fail(b, 3)
    clock.advance(10)
    assert b.begin() is None
    b.success()
    assert b.state == "closed" and b.begin() is None


def test_a_failed_probe_opens_it_again_with_a_doubled_cool_down_up_to_the_maximum() -> None:
    clock = FakeClock()
    b = _breaker(clock)
    _fail(b, 3)
    waits = []
    for _ in range(4):
        clock.advance(1000)
        assert b.begin() is None
        b.failure()
        blocked = b.blocked()
        assert blocked is not None and blocked.retry_after is not None
        waits.append(blocked.retry_after)
    assert waits == [20.0, 40.0, 40.0, 40.0]


def test_after_closing_the_cool_down_starts_small_again() -> None:
    clock = FakeClock()
    b = _breaker(clock)
    _fail(b, 3)
    clock.advance(10)
    b.begin()
    b.failure()  # 20 s now
    clock.advance(20)
    b.begin()
    b.success()
    _fail(b, 3)
    blocked = b.blocked()
    assert blocked is not None and blocked.retry_after == pytest.approx(10.0)


def test_an_abandoned_probe_lets_the_next_call_probe() -> None:
    clock = FakeClock()
    b = _breaker(clock)
    _fail(b, 3)
    clock.advance(10)
    assert b.begin() is None
    b.abandon()  # cancelled: tells nothing about the endpoint
    assert b.begin() is None


def test_a_late_failure_of_a_call_made_before_the_circuit_opened_does_not_extend_it() -> None:
    clock = FakeClock()
    b = _breaker(clock)
    assert b.begin() is None  # in flight while the others fail
    _fail(b, 3)
    clock.advance(5)
    b.failure()
    blocked = b.blocked()
    assert blocked is not None and blocked.retry_after == pytest.approx(5.0)


def test_a_retry_after_that_opened_the_circuit_is_passed_on_as_the_hint() -> None:
    clock = FakeClock()
    b = _breaker(clock)
    _fail(b, 2)
    b.begin()
    b.failure(retry_after=120)
    blocked = b.blocked()
    assert blocked is not None and blocked.retry_after == pytest.approx(120.0)
    clock.advance(10)
    assert b.begin() is None, "the circuit itself is open for the cool-down only"


def test_threshold_zero_never_opens() -> None:
    b = _breaker(FakeClock(), threshold=0)
    _fail(b, 50)
    assert b.state == "closed"


# -- the guards: bulkhead per URL, breaker per URL and operation -----------------------------------------------


def _guards(clock: FakeClock | None = None, **kw: float) -> EndpointGuards:
    policy = GuardPolicy(
        max_concurrent=int(kw.get("max_concurrent", 2)),
        slot_wait=kw.get("slot_wait", 0.05),
        failure_threshold=int(kw.get("threshold", 2)),
        cool_down=kw.get("cool_down", 30.0),
        cool_down_max=60.0,
    )
    return EndpointGuards("las", policy, clock=clock or FakeClock())


async def test_a_full_bulkhead_raises_transient_instead_of_queueing() -> None:
    g = _guards()
    release = asyncio.Event()

    async def hanging() -> None:
        async with g.call(URL, "document"):
            await release.wait()

    holders = [asyncio.create_task(hanging()) for _ in range(2)]
    await asyncio.sleep(0)
    with pytest.raises(Transient) as caught:
        async with g.call(URL, "document"):
            pytest.fail("no slot should have been given")
    assert caught.value.waiting_for == "las" and "schot" in str(caught.value)
    async with g.call(OTHER, "document"):
        pass  # another school's endpoint has its own slots
    release.set()
    await asyncio.gather(*holders)
    async with g.call(URL, "document"):
        pass  # slots are given back


async def test_a_call_waiting_briefly_gets_a_slot_that_frees_up() -> None:
    g = _guards(slot_wait=5.0)
    release = asyncio.Event()

    async def short() -> None:
        async with g.call(URL, "document"):
            await release.wait()

    holders = [asyncio.create_task(short()) for _ in range(2)]
    await asyncio.sleep(0)
    asyncio.get_running_loop().call_later(0.01, release.set)
    async with g.call(URL, "document"):
        assert release.is_set()  # it waited for a holder to give its slot back, and then got in
    await asyncio.gather(*holders)


async def test_an_open_circuit_fails_fast_per_url_and_operation() -> None:
    clock = FakeClock()
    g = _guards(clock)
    for _ in range(2):
        async with g.call(URL, "document") as call:
            call.failed()
    with pytest.raises(Transient) as caught:
        async with g.call(URL, "document"):
            pytest.fail("an open circuit must not call")
    assert caught.value.waiting_for == "las" and caught.value.retry_after == pytest.approx(30.0)
    async with g.call(URL, "terugkoppeling"):
        pass  # another operation of the same endpoint
    async with g.call(OTHER, "document"):
        pass  # another endpoint
    assert g.states() == {
        f"document {URL}": "open",
        f"terugkoppeling {URL}": "closed",
        f"document {OTHER}": "closed",
    }


async def test_an_open_circuit_does_not_wait_for_a_bulkhead_slot() -> None:
    clock = FakeClock()
    g = _guards(clock, slot_wait=30.0)
    for _ in range(2):
        async with g.call(URL, "document") as call:
            call.failed()
    release = asyncio.Event()

    async def hanging() -> None:
        async with g.call(URL, "terugkoppeling"):
            await release.wait()

    holders = [asyncio.create_task(hanging()) for _ in range(2)]
    await asyncio.sleep(0)
    with pytest.raises(Transient, match="stroomonderbreker"):
        async with g.call(URL, "document"):
            pass
    release.set()
    await asyncio.gather(*holders)


async def test_an_exception_that_is_not_marked_counts_as_neither() -> None:
    g = _guards()
    for _ in range(5):
        with pytest.raises(ValueError):
            async with g.call(URL, "document"):
                raise ValueError("a bug, not the endpoint")
    assert g.breaker(URL, "document").consecutive_failures == 0


async def test_a_cancelled_call_gives_its_slot_back() -> None:
    g = _guards(max_concurrent=1)
    task = asyncio.create_task(_hold(g))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with g.call(URL, "document"):
        pass


async def _hold(g: EndpointGuards) -> None:
    async with g.call(URL, "document"):
        await asyncio.sleep(3600)


async def test_no_bulkhead_when_max_concurrent_is_zero() -> None:
    g = _guards(max_concurrent=0)
    release = asyncio.Event()

    async def hanging() -> None:
        async with g.call(URL, "overdracht"):
            await release.wait()

    holders = [asyncio.create_task(hanging()) for _ in range(10)]
    await asyncio.sleep(0)
    async with g.call(URL, "overdracht"):
        assert not any(h.done() for h in holders)  # got in while ten calls still hold theirs: no limit
    release.set()
    await asyncio.gather(*holders)


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
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/oso/las"  # type: ignore[union-attr]  # aiohttp types TCPSite._server as optional AbstractServer; a started site has sockets
    yield state
    await runner.cleanup()


def _client() -> OsoSoapClient:
    return OsoSoapClient(
        ClientConfig(
            gateway_oin="00000001800000000001",
            traffic_center_url="http://127.0.0.1:9/tc",
            traffic_center_oin="00000001821002193000",
            sign=False,
            retry=RetryPolicy(attempts=2, initial_wait=0.001, max_wait=0.002),
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
