"""The guards of one outside system (`gateway.outbound.guards`): a bulkhead per endpoint URL, a breaker per
URL and operation, and their process-local /metrics samples."""

from __future__ import annotations

import asyncio

import pytest

from gateway.errors import Transient
from gateway.outbound.guards import EndpointGuards, GuardPolicy, endpoint_label, guard_samples
from gateway.store.db import Database
from gateway.web.metrics import collect, process_label
from tests.ops.test_metrics import parse
from tests.outbound.clock import FakeClock

URL = "https://las-a.example/oso"
OTHER = "https://las-b.example/oso"
METRICS_URL = "https://las.example:8443/oso/las?oin=00000003273000000000"
METRICS_SAME_HOST = "https://las.example:8443/oso/andere-school"


class _Fault(Exception):
    """An error the other side answered with (as the OSO client's RemoteFault)."""


def _m(name: str, **labels: str) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in {**labels, "process": process_label()}.items())
    return f"{name}{{{inner}}}"


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


# -- the samples themselves ------------------------------------------------------------------------------------


def test_the_endpoint_label_is_scheme_host_and_port_only() -> None:
    assert endpoint_label(METRICS_URL) == "https://las.example:8443"
    assert endpoint_label("https://user:pw@Las.Example/oso#x") == "https://las.example:443"
    assert endpoint_label("http://[::1]/oso") == "http://[::1]:80"
    assert endpoint_label("geen url") == "ongeldig"
    assert endpoint_label("https://las.example:99999/") == "ongeldig"


async def test_every_result_is_counted_and_one_state_per_endpoint_is_reported() -> None:
    g = EndpointGuards("las", GuardPolicy(max_concurrent=2, failure_threshold=2, cool_down=600))
    async with g.call(METRICS_URL, "document"):
        pass
    with pytest.raises(_Fault):
        async with g.call(METRICS_URL, "document") as call:
            call.answered()
            raise _Fault("the other side's verdict")
    with pytest.raises(asyncio.CancelledError):
        async with g.call(METRICS_URL, "document"):
            raise asyncio.CancelledError
    for _ in range(2):
        async with g.call(METRICS_URL, "document") as call:
            call.failed()
    async with g.call(METRICS_SAME_HOST, "document"):
        pass  # another URL on the same host: its own (closed) breaker, the same label
    with pytest.raises(Transient):
        async with g.call(METRICS_URL, "document"):
            pass
    assert g.calls == {"ok": 2, "fault": 1, "failed": 2, "blocked": 1, "abandoned": 1}
    assert g.opened == 1

    samples = guard_samples([g])
    states = {s.labels["state"]: s.value for s in samples if s.name == "gateway_outbound_circuit_state"}
    assert states == {"closed": 0, "half_open": 0, "open": 1}, "the worst state of the endpoint's URLs"
    labels = {s.labels.get("endpoint") for s in samples} - {None}
    assert labels == {"https://las.example:8443"}
    in_use = [s for s in samples if s.name == "gateway_outbound_bulkhead_in_use"]
    assert [(s.labels, s.value) for s in in_use] == [({"system": "las", "endpoint": "https://las.example:8443"}, 0)]


async def test_bulkhead_slots_in_use_are_shown_while_calls_hang() -> None:
    g = EndpointGuards("las", GuardPolicy(max_concurrent=3))
    release = asyncio.Event()

    async def hanging() -> None:
        async with g.call(METRICS_URL, "document"):
            await release.wait()

    holders = [asyncio.create_task(hanging()) for _ in range(2)]
    await asyncio.sleep(0)
    broken = Database("sqlite+aiosqlite:////nonexistent/dir/gateway.db")
    text = await collect(broken, sources=[lambda: guard_samples([g])])
    release.set()
    await asyncio.gather(*holders)
    await broken.dispose()
    m = parse(text)
    assert m[_m("gateway_outbound_bulkhead_in_use", system="las", endpoint="https://las.example:8443")] == 2
