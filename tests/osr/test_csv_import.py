"""Mandates from an OSR-portal CSV export: good lines imported, bad lines reported per line in Dutch."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.osr.csv_import import parse_mandates_csv
from tests.osr.factories import PARTIES
from verification.mandates import check_oso_swv_mandates

HEADER = "school;dienst;systeem;leverancier_oin;startdatum;einddatum"


def csv_bytes(*lines: str, header: str = HEADER, bom: bool = False) -> bytes:
    text = "\n".join([header, *lines]) + "\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def test_a_clean_export_is_imported() -> None:
    result = parse_mandates_csv(
        csv_bytes(
            "14SS;OSO-SWV;ParnasSys;00000003123456780000;15-08-2022;",
            "0000000700014SS00000;OSO-SWV;Kind Kans;;2022-08-15;31-07-2026",
            bom=True,
        ),
        parties=PARTIES,
    )
    assert result.findings == () and result.lines_read == 2
    first, second = result.mandates
    assert first.brin4 == "14SS" and first.start_date == dt.date(2022, 8, 15) and first.end_date is None
    assert second.end_date == dt.date(2026, 7, 31)
    assert check_oso_swv_mandates("14SS00", result.mandates, dt.date(2025, 9, 1)).ok


def test_comma_delimiter_any_column_order_comments_and_blank_lines() -> None:
    data = (
        "# export OSR-portaal\n"
        "Systeem,School,Startdatum,Dienst\n"
        "\n"
        f"ParnasSys,14SS,2022-08-15,{PARTIES.service_namespace}\n"
    ).encode()
    result = parse_mandates_csv(data, parties=PARTIES)
    assert result.findings == () and len(result.mandates) == 1


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("14S;OSO-SWV;ParnasSys;;2022-08-15;", "BRIN4_ONGELDIG"),
        ("00000003123456780000;OSO-SWV;ParnasSys;;2022-08-15;", "OIN_GEEN_SCHOOL"),
        ("14SS;OSO-SWV;ParnasSys;123;2022-08-15;", "OIN_ONGELDIG"),
        ("14SS;OSO-SWV;ParnasSys;;15/08/2022;", "CSV_DATUM_ONGELDIG"),
        ("14SS;OSO-SWV;ParnasSys;;2022-08-15;2021-01-01", "CSV_DATUM_ONGELDIG"),
        ("14SS;OSO;ParnasSys;;2022-08-15;", "CSV_DIENST_ONBEKEND"),
        ("14SS;OSO-SWV;;;2022-08-15;", "CSV_REGEL_ONVOLLEDIG"),
    ],
)
def test_a_bad_line_is_reported_with_its_number_and_the_rest_imported(line: str, code: str) -> None:
    result = parse_mandates_csv(csv_bytes("25BE;OSO-SWV;Kindkans;;2022-08-15;", line), parties=PARTIES)
    assert [f.code for f in result.findings] == [code]
    assert result.findings[0].location == "regel 3"
    assert len(result.mandates) == 1 and result.refused == 1


def test_a_duplicate_line_is_a_warning() -> None:
    line = "14SS;OSO-SWV;ParnasSys;;2022-08-15;"
    result = parse_mandates_csv(csv_bytes(line, line), parties=PARTIES)
    assert [f.code for f in result.findings] == ["CSV_DUBBELE_REGEL"]
    assert not result.findings[0].blocking and len(result.mandates) == 1


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"school;systeem\n14SS;ParnasSys\n", "CSV_KOLOM_ONTBREEKT"),
        (b"", "CSV_LEEG"),
        ("school;dienst\n\xe9".encode("latin-1"), "CSV_CODERING"),
        (b"x" * 101, "CSV_TE_GROOT"),
    ],
)
def test_unusable_files_are_refused_whole(data: bytes, code: str) -> None:
    result = parse_mandates_csv(data, parties=PARTIES, max_bytes=100)
    assert [f.code for f in result.findings] == [code] and result.mandates == ()


def test_row_limit() -> None:
    line = "14SS;OSO-SWV;ParnasSys;;2022-08-15;"
    result = parse_mandates_csv(csv_bytes(line, line, line), parties=PARTIES, max_rows=2)
    assert "CSV_TE_VEEL_REGELS" in [f.code for f in result.findings]
