"""`gateway dossier check`: exit codes and the JSON lines other tools read."""

from __future__ import annotations

import argparse
import json

from adapters.parnassys.dossier_factory import build_dossier
from gateway.dossier import cli

from .conftest import OV_EXAMPLES, SWV_EXAMPLES


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["dossier", "check", *argv])
    return args.handler(args)


def test_all_valid_exits_0(capsys) -> None:
    assert _run([str(p) for p in SWV_EXAMPLES]) == 0
    assert capsys.readouterr().out.count("geldig") == 4


def test_any_invalid_exits_1_and_json_has_one_object_per_file(tmp_path, capsys) -> None:
    bad = tmp_path / "bsn.xml"
    bad.write_bytes(build_dossier(mutation="bsn"))
    assert _run([str(SWV_EXAMPLES[0]), str(bad), str(OV_EXAMPLES[0]), "--json"]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(o["file"].rsplit("/", 1)[-1], o["valid"]) for o in lines] == [
        (SWV_EXAMPLES[0].name, True),
        ("bsn.xml", False),
        (OV_EXAMPLES[0].name, False),
    ]
    assert set(lines[1]) >= {"file", "valid", "errors", "pupil", "attachments"}
    assert {"code": "PaO.LL12"}.items() <= lines[1]["errors"][0].items()
    assert lines[1]["errors"][0]["location"] == "/dossier[1]/huidigeschool[1]/leerling[1]/bsn[1]"
    assert "123456782" not in json.dumps(lines)


def test_a_missing_file_exits_2_with_a_dutch_message(tmp_path, capsys) -> None:
    assert _run([str(tmp_path / "bestaat-niet.xml")]) == 2
    assert "bestaat niet" in capsys.readouterr().err
