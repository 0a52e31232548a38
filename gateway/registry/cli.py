"""`gateway koppelcheck BRIN6 [--json] [--live]` and `gateway registry import|list|add-school|add-vestiging|
set-routering` — the secretariaat's commands for the vestigingen registry.

Exit codes: koppelcheck 0 ready / 1 something blocks the link / 2 bad input; registry commands 0 done /
1 (import) some lines were refused / 2 refused or unusable input. Messages are Dutch, never a traceback.
``--live`` asks the mandates now through the opener an adapter plugs in (`plug_live_lookup`; the OSR adapter's
``adapters/osr/cli.py`` does), so the core names no adapter.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from gateway.errors import ConfigError, Refusal
from gateway.registry import importer, service
from verification.findings import Finding
from verification.identifiers import OngeldigeIdentificatie, parse_brin6
from verification.koppelcheck_text import render_text

if TYPE_CHECKING:
    from gateway.registry.koppelcheck import MandateSource
    from gateway.settings import Settings

__all__ = ["LiveLookupOpener", "plug_live_lookup", "register"]

ACTOR = "secretariaat:cli"
_LIVE = "open_live_lookup"  # the argparse default that carries the plugged-in opener

# settings → a mandate source asked now (e.g. the OSR), open while the report is made
LiveLookupOpener = Callable[["Settings"], AbstractAsyncContextManager["MandateSource"]]


def plug_live_lookup(subparsers: argparse._SubParsersAction, opener: LiveLookupOpener) -> None:
    """Let `gateway koppelcheck --live` ask the mandates through ``opener`` (called by the adapter that can, when
    it registers its own commands; `register` must have run first)."""
    subparsers.choices["koppelcheck"].set_defaults(**{_LIVE: opener})


def register(subparsers: argparse._SubParsersAction) -> None:
    kc = subparsers.add_parser("koppelcheck", help="kan deze vestiging hulpvragen versturen? (diagnose per vestiging)")
    kc.add_argument("brin6", metavar="BRIN6", help="de vestiging, bijvoorbeeld 14SS01")
    kc.add_argument("--json", action="store_true", help="het rapport als JSON")
    kc.add_argument("--live", action="store_true", help="de mandaten nu in het OSR opvragen (niet uit de database)")
    kc.set_defaults(handler=_koppelcheck)

    p = subparsers.add_parser("registry", help="scholen, vestigingen en routeringskenmerken van het SWV")
    sub = p.add_subparsers(dest="registry_command", metavar="ACTIE")
    imp = sub.add_parser("import", help="scholen en vestigingen uit een CSV-bestand inlezen (met verslag)")
    imp.add_argument("file", metavar="BESTAND.csv")
    imp.add_argument("--proef", action="store_true", help="alleen controleren, niets opslaan")
    imp.add_argument("--json", action="store_true", help="het verslag als JSON")
    imp.add_argument("--door", default=ACTOR, help="wie importeert (voor het auditlog)")
    imp.set_defaults(handler=_import)
    ls = sub.add_parser("list", help="de geregistreerde vestigingen met scholenkring, coördinator en kenmerk")
    ls.add_argument("--brin4", help="alleen de vestigingen van deze school")
    ls.set_defaults(handler=_list)
    sc = sub.add_parser("add-school", help="een school (BRIN4) registreren of bijwerken")
    sc.add_argument("brin4", metavar="BRIN4")
    sc.add_argument("naam", metavar="NAAM")
    sc.add_argument("--bestuur")
    sc.add_argument("--las", help="ParnasSys of ESIS")
    sc.add_argument("--door", default=ACTOR)
    sc.set_defaults(handler=_add_school)
    ve = sub.add_parser("add-vestiging", help="een vestiging (BRIN6) registreren of bijwerken")
    ve.add_argument("brin6", metavar="BRIN6")
    ve.add_argument("naam", metavar="NAAM")
    ve.add_argument("--gemeente", required=True, help="bepaalt de scholenkring en de coördinator")
    ve.add_argument("--routeringskenmerk", help="500 voor de hoofdvestiging, 501 voor 01, ... (of de lange vorm)")
    ve.add_argument("--door", default=ACTOR)
    ve.set_defaults(handler=_add_vestiging)
    rt = sub.add_parser("set-routering", help="het routeringskenmerk van een vestiging vastleggen")
    rt.add_argument("brin6", metavar="BRIN6")
    group = rt.add_mutually_exclusive_group(required=True)
    group.add_argument("kenmerk", metavar="KENMERK", nargs="?", help="bijvoorbeeld 501")
    group.add_argument("--wissen", action="store_true", help="het vastgelegde kenmerk verwijderen")
    rt.add_argument("--door", default=ACTOR)
    rt.set_defaults(handler=_set_routering)
    p.set_defaults(handler=lambda _a: (p.print_help(), 2)[1])


def _findings(findings: tuple[Finding, ...] | list[Finding], prefix: str = "fout") -> None:
    for f in findings:
        print(f"{prefix}: {f.message}", file=sys.stderr)


async def _koppelcheck(args: argparse.Namespace) -> int:
    from gateway.registry.koppelcheck import koppelcheck
    from gateway.runtime import open_components, settings_from

    try:
        brin6 = str(parse_brin6(args.brin6))
    except OngeldigeIdentificatie as exc:
        _findings([exc.finding])
        return 2
    settings = settings_from(args)
    async with open_components(settings) as c:
        if args.live:
            open_lookup: LiveLookupOpener | None = getattr(args, _LIVE, None)
            if open_lookup is None:
                raise ConfigError("--live kan niet: deze uitvoering van de gateway heeft geen OSR-koppeling.")
            async with open_lookup(settings) as lookup:
                report = await koppelcheck(c, brin6, lookup=lookup)
        else:
            report = await koppelcheck(c, brin6)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(render_text(report))
    return 0 if report.ready else 1


def _read(path: str, limit: int) -> bytes | None:
    from gateway.os_errors import read_input

    try:
        return read_input(path, limit)
    except ConfigError as exc:
        print(f"fout: {exc}", file=sys.stderr)
        return None


async def _import(args: argparse.Namespace) -> int:
    from gateway.runtime import open_components, settings_from

    data = _read(args.file, importer.MAX_BYTES)
    if data is None:
        return 2
    settings = settings_from(args)
    async with open_components(settings) as c:
        report = await importer.import_registry_csv(c.db, settings.swv_code, data, actor=args.door, dry_run=args.proef)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        for line in report.lines:
            print(f"regel {line.line:>4}  {line.brin6 or '-':<6}  {line.status:<11}  {line.message}")
        for f in report.file_findings:
            print(f"fout: bestand {args.file}: {f.message}", file=sys.stderr)
        print(report.summary)
    if report.file_findings:
        return 2
    return 0 if report.ok else 1


async def _list(args: argparse.Namespace) -> int:
    from gateway.runtime import open_components, settings_from

    settings = settings_from(args)
    async with open_components(settings) as c:
        views = await service.list_vestigingen(c.db, settings.swv_code, args.brin4)
    if not views:
        print("Geen vestigingen geregistreerd.")
        return 0
    print(f"{'BRIN6':<6}  {'kenmerk':<7}  {'LAS':<9}  {'gemeente':<16}  {'scholenkring (coördinator)':<45}  naam")
    for v in views:
        kring = f"{v.scholenkring} ({v.coordinator})" if v.scholenkring else "(geen scholenkring)"
        print(
            f"{v.brin6:<6}  {v.routeringskenmerk or '-':<7}  {v.las or '-':<9}  {v.gemeente:<16}  {kring:<45}  {v.naam}"
        )
    return 0


async def _add_school(args: argparse.Namespace) -> int:
    from gateway.runtime import open_components, settings_from

    settings = settings_from(args)
    async with open_components(settings) as c:
        try:
            saved = await service.register_school(
                c.db, settings.swv_code, args.brin4, args.naam, bestuur=args.bestuur, las=args.las, actor=args.door
            )
        except Refusal as r:
            _findings(r.findings)
            return 2
    print(f"School {saved.school.brin4} ({saved.school.naam}): {saved.change.value}.")
    return 0


def _print_vestiging(saved: service.VestigingSaved) -> None:
    v = saved.vestiging
    kring = f"scholenkring {v.scholenkring}, coördinator {v.coordinator}" if v.scholenkring else "geen scholenkring"
    kenmerk = v.routeringskenmerk or "nog niet vastgelegd"
    print(f"Vestiging {v.brin6} ({v.naam}): {saved.change.value}; {kring}; routeringskenmerk {kenmerk}.")
    _findings(saved.warnings, "let op")


async def _add_vestiging(args: argparse.Namespace) -> int:
    from gateway.runtime import open_components, settings_from

    settings = settings_from(args)
    async with open_components(settings) as c:
        try:
            saved = await service.register_vestiging(
                c.db,
                settings.swv_code,
                args.brin6,
                args.naam,
                args.gemeente,
                routeringskenmerk=args.routeringskenmerk,
                actor=args.door,
            )
        except Refusal as r:
            _findings(r.findings)
            return 2
    _print_vestiging(saved)
    return 0


async def _set_routering(args: argparse.Namespace) -> int:
    from gateway.runtime import open_components, settings_from

    settings = settings_from(args)
    async with open_components(settings) as c:
        try:
            saved = await service.set_routeringskenmerk(
                c.db, settings.swv_code, args.brin6, None if args.wissen else args.kenmerk, actor=args.door
            )
        except Refusal as r:
            _findings(r.findings)
            return 2
    _print_vestiging(saved)
    return 0
