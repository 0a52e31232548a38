"""SIGKILL of `gateway serve` (five times, at random moments) while 300 OSO exchanges are in flight over
HTTPS: after restarts every acknowledged exchange is exactly one hulpvraag with intact bijlagen and a closed
session — one process and two processes sharing the database and the blob folder, on SQLite and on
PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.crash import CrashConfig, CrashReport, run_crash

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def _assert_nothing_lost_or_doubled(r: CrashReport, total: int) -> None:
    s = r.store
    assert s is not None
    assert r.acknowledged == total, r.summary()
    assert r.kills == 5 and r.kills_mid_run >= 3, r.summary()
    assert r.lost == [], r.summary()
    assert r.doubled == 0, r.summary()
    assert s.exchanges == {"verwerkt": total}, (r.summary(), s.waiting[:5])
    assert s.hulpvragen == total
    assert s.distinct_hulpvragen_of_exchanges == total
    assert s.bijlagen == 2 * total
    assert s.bijlagen_bad_hash == [] and s.bijlagen_missing == []
    assert r.bijlagen_wrong == [], "every hulpvraag holds exactly the documents its school sent"
    assert r.afmeldingen_missing == [], "every session was closed with OverdrachtGeslaagd"
    assert set(s.outbox) == {"verzonden"}, r.summary()


@pytest.mark.parametrize("processes", [1, 2])
async def test_sqlite_gateways_killed_five_times(tmp_path: Path, processes: int) -> None:
    r = await run_crash(CrashConfig(exchanges=300, kills=5, processes=processes, seed=10 + processes), tmp_path)
    _assert_nothing_lost_or_doubled(r, 300)


@pytest.mark.parametrize("processes", [1, 2])
async def test_postgresql_gateways_killed_five_times(tmp_path: Path, postgres_url: str, processes: int) -> None:
    r = await run_crash(
        CrashConfig(database_url=postgres_url, exchanges=300, kills=5, processes=processes, seed=processes),
        tmp_path,
    )
    _assert_nothing_lost_or_doubled(r, 300)
