"""Bulk import of schools and vestigingen from CSV, with a per-line report in Dutch (docs/assumptions/registry.md).

One line per vestiging; the school (BRIN4) is added or updated from the same line. The columns, in any
order, case-insensitive (``;`` or ``,`` as delimiter, taken from the header line; UTF-8, a BOM is fine)::

    brin6;naam;gemeente;routeringskenmerk;schoolnaam;bestuur;las
    14SS01;De Regenboog dependance Brandevoort;Helmond;501;Basisschool De Regenboog;Stichting Primair Peelland;ParnasSys

``brin6``, ``naam`` (of the vestiging) and ``gemeente`` are required; the gemeente decides the scholenkring
and so the coördinator. Empty optional cells keep what is recorded. Every line is applied on its own (a
refused line changes nothing, the others still go in) through the same rules as `gateway registry
add-vestiging`; the whole file is one transaction, and ``dry_run`` rolls it back after reporting.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from gateway.errors import Refusal
from gateway.registry.service import Change, swv_in, upsert_school_in, upsert_vestiging_in
from gateway.store.db import Database
from verification.findings import Finding, fout
from verification.identifiers import OngeldigeIdentificatie, parse_brin6

__all__ = ["COLUMNS", "ImportLine", "ImportReport", "import_registry_csv", "parse_registry_csv"]

COLUMNS = ("brin6", "naam", "gemeente", "routeringskenmerk", "schoolnaam", "bestuur", "las")
REQUIRED = ("brin6", "naam", "gemeente")
ALIASES = {
    "vestigingsnaam": "naam",
    "vestiging": "naam",
    "school": "schoolnaam",
    "school_naam": "schoolnaam",
    "kenmerk": "routeringskenmerk",
    "routering": "routeringskenmerk",
}
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 10_000
REFUSED = "geweigerd"


@dataclass(frozen=True, slots=True)
class ImportLine:
    """One line of the report: the CSV line number, the vestiging, what happened and why."""

    line: int
    brin6: str | None
    status: str  # toegevoegd | bijgewerkt | ongewijzigd | geweigerd
    message: str
    code: str | None = None  # the refusal's code (or the first warning's)

    @property
    def refused(self) -> bool:
        return self.status == REFUSED


@dataclass(frozen=True, slots=True)
class ImportReport:
    lines: tuple[ImportLine, ...] = ()
    file_findings: tuple[Finding, ...] = ()  # the whole file was refused
    dry_run: bool = False
    rows: int = 0

    def count(self, status: str) -> int:
        return sum(1 for line in self.lines if line.status == status)

    @property
    def refused(self) -> int:
        return self.count(REFUSED)

    @property
    def ok(self) -> bool:
        return not self.file_findings and not self.refused

    @property
    def summary(self) -> str:
        if self.file_findings:
            return "Het bestand is niet ingelezen: " + " ".join(f.message for f in self.file_findings)
        parts = [f"{self.count(s.value)} {s.value}" for s in Change] + [f"{self.refused} {REFUSED}"]
        text = f"{self.rows} regel(s) gelezen: " + ", ".join(parts) + "."
        return text + (" Proef: er is niets opgeslagen." if self.dry_run else "")

    def to_dict(self) -> dict[str, object]:
        return {
            "summary": self.summary,
            "ok": self.ok,
            "dry_run": self.dry_run,
            "file_findings": [f.to_dict() for f in self.file_findings],
            "lines": [
                {"line": x.line, "brin6": x.brin6, "status": x.status, "message": x.message, "code": x.code}
                for x in self.lines
            ],
        }


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    cells: dict[str, str] = field(default_factory=dict)


def _refuse_file(code: str, message: str, where: str = "bestand") -> tuple[list[_Row], list[Finding]]:
    return [], [fout(code, message, where)]


def parse_registry_csv(
    data: bytes, *, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS
) -> tuple[list[_Row], list[Finding]]:
    """The data lines as cells by column name, or the findings that refuse the whole file."""
    if len(data) > max_bytes:
        return _refuse_file("CSV_TE_GROOT", f"Het bestand is groter dan {max_bytes // 1024} kB; splits het op.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _refuse_file("CSV_CODERING", "Het bestand is geen UTF-8; sla het in Excel op als 'CSV UTF-8'.")
    if "\x00" in text:
        return _refuse_file("CSV_CODERING", "Het bestand bevat binaire gegevens; lever een CSV-bestand aan.")
    lines = text.splitlines()
    header = next((x for x in lines if x.strip() and not x.lstrip().startswith("#")), None)
    if header is None:
        return _refuse_file("CSV_LEEG", "Het bestand bevat geen kopregel en geen vestigingen.")
    delimiter = ";" if header.count(";") >= header.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    columns: dict[str, int] | None = None
    rows: list[_Row] = []
    findings: list[Finding] = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
                continue
            if columns is None:
                names = [ALIASES.get(n, n) for n in (c.strip().lower().replace(" ", "_") for c in row)]
                missing = [c for c in REQUIRED if c not in names]
                if missing:
                    return _refuse_file(
                        "CSV_KOLOM_ONTBREEKT",
                        f"De kopregel mist de kolom(men) {', '.join(missing)}. Verwacht: {';'.join(COLUMNS)}.",
                        f"regel {reader.line_num}",
                    )
                columns = {name: names.index(name) for name in COLUMNS if name in names}
                continue
            if len(rows) >= max_rows:
                findings.append(
                    fout(
                        "CSV_TE_VEEL_REGELS",
                        f"Meer dan {max_rows} vestigingen; de rest is niet gelezen.",
                        f"regel {reader.line_num}",
                    )
                )
                break
            cells = {name: row[i].strip() for name, i in columns.items() if i < len(row)}
            rows.append(_Row(reader.line_num, cells))
    except csv.Error as exc:
        return _refuse_file("CSV_ONLEESBAAR", f"Het bestand is geen geldige CSV ({exc}).")
    return rows, findings


def _refused(row: _Row, brin6: str | None, findings: tuple[Finding, ...]) -> ImportLine:
    message = " ".join(f.message for f in findings)
    return ImportLine(row.line, brin6, REFUSED, message, findings[0].code)


def _done(row: _Row, brin6: str, change: Change, detail: str, warnings: tuple[Finding, ...]) -> ImportLine:
    verb = {Change.TOEGEVOEGD: "toegevoegd", Change.BIJGEWERKT: "bijgewerkt", Change.ONGEWIJZIGD: "al zo geregistreerd"}
    message = f"Vestiging {brin6} {verb[change]} ({detail})."
    if warnings:
        message += " Let op: " + " ".join(w.message for w in warnings)
    return ImportLine(row.line, brin6, change.value, message, warnings[0].code if warnings else None)


class _DryRun(Exception):
    pass


async def import_registry_csv(
    db: Database, swv_code: str, data: bytes, *, actor: str, dry_run: bool = False
) -> ImportReport:
    """Apply every good line of the CSV to the registry of ``swv_code``; report each line."""
    rows, file_findings = parse_registry_csv(data)
    if not rows and file_findings:
        return ImportReport((), tuple(file_findings), dry_run)
    report_lines: list[ImportLine] = []
    try:
        async with db.session() as s:
            try:
                swv = await swv_in(s, swv_code)
            except Refusal as exc:
                return ImportReport((), exc.findings, dry_run)
            seen: dict[str, int] = {}
            for row in rows:
                brin6 = row.cells.get("brin6", "").upper() or None
                if brin6 and brin6 in seen:
                    report_lines.append(
                        _refused(
                            row,
                            brin6,
                            (
                                fout(
                                    "CSV_DUBBELE_VESTIGING",
                                    f"Vestiging {brin6} staat al op regel {seen[brin6]}; deze regel is overgeslagen.",
                                    f"regel {row.line}",
                                ),
                            ),
                        )
                    )
                    continue
                try:
                    async with s.begin_nested():
                        try:
                            brin4 = parse_brin6(brin6, "brin6").brin4
                        except OngeldigeIdentificatie as exc:
                            raise Refusal([exc.finding]) from None
                        await upsert_school_in(
                            s,
                            swv,
                            brin4,
                            row.cells.get("schoolnaam") or None,
                            naam_if_new=row.cells.get("naam"),
                            bestuur=row.cells.get("bestuur"),
                            las=row.cells.get("las"),
                            actor=actor,
                        )
                        saved = await upsert_vestiging_in(
                            s,
                            swv,
                            brin6,
                            row.cells.get("naam"),
                            row.cells.get("gemeente"),
                            routeringskenmerk=row.cells.get("routeringskenmerk") or None,
                            actor=actor,
                        )
                except Refusal as exc:
                    report_lines.append(_refused(row, brin6, exc.findings))
                    continue
                v = saved.vestiging
                seen[v.brin6] = row.line
                detail = f"scholenkring {v.scholenkring}, coördinator {v.coordinator}, routeringskenmerk "
                detail += v.routeringskenmerk or "nog niet vastgelegd"
                report_lines.append(_done(row, v.brin6, saved.change, detail, saved.warnings))
            report = ImportReport(tuple(report_lines), tuple(file_findings), dry_run, len(rows))
            if dry_run:
                raise _DryRun
            return report
    except _DryRun:
        return report
