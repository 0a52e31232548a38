"""`gateway db seed` lays down the SWV of the settings on a fresh database — the one thing only the demo did
before, so a production database could not take a school (`SWV_ONBEKEND`); running it again changes nothing."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from gateway.cli.main import main
from gateway.store.seed import CATALOGUE


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code: object = main(argv)
    except SystemExit as exit_:  # an error is reported and exits non-zero
        code = exit_.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().out


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_seed_makes_the_swv_of_the_settings_with_its_catalogue_and_a_school_can_then_be_added(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [k for k in os.environ if k.startswith("GATEWAY_")]:
        monkeypatch.delenv(name)
    config = tmp_path / "gateway.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\nswv_code = "VO3010"\n', encoding="utf-8")
    db = tmp_path / "data" / "gateway.db"

    code, _ = _run(["--config", str(config), "registry", "add-school", "14SS", "De Regenboog"], capsys)
    assert code != 0, "without the SWV a school cannot be registered"

    code, out = _run(["--config", str(config), "db", "seed", "--naam", "SWV Voorbeeld VO"], capsys)
    assert code == 0 and "VO3010 staat in de database" in out
    assert _rows(db, "SELECT code, naam FROM swv") == [("VO3010", "SWV Voorbeeld VO")]
    types = _rows(db, "SELECT naam FROM aanvraagtype ORDER BY volgorde")
    assert [t[0] for t in types] == [entry[0] for entry in CATALOGUE]

    code, _ = _run(["--config", str(config), "db", "seed", "--naam", "Een andere naam"], capsys)
    assert code == 0
    assert _rows(db, "SELECT code, naam FROM swv") == [("VO3010", "SWV Voorbeeld VO")], "a second run changes nothing"
    assert len(_rows(db, "SELECT id FROM aanvraagtype")) == len(CATALOGUE)

    code, _ = _run(["--config", str(config), "registry", "add-school", "14SS", "De Regenboog"], capsys)
    assert code == 0
    assert _rows(db, "SELECT brin4 FROM school") == [("14SS",)]
