"""`bench/scratch.py`: a benchmark's folder is removed when the benchmark ends, unless `run_all.py` owns the
folders (``$BENCH_SCRATCH``) and removes them all after its last measurement."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench.test_esis_throughput_bench import _load


def test_a_benchmark_on_its_own_removes_its_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    scratch = _load("scratch")
    monkeypatch.delenv(scratch.OWNER, raising=False)
    with scratch.scratch("oso-bench-") as folder:
        (folder / "blob").write_bytes(b"x")
        assert folder.is_dir() and folder.name.startswith("oso-bench-")
    assert not folder.exists()


def test_under_run_all_the_folder_stays_for_its_owner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    scratch = _load("scratch")
    monkeypatch.setenv(scratch.OWNER, str(tmp_path))
    with scratch.scratch("oso-bench-") as folder:
        (folder / "blob").write_bytes(b"x")
    assert folder.parent == tmp_path and (folder / "blob").read_bytes() == b"x"


def test_run_all_names_the_same_variable() -> None:
    assert _load("run_all").SCRATCH == _load("scratch").OWNER


def test_a_failed_reliability_run_keeps_its_folder_and_a_passed_one_does_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scratch = _load("scratch")
    passed, failed = tmp_path / "passed", tmp_path / "failed"
    for folder in (passed, failed):
        folder.mkdir()
        (folder / "gateway.db").write_bytes(b"x")
    scratch.keep_if_failed(passed, False)
    scratch.keep_if_failed(failed, True)
    assert not passed.exists() and (failed / "gateway.db").exists()
    assert f"kept for inspection: {failed}" in capsys.readouterr().err
