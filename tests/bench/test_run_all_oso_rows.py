"""`bench/run_all.py`'s OSO-SWV rows carry issue 18's targets: throughput ≥ 120/s, notificatie p99 (≤ 50 ms on
SQLite, ≤ 100 ms on PostgreSQL), gateway CPU ≤ 1.6 × the floor's, and PostgreSQL ≥ 0.8 × the SQLite throughput
of the same topology measured earlier in the same run. The benchmark itself is replaced by a fixed result."""

from __future__ import annotations

from typing import Any

import pytest

from tests.bench.test_esis_throughput_bench import _load


def _result(eps: float, p99: float, cpu: float, floor_cpu: float) -> dict[str, Any]:
    return {
        "floor": {"cpu_ms_per_dossier": floor_cpu, "dossiers_per_second": 100.0},
        "throughput": {
            "exchanges_per_second": eps,
            "errors": 0,
            "gateway_cpu_ms_per_exchange": cpu,
            "first_process_cpu_ms_per_exchange": 3.0,
            "simulators_cpu_ms_per_exchange": 3.0,
            "ratio_to_floor": 1.5,
        },
        "latency": {"p50_ms": 8.0, "p99_ms": p99, "max_ms": p99 + 1},
    }


def test_sqlite_rows_judge_throughput_latency_and_cpu_against_the_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    run_all = _load("run_all")
    monkeypatch.setattr(run_all, "_json_bench", lambda *_: _result(eps=130.0, p99=60.0, cpu=16.0, floor_cpu=10.0))
    rows = {r.figure.split(" over ")[0].split(" at ")[0]: r for r in run_all.oso_split(True)}
    assert rows["exchanges/s"].met is True and rows["exchanges/s"].ratio == pytest.approx(130 / 120)
    assert rows["notificatie p99"].met is False and rows["notificatie p99"].ratio == pytest.approx(60 / 50)
    cpu = rows["gateway CPU per exchange / floor CPU per dossier"]
    assert cpu.met is True and cpu.ratio == pytest.approx(1.6 / 1.6)


def test_postgres_is_compared_with_the_sqlite_run_of_the_same_topology(monkeypatch: pytest.MonkeyPatch) -> None:
    run_all = _load("run_all")
    monkeypatch.setattr(run_all, "_json_bench", lambda *_: _result(eps=100.0, p99=40.0, cpu=20.0, floor_cpu=10.0))
    run_all.oso_split(True)
    monkeypatch.setattr(run_all, "_json_bench", lambda *_: _result(eps=70.0, p99=90.0, cpu=25.0, floor_cpu=10.0))
    rows = {r.figure: r for r in run_all.oso_pg_split(True)}
    vs = rows["exchanges/s vs SQLite, same topology, this run"]
    assert vs.value == pytest.approx(0.7) and vs.met is False
    assert rows["notificatie p99 at 100/s offered (50)"].met is True  # ≤ 100 ms on PostgreSQL
    assert rows["gateway CPU per exchange / floor CPU per dossier"].met is False  # 2.5 ×


def test_postgres_without_its_sqlite_run_says_so_instead_of_a_ratio(monkeypatch: pytest.MonkeyPatch) -> None:
    run_all = _load("run_all")
    monkeypatch.setattr(run_all, "_json_bench", lambda *_: _result(eps=70.0, p99=90.0, cpu=25.0, floor_cpu=10.0))
    [vs] = [r for r in run_all.oso_pg_split2(True) if r.figure.startswith("exchanges/s vs SQLite")]
    assert vs.value is None and vs.met is None and "did not run" in vs.note


