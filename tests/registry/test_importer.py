"""Bulk registry import from CSV: good lines go in, each refused line says why (in Dutch, with its line
number), a refused line changes nothing, a proef stores nothing, an unusable file is refused as a whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from gateway.components import Components
from gateway.registry import service
from gateway.registry.importer import import_registry_csv
from gateway.store.models import School
from tests.registry.factories import csv_bytes, run_cli

SWV = "PO3008"

MIXED = csv_bytes(
    "55AA00;OBS De Linde;Someren;500;OBS De Linde;Stichting Vrij;ParnasSys",  # regel 2: new school + vestiging
    "55AA01;OBS De Linde Lierop;Someren;501;;;",  # regel 3: nevenvestiging of the school above
    "14SS01;De Regenboog Brandevoort;Helmond;501;;;",  # regel 4: renamed
    "14SS00;De Regenboog;Helmond;500;;;",  # regel 5: unchanged
    "66BB00;Nieuwe school;Eindhoven;500;Nieuwe school;;",  # regel 6: unknown gemeente
    "66CC01;Andere school;Helmond;500;Andere school;;",  # regel 7: 500 on a nevenvestiging
    "77DD00;School X;Helmond;931;School X;;",  # regel 8: outside the 500-range
    "XX12;Kapot;Helmond;;;;",  # regel 9: malformed BRIN6
    "55AA01;Dubbel;Someren;501;;;",  # regel 10: the same vestiging again
    "88EE00;School Y;Helmond;;School Y;;Magister",  # regel 11: unknown LAS
)


async def test_good_lines_go_in_and_every_refused_line_says_why(any_components: Components) -> None:
    components = any_components
    report = await import_registry_csv(components.db, SWV, MIXED, actor="test")
    by_line = {x.line: x for x in report.lines}
    assert {n: x.status for n, x in by_line.items()} == {
        2: "toegevoegd",
        3: "toegevoegd",
        4: "bijgewerkt",
        5: "ongewijzigd",
        6: "geweigerd",
        7: "geweigerd",
        8: "geweigerd",
        9: "geweigerd",
        10: "geweigerd",
        11: "geweigerd",
    }
    assert {n: by_line[n].code for n in range(6, 12)} == {
        6: "GEMEENTE_ONBEKEND",
        7: "ROUTERING_VESTIGING_WIJKT_AF",
        8: "ROUTERING_BUITEN_500_REEKS",
        9: "BRIN6_ONGELDIG",
        10: "CSV_DUBBELE_VESTIGING",
        11: "LAS_ONBEKEND",
    }
    assert "Asten, Someren, Deurne" in by_line[2].message and "Manon de Groot" in by_line[2].message
    assert "501" in by_line[7].message and "buiten de 500-reeks" in by_line[8].message
    assert "regel 3" in by_line[10].message
    assert report.summary == "10 regel(s) gelezen: 2 toegevoegd, 1 bijgewerkt, 1 ongewijzigd, 6 geweigerd."
    assert not report.ok
    views = {v.brin6: v for v in await service.list_vestigingen(components.db, SWV)}
    assert views["55AA01"].routeringskenmerk == "501" and views["55AA01"].school_naam == "OBS De Linde"
    assert views["14SS01"].naam == "De Regenboog Brandevoort"
    async with components.db.reader() as s:
        schools = set((await s.exec(select(col(School.brin4)))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert "66CC" not in schools and "66BB" not in schools  # a refused line leaves no school behind


async def test_a_proef_reports_but_stores_nothing(components: Components) -> None:
    report = await import_registry_csv(components.db, SWV, MIXED, actor="test", dry_run=True)
    assert report.count("toegevoegd") == 2 and report.summary.endswith("Proef: er is niets opgeslagen.")
    assert await service.get_vestiging(components.db, SWV, "55AA00") is None


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "CSV_LEEG"),
        (b"# alleen commentaar\n", "CSV_LEEG"),
        ("brin6;naam\n14SS00;Café\n".encode("cp1252"), "CSV_CODERING"),
        (b"brin6;naam\n14SS00;De Regenboog\n", "CSV_KOLOM_ONTBREEKT"),
        (b"brin6;naam;gemeente\n" + b"14SS00;" + b"x" * (3 * 1024 * 1024) + b";Helmond\n", "CSV_TE_GROOT"),
    ],
)
async def test_an_unusable_file_is_refused_as_a_whole(components: Components, data: bytes, code: str) -> None:
    report = await import_registry_csv(components.db, SWV, data, actor="test")
    assert [f.code for f in report.file_findings] == [code]
    assert report.summary.startswith("Het bestand is niet ingelezen")


async def test_comma_delimited_with_aliases_and_a_bom(components: Components) -> None:
    data = "\ufeffBRIN6,Vestigingsnaam,Gemeente,Kenmerk\n21KL01,Het Klaverblad Zuid,Deurne,501\n".encode()
    report = await import_registry_csv(components.db, SWV, data, actor="test")
    assert [x.status for x in report.lines] == ["toegevoegd"]
    assert (v := await service.get_vestiging(components.db, SWV, "21KL01")) and v.routeringskenmerk == "501"


async def test_the_cli_import_prints_the_report_and_exits_1_when_lines_were_refused(
    components: Components, cli: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "goed.csv"
    good.write_bytes(csv_bytes("21KL01;Het Klaverblad Zuid;Deurne;501;;;"))
    assert await run_cli(*cli, "registry", "import", str(good)) == 0
    assert "1 toegevoegd" in capsys.readouterr().out
    mixed = tmp_path / "gemengd.csv"
    mixed.write_bytes(MIXED)
    assert await run_cli(*cli, "registry", "import", str(mixed), "--proef") == 1
    out = capsys.readouterr().out
    assert "regel    6  66BB00  geweigerd" in out and "Proef" in out
    assert await run_cli(*cli, "registry", "import", str(tmp_path / "weg.csv")) == 2
    assert "bestaat niet" in capsys.readouterr().err
