"""`gateway demo --once --json` runs the whole batch over HTTP and reports the hulpvragen it created."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def test_demo_once_json_exits_0_and_reports_hulpvragen_and_refusals(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "gateway", "demo", "--once", "--json", "--port", "0", "--data-dir", str(tmp_path / "d")],
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert summary["counts"].get("verwerkt", 0) >= 1
    assert len(summary["hulpvragen"]) >= 1
    assert not {"ontvangen", "in_behandeling"} & set(summary["counts"]), "the batch must settle"
    for item in summary["exchanges"]:
        if item["state"] == "geweigerd":
            assert item["reasons"] and all(r["code"] and r["message"] for r in item["reasons"])