def test_a_quick_run_judges_the_one_pair_and_notes_how_much_the_machine_moved(monkeypatch: pytest.MonkeyPatch) -> None:
    run_all = _load("run_all")
    monkeypatch.setattr(run_all, "_json_bench", lambda *_: _result(eps=100.0, p99=40.0, cpu=20.0, floor_cpu=8.0))
    run_all.oso_split(True)
    monkeypatch.setattr(run_all, "_json_bench", lambda *_: _result(eps=70.0, p99=90.0, cpu=25.0, floor_cpu=12.0))
    [vs] = [r for r in run_all.oso_pg_split(True) if r.figure.startswith("exchanges/s vs SQLite")]
    assert vs.value == pytest.approx(0.7) and vs.met is False
    assert "one pair" in vs.note and "floors 8.0 then 12.0 ms" in vs.note


def test_a_full_run_judges_the_median_of_alternating_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine slows down while the first PostgreSQL run runs (0.6 ×); the two pairs after it, one
    PostgreSQL first and one SQLite first, see 0.9 × and 0.85 ×: the median pair is judged."""
    run_all = _load("run_all")
    monkeypatch.setattr(run_all, "_json_bench", lambda *_: _result(eps=100.0, p99=40.0, cpu=20.0, floor_cpu=8.0))
    run_all.oso_split(False)
    rates = iter([60.0, 54.0, 60.0, 80.0, 68.0])  # the main PostgreSQL run, then PG, SQLite, SQLite, PG
    calls: list[list[str]] = []

    def bench(args: list[str], _timeout: float) -> dict[str, Any]:
        calls.append(args)
        return _result(eps=next(rates), p99=40.0, cpu=20.0, floor_cpu=8.0)

    monkeypatch.setattr(run_all, "_json_bench", bench)
    [vs] = [r for r in run_all.oso_pg_split(False) if r.figure.startswith("exchanges/s vs SQLite")]
    assert ["--postgres" in args for args in calls] == [True, True, False, False, True]
    assert all("--split" in args for args in calls)
    assert vs.value == pytest.approx(0.85) and vs.met is True
    assert "median" in vs.note and "100.0 / 60.0, 60.0 / 54.0, 80.0 / 68.0" in vs.note
    assert "0.85 ×" in run_all.render([vs])  # a ratio with two decimals: 0.8 × would hide 0.75 and 0.84


def test_a_pair_with_errors_fails_the_ratio_instead_of_judging_a_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    run_all = _load("run_all")
    monkeypatch.setattr(run_all, "_json_bench", lambda *_: _result(eps=100.0, p99=40.0, cpu=20.0, floor_cpu=8.0))
    run_all.oso_split(False)
    broken = _result(eps=90.0, p99=40.0, cpu=20.0, floor_cpu=8.0)
    broken["throughput"]["errors"], broken["throughput"]["error_examples"] = 2, ["timeout"]
    monkeypatch.setattr(run_all, "_json_bench", lambda *_: broken)
    rows = {r.figure: r for r in run_all.oso_pg_split(False)}
    vs = rows["exchanges/s vs SQLite, same topology, this run"]
    assert vs.value is None and vs.met is False and "2 errors" in vs.note
    assert rows["notificatie p99 at 100/s offered (300)"].met is True  # the main run's rows stay


def test_cpu_is_judged_against_the_lower_of_the_two_floors(monkeypatch: pytest.MonkeyPatch) -> None:
    """A floor caught in other load (18 ms before the run, 8 ms after it) must not flatter the ratio."""
    run_all = _load("run_all")
    slow_first = _result(eps=60.0, p99=30.0, cpu=20.0, floor_cpu=18.0)
    slow_first["floor_after"] = {"cpu_ms_per_dossier": 8.0, "dossiers_per_second": 120.0}
    monkeypatch.setattr(run_all, "_json_bench", lambda *_: slow_first)
    rows = {r.figure.split(" over ")[0]: r for r in run_all.oso_split(True)}
    cpu = rows["gateway CPU per exchange / floor CPU per dossier"]
    assert cpu.met is False and cpu.ratio == pytest.approx(20 / 8 / 1.6)
    assert "floor before 18.0 ms, after 8.0 ms" in cpu.note
    assert "120.0 dossiers/s" in rows["exchanges/s"].note
