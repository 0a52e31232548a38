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


def _check(args: argparse.Namespace) -> int:
    configure_logging(level="warning")  # log lines go to stderr; stdout carries the verdicts only
    worst = 0
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            print(f"fout: {name}: bestand niet gevonden of geen gewoon bestand", file=sys.stderr)
            worst = 2
            continue
        try:
            report = read_dossier(path, schema=args.schema)
        except OSError as exc:
            print(f"fout: {name}: kan het bestand niet lezen ({exc.strerror})", file=sys.stderr)
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
