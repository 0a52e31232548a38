"""`gateway dossier check`: exit codes and the JSON lines other tools read."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from adapters.parnassys.dossier_factory import build_dossier
from gateway.dossier import cli
from tests.conftest import REPO
from tests.support.official import SWV_EXAMPLES, official


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["dossier", "check", *argv])
    return args.handler(args)


def _write(directory: Path, name: str, **options: Any) -> Path:
    path = directory / name
    path.write_bytes(build_dossier(**options))
    return path


def test_all_valid_exits_0(tmp_path, capsys) -> None:
    po, vo = _write(tmp_path, "po.xml"), _write(tmp_path, "vo.xml", overstap="VOSWV")
    assert _run([str(po), str(vo)]) == 0
    assert capsys.readouterr().out.count("geldig") == 2


@official
def test_the_official_swv_examples_exit_0(capsys) -> None:
    assert _run([str(p) for p in SWV_EXAMPLES]) == 0
    assert capsys.readouterr().out.count("geldig") == 4


def test_any_invalid_exits_1_and_json_has_one_object_per_file(tmp_path, capsys) -> None:
    good = _write(tmp_path, "po.xml")
    bad = _write(tmp_path, "bsn.xml", mutation="bsn")
    ordinary = _write(tmp_path, "ov.xml", mutation="overdrachtsoort_overstapdossier")
    assert _run([str(good), str(bad), str(ordinary), "--json"]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(o["file"].rsplit("/", 1)[-1], o["valid"]) for o in lines] == [
        ("po.xml", True),
        ("bsn.xml", False),
        ("ov.xml", False),
    ]
    assert set(lines[1]) >= {"file", "valid", "errors", "pupil", "attachments"}
    assert {"code": "PaO.LL12"}.items() <= lines[1]["errors"][0].items()
    assert lines[1]["errors"][0]["location"] == "/dossier[1]/huidigeschool[1]/leerling[1]/bsn[1]"
    assert "123456782" not in json.dumps(lines)


def test_a_missing_file_exits_2_with_a_dutch_message(tmp_path, capsys) -> None:
    assert _run([str(tmp_path / "bestaat-niet.xml")]) == 2
    assert "bestaat niet" in capsys.readouterr().err


def test_a_missing_schema_file_is_a_dutch_message_with_exit_2(tmp_path) -> None:
    dossier = _write(tmp_path, "po.xml")
    proc = subprocess.run(
        [sys.executable, "-m", "gateway", "dossier", "check", "--schema", str(tmp_path / "geen.xsd"), str(dossier)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "geen.xsd" in proc.stderr and proc.stderr.startswith("fout: ") and "Traceback" not in proc.stderr
