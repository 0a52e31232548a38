"""`gateway osr import FILE.csv`: good lines are stored (bron csv), refused lines are reported with their line
number, a school with a refused line keeps its stored mandates, a proef stores nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.components import Components
from gateway.store.models import Mandaat
from tests.registry.factories import run_cli, store_mandates

HEADER = "school;dienst;systeem;leverancier_oin;startdatum;einddatum"


def _csv(tmp_path: Path, *lines: str) -> str:
    path = tmp_path / "mandaten.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return str(path)


async def _stored(c: Components) -> dict[str, set[tuple[str, str]]]:
    async with c.db.reader() as s:
        rows = list((await s.exec(select(Mandaat))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    out: dict[str, set[tuple[str, str]]] = {}
    for r in rows:
        out.setdefault(r.brin4, set()).add((r.systeem, r.bron))
    return out


GOOD_AND_BAD = (
    "14SS;OSO-SWV;ParnasSys;;15-08-2022;",  # regel 2
    "0000000700014SS00000;OSO-SWV;Kind Kans;;2022-08-15;31-07-2030",  # regel 3: the OSR's spelling
    "21KL;OSO-SWV;ParnasSys;;2022-09-01;",  # regel 4
    "21KL;OSO-SWV;Kindkans;;32-13-2022;",  # regel 5: bad date
    "30TV;Eduroam;ParnasSys;;2022-08-15;",  # regel 6: another service
    "1234;OSO-SWV;Kindkans;;2022-08-15;",  # regel 7: bad BRIN
)


async def test_import_stores_good_lines_and_reports_the_refused_ones(
    components: Components, cli: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await store_mandates(components, "21KL", ("ParnasSys", "Kindkans"))  # kept: regel 5 is about 21KL
    assert await run_cli(*cli, "osr", "import", _csv(tmp_path, *GOOD_AND_BAD)) == 1
    out = capsys.readouterr().out
    assert "regel 5: fout:" in out and "regel 6: fout:" in out and "regel 7: fout:" in out
    assert "21KL: niet bijgewerkt omdat regel 5 geweigerd is" in out
    assert "6 regel(s) gelezen: 2 mandaat/mandaten van 1 school/scholen opgeslagen, 3 regel(s) geweigerd." in out
    assert await _stored(components) == {
        "14SS": {("ParnasSys", "csv"), ("Kindkans", "csv")},
        "21KL": {("ParnasSys", "osr"), ("Kindkans", "osr")},
    }
    assert await run_cli(*cli, "koppelcheck", "14SS00") == 0


async def test_a_proef_stores_nothing(
    components: Components, cli: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_cli(*cli, "osr", "import", _csv(tmp_path, GOOD_AND_BAD[0]), "--proef") == 0
    assert "proef: niets opgeslagen" in capsys.readouterr().out
    assert await _stored(components) == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "geen kopregel"),
        (b"school;systeem\n14SS;ParnasSys\n", "mist de kolom"),
        ("school;dienst;systeem;startdatum\n14SS;OSO-SWV;Kindkans;é\n".encode("cp1252"), "geen UTF-8"),
    ],
)
async def test_an_unusable_file_exits_2(
    components: Components,
    cli: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes,
    message: str,
) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    assert await run_cli(*cli, "osr", "import", str(path)) == 2
    assert message in capsys.readouterr().err


async def test_a_missing_file_exits_2(cli: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_cli(*cli, "osr", "import", str(tmp_path / "weg.csv")) == 2
    assert "bestaat niet" in capsys.readouterr().err
