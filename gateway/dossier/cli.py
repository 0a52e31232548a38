"""`gateway dossier check FILE... [--json]`: validate dossiers offline, exactly as the gateway would.

Exit 0 when every file is a valid SWV dossier, 1 when any is not, 2 when a file cannot be used at all
(missing, unreadable). ``--json`` prints one JSON object per line per file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gateway.logging import configure_logging

from . import DossierReport, read_dossier

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    dossier = subparsers.add_parser("dossier", help="SWV-dossiers (OSO gegevensset 2019.1) controleren")
    sub = dossier.add_subparsers(dest="dossier_command", metavar="COMMANDO")
    check = sub.add_parser("check", help="controleer dossiers: schema, SWV-profielregels en bijlagen")
    check.add_argument("files", nargs="+", metavar="BESTAND", help="dossier (XML)")
    check.add_argument("--json", action="store_true", help="één JSON-object per bestand")
    check.add_argument(
        "--schema",
        default="own",
        metavar="SCHEMA",
        help="'own' (standaard), 'official' of het pad van een XSD",
    )
    check.set_defaults(handler=_check)
    dossier.set_defaults(handler=lambda _args: (dossier.print_help(), 2)[1])


def _schema_problem(schema: str) -> str | None:
    """Why the chosen XSD cannot be used (named, in Dutch), or None. Checked once, before any dossier."""
    from lxml import etree

    from gateway.os_errors import os_error_reason

    from .schema import schema_path

    path = schema_path(schema)
    label = f"schema {path}" + (f" (--schema {schema})" if schema in ("own", "official") else "")
    try:
        with path.open("rb") as fh:
            etree.XMLSchema(etree.parse(fh, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)))
    except OSError as exc:
        return f"{label}: {os_error_reason(exc)}."
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError):
        return f"{label}: dit is geen geldig XSD-schema; kies 'own', 'official' of het pad van een XSD-bestand."
    return None


def _check(args: argparse.Namespace) -> int:
    from gateway.os_errors import os_error_reason

    configure_logging(level="warning")  # log lines go to stderr; stdout carries the verdicts only
    problem = _schema_problem(args.schema)
    if problem:
        print(f"fout: {problem}", file=sys.stderr)
        return 2
    worst = 0
    for name in args.files:
        path = Path(name)
        try:
            with path.open("rb"):
                pass  # a missing, unreadable or directory path is named with its reason, before parsing
            report = read_dossier(path, schema=args.schema)
        except OSError as exc:
            print(f"fout: bestand {name}: {os_error_reason(exc)}.", file=sys.stderr)
            worst = 2
            continue
        if not report.valid:
            worst = max(worst, 1)
        if args.json:
            print(json.dumps({"file": name, **report.to_dict()}, ensure_ascii=False))
        else:
            _print_text(name, report)
    return worst


def _print_text(name: str, report: DossierReport) -> None:
    verdict = "geldig" if report.valid else "ONGELDIG"
    pupil = report.pupil
    who = f" — leerling {pupil.leerlingid}" if pupil and pupil.leerlingid else ""
    lines = [f"{name}: {verdict}{who}, {len(report.attachments)} bijlage(n)"]
    for f in report.findings:
        where = f" [{f.location}]" if f.location else ""
        lines.append(f"  {f.severity.value:<12} {f.code}: {f.message}{where}")
    print("\n".join(lines))  # one write per dossier
