"""`gateway codes list|activate|revoke` — the secretariaat's commands for ESIS verification codes.

Codes are registered by the school (the API or the web pages); here they are listed, activated (the school
gets a mail) and revoked. Output is Dutch; a code is only ever shown by its fingerprint.
"""

from __future__ import annotations

import argparse
import sys

from gateway.errors import Refusal
from gateway.pipeline.ports.registry import CodeState
from gateway.registry import codes

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("codes", help="ESIS-verificatiecodes: tonen, activeren, intrekken")
    sub = p.add_subparsers(dest="codes_command", metavar="ACTIE")
    ls = sub.add_parser("list", help="alle verificatiecodes (met vingerafdruk, nooit de code zelf)")
    ls.add_argument("--brin4", help="alleen de codes van deze school (bijvoorbeeld 27ZX)")
    ls.add_argument("--status", choices=[s.value for s in CodeState], help="alleen codes met deze status")
    ls.set_defaults(handler=_list)
    act = sub.add_parser("activate", help="een aangemelde code activeren (de school krijgt een mail)")
    act.add_argument("id", type=int, help="het nummer van de code (zie 'gateway codes list')")
    act.add_argument("--door", default="secretariaat:cli", help="wie activeert (voor het auditlog)")
    act.set_defaults(handler=_activate)
    rev = sub.add_parser("revoke", help="een code intrekken (ESIS-aanvragen met deze code worden geweigerd)")
    rev.add_argument("id", type=int, help="het nummer van de code (zie 'gateway codes list')")
    rev.add_argument("--reden", help="waarom de code wordt ingetrokken")
    rev.add_argument("--door", default="secretariaat:cli", help="wie intrekt (voor het auditlog)")
    rev.set_defaults(handler=_revoke)
    p.set_defaults(handler=lambda _a: (p.print_help(), 2)[1])


def _err(refusal: Refusal) -> int:
    for f in refusal.findings:
        print(f"fout: {f.message}", file=sys.stderr)
    return 2


def _line(v: codes.CodeView) -> str:
    when = v.activated_at or v.registered_at
    extra = f"  reden: {v.revoke_reason}" if v.revoke_reason else ""
    return (
        f"{v.id:>5}  {v.brin6}  {v.environment:<20} {v.state:<11} {v.fingerprint}  "
        f"{when:%Y-%m-%d %H:%M} UTC  {v.contact_email or '(geen mailadres)'}{extra}"
    )


async def _list(args: argparse.Namespace) -> int:
    from gateway.runtime import open_components, settings_from

    settings = settings_from(args)
    async with open_components(settings) as c:
        views = await codes.list_codes(c.db, settings.swv_code, args.brin4, state=args.status)
    if not views:
        print("Geen verificatiecodes gevonden.")
        return 0
    print(f"{'nr':>5}  {'BRIN6':<6}  {'ESIS-omgeving':<20} {'status':<11} vingerafdruk")
    for v in views:
        print(_line(v))
    waiting = sum(1 for v in views if v.state == CodeState.AANGEMELD.value)
    if waiting:
        print(f"\n{waiting} code(s) wachten op activering: gateway codes activate NUMMER")
    return 0


async def _activate(args: argparse.Namespace) -> int:
    from gateway.runtime import open_components, settings_from

    async with open_components(settings_from(args)) as c:
        try:
            v = await codes.activate(c.db, args.id, args.door)
        except Refusal as r:
            return _err(r)
    mail = f"de bevestiging gaat naar {v.contact_email}" if v.contact_email else "er is geen mailadres bekend"
    print(f"Verificatiecode {v.id} ({v.brin6}, {v.environment}, {v.fingerprint}) is actief; {mail}.")
    return 0


async def _revoke(args: argparse.Namespace) -> int:
    from gateway.runtime import open_components, settings_from

    async with open_components(settings_from(args)) as c:
        try:
            v = await codes.revoke(c.db, args.id, args.door, args.reden)
        except Refusal as r:
            return _err(r)
    print(f"Verificatiecode {v.id} ({v.brin6}, {v.environment}, {v.fingerprint}) is ingetrokken.")
    return 0
