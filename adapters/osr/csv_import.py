"""Mandates exported from the OSR portal, as CSV: the offline path (``gateway osr import FILE.csv``).

The format is ours (docs/assumptions/osr.md): UTF-8 (a BOM is fine), ``;`` or ``,`` as delimiter (taken
from the header line), a header with these columns in any order, case-insensitive:

    school;dienst;systeem;leverancier_oin;startdatum;einddatum
    14SS;OSO-SWV;ParnasSys;00000003123456780000;15-08-2022;
    0000000700014SS00000;OSO-SWV;Kindkans;;2022-08-15;31-07-2026

``school`` is a BRIN4 or a school OIN; ``dienst`` is the service's namespace URI or ``OSO-SWV``;
``leverancier_oin`` and ``einddatum`` may be empty; dates are ``JJJJ-MM-DD`` or ``DD-MM-JJJJ``; empty
lines and lines starting with ``#`` are skipped. Each bad line becomes a Dutch finding with its line
number; the good lines are still imported.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

from verification.findings import Finding, fout, waarschuwing
from verification.identifiers import OngeldigeIdentificatie
from verification.mandates import Mandaat, OsoSwvParties

__all__ = ["COLUMNS", "MandateImport", "parse_mandates_csv"]

COLUMNS = ("school", "dienst", "systeem", "leverancier_oin", "startdatum", "einddatum")
REQUIRED = ("school", "dienst", "systeem", "startdatum")
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 100_000
_DUTCH_DATE = re.compile(r"([0-9]{1,2})-([0-9]{1,2})-([0-9]{4})")


@dataclass(frozen=True, slots=True)
class MandateImport:
    mandates: tuple[Mandaat, ...]
    findings: tuple[Finding, ...]
    lines_read: int

    @property
    def refused(self) -> int:
        return len({f.location for f in self.findings if f.blocking})


def _date(value: str) -> dt.date:
    value = value.strip()
    if match := _DUTCH_DATE.fullmatch(value):
        day, month, year = (int(g) for g in match.groups())
        return dt.date(year, month, day)
    return dt.date.fromisoformat(value)


def parse_mandates_csv(
    data: bytes,
    *,
    parties: OsoSwvParties | None = None,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> MandateImport:
    parties = parties or OsoSwvParties()
    if len(data) > max_bytes:
        return MandateImport((), (fout("CSV_TE_GROOT", f"Het bestand is groter dan {max_bytes} bytes.", "bestand"),), 0)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return MandateImport(
            (), (fout("CSV_CODERING", "Het bestand is geen UTF-8; sla het op als 'CSV UTF-8'.", "bestand"),), 0
        )
    lines = text.splitlines()
    header_index = next((i for i, line in enumerate(lines) if line.strip() and not line.startswith("#")), None)
    if header_index is None:
        return MandateImport((), (fout("CSV_LEEG", "Het bestand bevat geen kopregel en geen mandaten.", "bestand"),), 0)
    header_line = lines[header_index]
    delimiter = ";" if header_line.count(";") >= header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    findings: list[Finding] = []
    mandates: list[Mandaat] = []
    seen: dict[tuple[object, ...], int] = {}
    columns: dict[str, int] | None = None
    rows = 0
    for row in reader:
        line_no = reader.line_num
        if not row or not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        if columns is None:
            names = [cell.strip().lower() for cell in row]
            missing = [c for c in REQUIRED if c not in names]
            if missing:
                findings.append(
                    fout(
                        "CSV_KOLOM_ONTBREEKT",
                        f"De kopregel mist de kolom(men) {', '.join(missing)}. Verwacht: {';'.join(COLUMNS)}.",
                        f"regel {line_no}",
                    )
                )
                return MandateImport((), tuple(findings), 0)
            columns = {name: names.index(name) for name in COLUMNS if name in names}
            continue
        rows += 1
        if rows > max_rows:
            findings.append(
                fout("CSV_TE_VEEL_REGELS", f"Meer dan {max_rows} regels; de rest is niet gelezen.", f"regel {line_no}")
            )
            break
        result = _parse_row(row, columns, parties, f"regel {line_no}")
        if isinstance(result, Finding):
            findings.append(result)
            continue
        key = (result.school_oin, result.service_namespace, result.system.casefold(), result.start_date)
        if key in seen:
            findings.append(
                waarschuwing(
                    "CSV_DUBBELE_REGEL",
                    f"Dit mandaat staat ook al op regel {seen[key]}; de regel is overgeslagen.",
                    f"regel {line_no}",
                )
            )
            continue
        seen[key] = line_no
        mandates.append(result)
    return MandateImport(tuple(mandates), tuple(findings), rows)


def _parse_row(row: list[str], columns: dict[str, int], parties: OsoSwvParties, where: str) -> Mandaat | Finding:
    def cell(name: str) -> str:
        index = columns.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    empty = [name for name in REQUIRED if not cell(name)]
    if empty:
        return fout("CSV_REGEL_ONVOLLEDIG", f"Vul de kolom(men) {', '.join(empty)} in.", where)
    dienst = cell("dienst")
    namespace = parties.service_namespace if dienst.upper().replace(" ", "") in {"OSO-SWV", "OSOSWV"} else dienst
    if namespace != parties.service_namespace:
        return fout(
            "CSV_DIENST_ONBEKEND",
            f"Dienst '{dienst[:80]}' is niet OSO-SWV; neem alleen mandaten voor de dienst OSO-SWV op.",
            where,
        )
    try:
        start = _date(cell("startdatum"))
        end = _date(cell("einddatum")) if cell("einddatum") else None
    except ValueError:
        return fout(
            "CSV_DATUM_ONGELDIG",
            "Een datum is onleesbaar: gebruik JJJJ-MM-DD of DD-MM-JJJJ (bijvoorbeeld 15-08-2022).",
            where,
        )
    if end is not None and end < start:
        return fout("CSV_DATUM_ONGELDIG", "De einddatum ligt vóór de startdatum.", where)
    try:
        return Mandaat(
            school_oin=cell("school"),
            service_namespace=namespace,
            system=cell("systeem"),
            supplier_oin=cell("leverancier_oin") or None,
            start_date=start,
            end_date=end,
        )
    except OngeldigeIdentificatie as exc:
        return fout(exc.finding.code, exc.finding.message, where)
