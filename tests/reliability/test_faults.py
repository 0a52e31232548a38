"""The Traffic Center, the school's LAS and the OSR each go down, answer slowly, answer 503 or reset
connections (for a few seconds here; 30 s in bench/reliability_faults.py) while notificaties arrive:
every notificatie is acknowledged, the exchanges wait in the queue saying for whom and when the next
attempt is, /metrics shows the backlog, and after recovery everything drains — none lost, none doubled."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.faults import FaultConfig, FaultReport, run_fault

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]

WHO = {"traffic_center": "het Traffic Center", "las": "het LAS van de school", "osr": "het OSR"}
N = 5


def _drained_without_loss(r: FaultReport) -> None:
    assert r.drain_seconds is not None, r.summary()
    assert r.verwerkt == r.hulpvragen == N, r.summary()
    assert r.lost == 0 and r.doubled == 0 and r.bijlagen_wrong == 0, r.summary()
    assert r.afmeldingen == N, "every session is closed once the Traffic Center answers again"
    queue = {k: v for k, v in r.metrics_after.items() if k.startswith("gateway_exchange_queue")}
    assert not any(queue.values()), queue
    assert r.metrics_after['gateway_exchanges{state="verwerkt"}'] == N


@pytest.mark.parametrize("mode", ["down", "slow", "503", "reset"])
@pytest.mark.parametrize("system", ["traffic_center", "las", "osr"])
async def test_an_outside_system_failing_delays_exchanges_and_loses_none(
    tmp_path: Path, system: str, mode: str
) -> None:
    r = await run_fault(FaultConfig(system, mode, exchanges=N, outage_seconds=2.5, workers=8), tmp_path)

    assert r.acknowledged == N, ("intake never depends on the outside systems", r.sender_errors)
    assert len(r.waited) == N and r.waiting_for_seen == {system}, r.summary()
    assert r.max_attempts_during >= 2, "retried during the outage"
    assert r.next_attempt_delays and max(r.next_attempt_delays) <= r.config.retry_max_seconds + 0.5
    assert any(f"Wacht op {WHO[system]}; volgende poging om" in m for m in r.queue_messages), r.queue_messages
    during = r.metrics_during
    assert during[f'gateway_exchange_queue{{state="wacht_op_herhaling",waiting_for="{system}"}}'] >= 1
    assert during['gateway_exchange_oldest_age_seconds{state="wacht_op_herhaling"}'] > 0
    _drained_without_loss(r)


async def test_waiting_is_read_from_the_timelines_so_a_fault_shorter_than_the_sending_still_counts(
    tmp_path: Path,
) -> None:
    """With no minimum outage at all, the fault lasts until every exchange has recorded its wait: whether the
    sender or the observer was quick does not decide the outcome."""
    r = await run_fault(FaultConfig("las", "slow", exchanges=N, outage_seconds=0.0, workers=8), tmp_path)

    assert r.acknowledged == N and len(r.waited) == N and r.waiting_for_seen == {"las"}, r.summary()
    _drained_without_loss(r)


async def test_afmeldingen_wait_in_the_outbox_while_the_traffic_center_is_down(tmp_path: Path) -> None:
    r = await run_fault(
        FaultConfig("traffic_center", "down", exchanges=N, outage_seconds=2.5, only=b"afmeldingRequest"), tmp_path
    )

    assert r.acknowledged == N
    assert r.waiting_seen == 0, "the hulpvragen are made; only the afmelding waits"
    assert r.outbox_retrying_seen == N, r.summary()
    assert r.metrics_during['gateway_outbox_retrying{kind="oso_afmelding"}'] == N
    assert r.metrics_during['gateway_outbox_messages{kind="oso_afmelding",state="wachtend"}'] == N
    _drained_without_loss(r)
    assert r.metrics_after.get('gateway_outbox_retrying{kind="oso_afmelding"}', 0) == 0


async def test_an_outage_on_postgresql_drains_the_same_way(tmp_path: Path, postgres_url: str) -> None:
    # four workers: concurrent first contacts of a school store its mandates at once (see
    # test_concurrent_first_contact.py); that must not show up here as "Tijdelijke fout" instead of "las"
    cfg = FaultConfig("las", "down", exchanges=N, outage_seconds=2.5, database_url=postgres_url, workers=4)
    r = await run_fault(cfg, tmp_path)

    assert r.acknowledged == N and len(r.waited) == N and r.waiting_for_seen == {"las"}, r.summary()
    assert r.max_attempts_during >= 2
    _drained_without_loss(r)


async def test_a_retry_after_from_the_school_is_a_lower_bound_for_the_next_attempt(tmp_path: Path) -> None:
    cfg = FaultConfig(
        "las", "503", exchanges=2, outage_seconds=1.5, retry_after=30, retry_max_seconds=60, drain_timeout=0.2
    )
    r = await run_fault(cfg, tmp_path)

    assert len(r.waited) == 2 and r.waiting_for_seen == {"las"}
    assert min(r.next_attempt_delays) > 20, "announced next attempt honours Retry-After: 30"
    assert r.acknowledged == 2 and r.verwerkt == 0, "still waiting for the school (not refused or held)"


async def test_a_huge_retry_after_does_not_park_an_exchange_beyond_the_retry_cap(tmp_path: Path) -> None:
    cfg = FaultConfig(
        "las", "503", exchanges=2, outage_seconds=1.5, retry_after=100_000, retry_max_seconds=60, drain_timeout=0.2
    )
    r = await run_fault(cfg, tmp_path)

    assert len(r.waited) == 2
    assert max(r.next_attempt_delays) <= 61, r.next_attempt_delays
