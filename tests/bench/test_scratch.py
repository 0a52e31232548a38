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


def test_a_folder_named_for_kept_files_is_made_when_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    scratch = _load("scratch")
    owner = tmp_path / "not" / "yet"
    monkeypatch.setenv(scratch.OWNER, str(owner))
    with scratch.scratch("oso-bench-") as folder:
        (folder / "blob").write_bytes(b"x")
    assert folder.parent == owner and (folder / "blob").exists()


def test_run_all_names_the_same_variable() -> None:
    assert _load("run_all").SCRATCH == _load("scratch").OWNER


def test_a_failed_reliability_run_keeps_its_folder_and_a_passed_one_does_not(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scratch = _load("scratch")
    monkeypatch.setattr(scratch.tempfile, "tempdir", str(tmp_path))
    with scratch.run_folder("reliability-") as passed:
        (passed.path / "gateway.db").write_bytes(b"x")
    with scratch.run_folder("reliability-") as failed:
        (failed.path / "gateway.db").write_bytes(b"x")
        failed.failed = True
    assert passed.path.parent == tmp_path and not passed.path.exists()
    assert (failed.path / "gateway.db").exists()
    assert f"kept for inspection: {failed.path}" in capsys.readouterr().err


def test_a_reliability_run_that_raises_keeps_its_folder_and_says_where(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scratch = _load("scratch")
    monkeypatch.setattr(scratch.tempfile, "tempdir", str(tmp_path))
    with pytest.raises(RuntimeError), scratch.run_folder("reliability-") as run:
        (run.path / "gateway.db").write_bytes(b"x")
        raise RuntimeError("the run broke")
    assert run.failed and (run.path / "gateway.db").exists()
    assert f"kept for inspection: {run.path}" in capsys.readouterr().err
