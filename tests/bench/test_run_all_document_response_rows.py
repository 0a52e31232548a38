"""`bench/run_all.py`'s documentResponse rows: the streaming path's peak memory, bounded like the dossier
reader's (< 64 MB), with the DOM path's figure beside it. The benchmark's output is replaced by a fixed one."""

from __future__ import annotations

import subprocess

import pytest

from tests.bench.test_esis_throughput_bench import _load

_OUTPUT = """\
  19.9 MB documentResponse, dom   : client peak RSS rise   91.0 MB (4.56 × the response), with read_dossier   91.0 MB
  19.9 MB documentResponse, stream: client peak RSS rise   25.0 MB (1.25 × the response), with read_dossier   25.0 MB
  69.8 MB documentResponse, dom   : client peak RSS rise  275.6 MB (3.95 × the response), with read_dossier  275.6 MB
  69.8 MB documentResponse, stream: client peak RSS rise   70.0 MB (1.00 × the response), with read_dossier   70.0 MB
"""


def test_each_size_is_a_row_of_the_streaming_path_judged_against_the_memory_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_all = _load("run_all")
    monkeypatch.setattr(run_all, "_run", lambda *_: subprocess.CompletedProcess([], 0, _OUTPUT, ""))
    rows = run_all.document_response(True)
    assert [(r.figure, r.value, r.met) for r in rows] == [
        ("20 MB: peak RSS rise", 25.0, True),
        ("70 MB: peak RSS rise", 70.0, False),
    ]
    assert rows[1].ratio == pytest.approx(70 / 64) and "DOM path before: 3.95 ×" in rows[1].note


def test_a_benchmark_that_printed_nothing_is_an_error_not_an_empty_table(monkeypatch: pytest.MonkeyPatch) -> None:
    run_all = _load("run_all")
    monkeypatch.setattr(run_all, "_run", lambda *_: subprocess.CompletedProcess([], 1, "", "boom"))
    with pytest.raises(RuntimeError):
        run_all.document_response(True)
