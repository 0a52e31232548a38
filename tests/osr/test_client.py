"""The OSR client against the simulator: answers, 404, 429, 5xx, timeouts, resets and outages."""

from __future__ import annotations

import pytest

from adapters.osr.client import OsrClient, OsrRejected, _retry_after_seconds
from adapters.osr.simulator import OsrSimulator
from gateway.errors import Transient
from tests.osr.conftest import RecordingSleep, fast_config
from tests.osr.factories import ENDPOINT_URL, HALF, PARTIES, READY, TODAY
from verification.identifiers import school_oin


async def ask(client: OsrClient, school: str = READY, system: str = "kindkans"):
    supplier = getattr(PARTIES, system).supplier_oin
    return await client.mandate(
        school_oin=school_oin(school),
        supplier_oin=supplier,
        service_version_namespace=PARTIES.service_namespace,
        reference_date=TODAY,
    )


async def test_the_mandated_supplier_sees_the_dates(client: OsrClient) -> None:
    answer = await ask(client, READY, "kindkans")
    assert answer.found and answer.start_date is not None and answer.end_date is not None
    mandaat = answer.to_mandaat(PARTIES)
    assert mandaat is not None and mandaat.system == "Kindkans" and mandaat.valid_on(TODAY)


async def test_a_third_party_only_learns_ok(client: OsrClient) -> None:
    answer = await ask(client, READY, "parnassys")
    assert answer.found and answer.start_date is None
    mandaat = answer.to_mandaat(PARTIES)
    assert mandaat is not None and mandaat.system == "ParnasSys"
    assert (mandaat.start_date, mandaat.end_date) == (TODAY, None)


async def test_404_means_no_mandate_not_an_error(client: OsrClient, simulator: OsrSimulator) -> None:
    answer = await ask(client, HALF, "kindkans")
    assert not answer.found and answer.to_mandaat(PARTIES) is None
    assert simulator.count("/mandates") == 1


async def test_429_is_retried_after_its_retry_after(
    client: OsrClient, simulator: OsrSimulator, sleep: RecordingSleep
) -> None:
    simulator.script("/mandates", "429:2")
    assert (await ask(client)).found
    assert sleep.waits == [2.0]
    assert simulator.count("/mandates") == 2


async def test_5xx_is_retried_with_backoff(client: OsrClient, simulator: OsrSimulator, sleep: RecordingSleep) -> None:
    simulator.script("/mandates", "503", "500")
    assert (await ask(client)).found
    assert len(sleep.waits) == 2 and all(0 < w <= 0.03 for w in sleep.waits)


async def test_a_slow_answer_times_out_and_is_retried(client: OsrClient, simulator: OsrSimulator) -> None:
    simulator.script("/mandates", "slow:2")
    assert (await ask(client)).found
    assert simulator.count("/mandates") == 2


async def test_a_connection_reset_is_retried(client: OsrClient, simulator: OsrSimulator) -> None:
    simulator.script("/mandates", "reset")
    assert (await ask(client)).found


async def test_an_outage_ends_in_transient_waiting_for_osr(client: OsrClient, simulator: OsrSimulator) -> None:
    simulator.outage("503")
    with pytest.raises(Transient) as caught:
        await ask(client)
    assert caught.value.waiting_for == "osr"
    assert simulator.count("/mandates") == 3  # max_attempts
    simulator.outage("reset")
    with pytest.raises(Transient) as caught:
        await ask(client)
    assert caught.value.waiting_for == "osr"
    simulator.outage(None)
    assert (await ask(client)).found


async def test_a_long_retry_after_hands_the_wait_to_the_queue(
    client: OsrClient, simulator: OsrSimulator, sleep: RecordingSleep
) -> None:
    simulator.script("/mandates", "429:60")
    with pytest.raises(Transient) as caught:
        await ask(client)
    assert caught.value.retry_after == 60.0
    assert sleep.waits == [] and simulator.count("/mandates") == 1


@pytest.mark.parametrize("status", ["400", "403"])
async def test_4xx_is_never_retried(client: OsrClient, simulator: OsrSimulator, status: str) -> None:
    simulator.script("/mandates", status)
    with pytest.raises(OsrRejected) as caught:
        await ask(client)
    assert caught.value.status == int(status)
    assert simulator.count("/mandates") == 1


async def test_a_request_the_osr_finds_malformed_is_rejected(client: OsrClient) -> None:
    with pytest.raises(OsrRejected):
        await client.mandate(
            school_oin=school_oin(READY),
            supplier_oin=PARTIES.kindkans.supplier_oin,
            service_version_namespace="",
            reference_date=TODAY,
        )


async def test_endpoints_by_school_and_by_routing_id(client: OsrClient) -> None:
    by_school = await client.endpoints(
        service_version_namespace=PARTIES.service_namespace, school_oin=school_oin(READY), reference_date=TODAY
    )
    by_routing = await client.endpoints(
        service_version_namespace=PARTIES.service_namespace, routing_id="0000000700014SS00500"
    )
    assert [e.url for e in by_school] == [ENDPOINT_URL] == [e.url for e in by_routing]
    none = await client.endpoints(service_version_namespace=PARTIES.service_namespace, school_oin=school_oin(HALF))
    assert none == []
    with pytest.raises(ValueError):
        await client.endpoints(service_version_namespace=PARTIES.service_namespace)


async def test_endpoints_rate_limit_is_waited_out(
    client: OsrClient, simulator: OsrSimulator, sleep: RecordingSleep
) -> None:
    simulator.endpoints_rate_limit = 1
    simulator.rate_window = 3600  # the window never ends within the test
    namespace, routing_id = PARTIES.service_namespace, "0000000700014SS00500"
    assert len(await client.endpoints(service_version_namespace=namespace, routing_id=routing_id)) == 1
    with pytest.raises(Transient) as caught:  # Retry-After of an hour exceeds max_retry_after
        await client.endpoints(service_version_namespace=namespace, routing_id=routing_id)
    assert caught.value.retry_after is not None and caught.value.retry_after > 5


async def test_services_and_versions(client: OsrClient) -> None:
    assert [s.namespace for s in await client.services()] == [PARTIES.service_namespace]
    assert [v.namespace for v in await client.service_versions()] == [PARTIES.service_namespace]


async def test_a_dead_port_is_transient(sleep: RecordingSleep) -> None:
    async with OsrClient(fast_config("http://127.0.0.1:9"), sleep=sleep) as osr:
        with pytest.raises(Transient):
            await ask(osr)
    assert len(sleep.waits) == 2


def test_retry_after_reads_seconds_and_http_dates() -> None:
    import datetime as dt

    now = dt.datetime(2025, 9, 1, 8, 0, tzinfo=dt.UTC)
    assert _retry_after_seconds("7") == 7.0
    assert _retry_after_seconds("Mon, 01 Sep 2025 08:00:30 GMT", now) == 30.0
    assert _retry_after_seconds("soon") is None and _retry_after_seconds(None) is None
