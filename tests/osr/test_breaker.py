"""The OSR client behind the core's circuit breaker: when the OSR keeps failing, requests stop reaching it and
fail fast as "Het OSR is niet bereikbaar (stroomonderbreker open; …)", waiting for the OSR."""

from __future__ import annotations

import asyncio

import pytest

from adapters.osr.client import OsrClient
from adapters.osr.simulator import OsrSimulator
from gateway.errors import Transient
from tests.osr.conftest import RecordingSleep, fast_config
from tests.osr.factories import PARTIES, READY, TODAY
from verification.identifiers import school_oin


async def ask(client: OsrClient) -> bool:
    answer = await client.mandate(
        school_oin=school_oin(READY),
        supplier_oin=PARTIES.kindkans.supplier_oin,
        service_version_namespace=PARTIES.service_namespace,
        reference_date=TODAY,
    )
    return answer.found


async def test_the_circuit_opens_after_requests_keep_failing_and_then_the_osr_is_not_asked(
    osr_url: str, simulator: OsrSimulator, sleep: RecordingSleep
) -> None:
    simulator.outage("503")
    async with OsrClient(fast_config(osr_url, failure_threshold=2, cool_down=600), sleep=sleep) as osr:
        for _ in range(2):
            with pytest.raises(Transient, match="Het OSR is niet bereikbaar"):
                await ask(osr)
        assert simulator.count("/mandates") == 6  # two requests of three attempts each
        with pytest.raises(Transient) as caught:
            await ask(osr)
        assert simulator.count("/mandates") == 6, "an open circuit does not touch the network"
        assert caught.value.waiting_for == "osr"
        assert str(caught.value).startswith("Het OSR is niet bereikbaar (stroomonderbreker open; volgende proef")
        assert caught.value.retry_after == pytest.approx(600, abs=1)
        assert osr.guards.calls["failed"] == 2 and osr.guards.calls["blocked"] == 1 and osr.guards.opened == 1
        assert osr.guards.states() == {f"/mandates {osr_url.rstrip('/')}/mandates": "open"}


async def test_after_the_cool_down_one_probe_closes_the_circuit_when_the_osr_is_back(
    osr_url: str, simulator: OsrSimulator, sleep: RecordingSleep
) -> None:
    simulator.outage("reset")
    async with OsrClient(fast_config(osr_url, failure_threshold=1, cool_down=0.05), sleep=sleep) as osr:
        with pytest.raises(Transient):
            await ask(osr)
        simulator.outage(None)
        with pytest.raises(Transient, match="stroomonderbreker open"):
            await ask(osr)
        await asyncio.sleep(0.1)
        assert await ask(osr), "the probe got an answer"
        assert set(osr.guards.states().values()) == {"closed"}


async def test_a_refusal_by_the_osr_is_an_answer_and_keeps_the_circuit_closed(
    osr_url: str, simulator: OsrSimulator, sleep: RecordingSleep
) -> None:
    async with OsrClient(fast_config(osr_url, failure_threshold=1, cool_down=600), sleep=sleep) as osr:
        for _ in range(3):
            simulator.script("/mandates", "403")
            with pytest.raises(Exception, match="HTTP 403"):
                await ask(osr)
        assert await ask(osr)
        assert osr.guards.opened == 0 and osr.guards.calls["fault"] == 3


async def test_the_breaker_settings_are_read_from_the_osr_section() -> None:
    from adapters.osr.settings import osr_settings

    config = osr_settings({"failure_threshold": "3", "cool_down": "2.5", "max_concurrent": "4"}).config
    assert (config.guard.failure_threshold, config.guard.cool_down, config.guard.max_concurrent) == (3, 2.5, 4)
