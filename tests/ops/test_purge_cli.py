"""`gateway purge [--dry-run]`: Dutch output, an audit entry for a real run, no traceback on bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.cli.main import main


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GATEWAY_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    assert main(["db", "upgrade"]) == 0
    return tmp_path / "data"


def test_a_dry_run_says_what_would_go(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["purge", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Bewaartermijnen: ruwe berichten van geweigerde uitwisselingen 90 dagen, van verwerkte " in out
    assert "auditregels 730 dagen; documenten waar niets naar verwijst na 60 minuten." in out
    assert "Zou verwijderen: 0 ruwe bericht(en)" in out and "Proefdraai" in out


def test_a_real_run_reports_what_went(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["purge"]) == 0
    out = capsys.readouterr().out
    assert "Verwijderd: 0 auditregel(s)" in out and "Proefdraai" not in out


def test_a_bad_retention_setting_is_a_dutch_message_not_a_traceback(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GATEWAY_RETENTION__AUDIT_DAYS", "altijd")
    assert main(["purge"]) == 2
    err = capsys.readouterr().err
    assert "fout: Ongeldige instelling '[retention] audit_days'" in err and "Traceback" not in err
