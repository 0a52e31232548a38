"""`gateway users add|list|unlock|reset-totp` and the demo accounts (one per role) that `gateway demo` prints.

`users add` prints the TOTP secret and its otpauth URI once; they are not shown again (the secretariaat can
reset the second factor with `users reset-totp`, after which the user enrols again at the next log-in).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from dataclasses import asdict, dataclass

from gateway.store.db import Database
from gateway.store.models.accounts import Role
from gateway.web.auth.accounts import (
    AccountError,
    add_account,
    find_account,
    list_accounts,
    reset_totp,
    totp_secret_of,
    unlock,
)
from gateway.web.auth.passwords import password_problem
from gateway.web.auth.totp import provisioning_uri

__all__ = ["DEMO_PASSWORD", "DemoAccount", "create_demo_accounts", "register"]

DEMO_PASSWORD = "demo-wachtwoord-2025"  # noqa: S105  (fictitious demo accounts only)


@dataclass(frozen=True)
class DemoAccount:
    role: str
    organisatie: str
    gebruikersnaam: str
    wachtwoord: str
    totp_secret: str
    otpauth_uri: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def line(self) -> str:
        return (
            f"{self.role:<16} organisatie {self.organisatie:<6}  gebruiker {self.gebruikersnaam:<14}  "
            f"wachtwoord {self.wachtwoord}  TOTP-sleutel {self.totp_secret}"
        )


async def create_demo_accounts(
    db: Database, swv_code: str = "PO3008", school_brin4: str = "27ZX", *, password_log2_n: int = 15
) -> list[DemoAccount]:
    """One account per role (secretariaat, monitoring, schoolbeheerder of an ESIS demo school). Idempotent:
    an existing demo account is left as it is and listed with its current secret."""
    wanted = (
        (Role.SECRETARIAAT, swv_code, "secretariaat", None),
        (Role.MONITORING, swv_code, "monitoring", None),
        (Role.SCHOOLBEHEERDER, school_brin4, "beheerder", school_brin4),
    )
    out: list[DemoAccount] = []
    for role, org, user, brin4 in wanted:
        existing = await find_account(db, org, user)
        if existing is not None and existing.totp_secret:
            secret = totp_secret_of(db, existing)
        else:
            new = await add_account(
                db,
                organisatie=org,
                gebruikersnaam=user,
                role=role,
                swv_code=swv_code,
                brin4=brin4,
                email=f"{user}@{org.lower()}.demo.invalid",
                naam=f"Demo {role.value}",
                password=DEMO_PASSWORD,
                password_log2_n=password_log2_n,
            )
            assert new.totp_secret is not None
            secret = new.totp_secret
        out.append(DemoAccount(role.value, org, user, DEMO_PASSWORD, secret, provisioning_uri(secret, org, user)))
    return out


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("users", help="accounts van de webpagina's: toevoegen, tonen, deblokkeren")
    sub = p.add_subparsers(dest="users_command", metavar="ACTIE")
    add = sub.add_parser("add", help="nieuw account (toont eenmalig de TOTP-sleutel)")
    add.add_argument("organisatie", help="de SWV-code (PO3008) of, voor een schoolbeheerder, de BRIN4 van de school")
    add.add_argument("gebruikersnaam")
    add.add_argument("--rol", required=True, choices=[r.value for r in Role])
    add.add_argument("--email", help="adres voor de herstelmail")
    add.add_argument("--naam", help="volledige naam")
    add.add_argument(
        "--wachtwoord-vragen",
        action="store_true",
        help="vraag nu een wachtwoord (anders stelt de gebruiker het in via de herstelmail)",
    )
    add.set_defaults(handler=_add)
    ls = sub.add_parser("list", help="alle accounts")
    ls.set_defaults(handler=_list)
    un = sub.add_parser("unlock", help="een geblokkeerd account deblokkeren")
    un.add_argument("organisatie")
    un.add_argument("gebruikersnaam")
    un.set_defaults(handler=_unlock)
    rt = sub.add_parser("reset-totp", help="de tweestapsverificatie wissen (opnieuw instellen bij het inloggen)")
    rt.add_argument("organisatie")
    rt.add_argument("gebruikersnaam")
    rt.set_defaults(handler=_reset_totp)
    p.set_defaults(handler=lambda _a: (p.print_help(), 2)[1])


def _err(message: str) -> int:
    print(f"fout: {message}", file=sys.stderr)
    return 2


async def _add(args: argparse.Namespace) -> int:
    from gateway.cli.common import open_components, settings_from

    settings = settings_from(args)
    password = None
    if args.wachtwoord_vragen:
        password = getpass.getpass("Wachtwoord: ")
        problem = password_problem(password, getpass.getpass("Nogmaals: "))
        if problem:
            return _err(problem)
    async with open_components(settings) as c:
        try:
            new = await add_account(
                c.db,
                organisatie=args.organisatie,
                gebruikersnaam=args.gebruikersnaam,
                role=args.rol,
                swv_code=settings.swv_code,
                brin4=args.organisatie if args.rol == Role.SCHOOLBEHEERDER.value else None,
                email=args.email,
                naam=args.naam,
                password=password,
            )
        except AccountError as exc:
            return _err(str(exc))
    print(f"Account {new.organisatie}/{new.gebruikersnaam} aangemaakt ({args.rol}).")
    print(f"TOTP-sleutel (wordt niet opnieuw getoond): {new.totp_secret}")
    print(f"otpauth-URI: {new.otpauth_uri}")
    if password is None:
        print("Er is nog geen wachtwoord: de gebruiker kiest het via 'Wachtwoord vergeten' (herstelmail).")
    return 0


async def _list(args: argparse.Namespace) -> int:
    from gateway.cli.common import open_components, settings_from

    async with open_components(settings_from(args)) as c:
        accounts = await list_accounts(c.db)
    if not accounts:
        print("Nog geen accounts. Maak er een met 'gateway users add'.")
    for a in accounts:
        state = "GEBLOKKEERD" if a.locked else "actief"
        totp = "tweestaps ingesteld" if a.totp_secret else "tweestaps nog niet ingesteld"
        print(f"{a.organisatie:<6} {a.gebruikersnaam:<20} {a.role:<15} {state:<11} {totp}  {a.email or ''}")
    return 0


async def _find_id(c: object, args: argparse.Namespace) -> int | None:
    account = await find_account(c.db, args.organisatie, args.gebruikersnaam)  # type: ignore[attr-defined]
    return account.id if account is not None else None


async def _unlock(args: argparse.Namespace) -> int:
    from gateway.cli.common import open_components, settings_from

    settings = settings_from(args)
    async with open_components(settings) as c:
        account_id = await _find_id(c, args)
        if account_id is None:
            return _err(f"Account {args.organisatie}/{args.gebruikersnaam} bestaat niet.")
        account = await find_account(c.db, args.organisatie, args.gebruikersnaam)
        assert account is not None
        await unlock(c.db, account_id, actor="beheerder:cli", swv_code=account.swv_code)
    print(f"Account {args.organisatie.upper()}/{args.gebruikersnaam} is gedeblokkeerd.")
    return 0


async def _reset_totp(args: argparse.Namespace) -> int:
    from gateway.cli.common import open_components, settings_from

    async with open_components(settings_from(args)) as c:
        account_id = await _find_id(c, args)
        if account_id is None:
            return _err(f"Account {args.organisatie}/{args.gebruikersnaam} bestaat niet.")
        await reset_totp(c.db, account_id, actor="beheerder:cli")
    print("Tweestapsverificatie gewist: bij de volgende keer inloggen stelt de gebruiker haar opnieuw in.")
    return 0
