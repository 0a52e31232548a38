"""`gateway users add|list|unlock|reset-totp|totp` and the demo accounts (one per role) that `gateway demo` prints.

`users add` prints the TOTP secret and its otpauth URI once; they are not shown again (the secretariaat can
reset the second factor with `users reset-totp`, after which the user enrols again at the next log-in).
`users totp` prints the current code of a *demo* account only (see `is_demo_account`): a real user reads
the code from their own authenticator app, and no command can stand in for that.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import hashlib
import hmac
import os
import secrets
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from gateway.store.db import Database
from gateway.store.models.accounts import Account, Role
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
from gateway.web.auth.totp import current_code, provisioning_uri

__all__ = [
    "DEMO_EMAIL_DOMAIN",
    "DEMO_KEY_FILE",
    "DEMO_PASSWORD",
    "DemoAccount",
    "create_demo_accounts",
    "demo_key",
    "is_demo_account",
    "register",
]

DEMO_PASSWORD = "demo-wachtwoord-2025"  # noqa: S105  (fictitious demo accounts only)
DEMO_EMAIL_DOMAIN = "demo.invalid"
# In the demo's data directory; survives the reset at every demo start, so the demo accounts' TOTP secrets
# (derived from it) stay the same from run to run. Delete it for new secrets.
DEMO_KEY_FILE = "demo-accounts.key"


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
        """Who to log in as (the second factor comes from `gateway users totp`, never printed here)."""
        return (
            f"{self.role:<16} organisatie {self.organisatie:<6}  gebruiker {self.gebruikersnaam:<14}  "
            f"wachtwoord {self.wachtwoord}"
        )


def demo_key(data_dir: Path) -> bytes:
    """The demo's account key in ``data_dir`` (made once, mode 0600)."""
    path = data_dir / DEMO_KEY_FILE
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (FileNotFoundError, ValueError):
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key.hex() + "\n")
        return key


def _demo_secret(key: bytes, organisatie: str, gebruikersnaam: str) -> str:
    digest = hmac.new(key, f"demo-totp:{organisatie}/{gebruikersnaam}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode()  # 160 bits, 32 base32 characters, like pyotp.random_base32()


def is_demo_account(account: Account, data_dir: Path) -> bool:
    """A demo account (made by `create_demo_accounts`) in a demo data directory (one with the demo key)."""
    return (
        bool(account.email and account.email.endswith("." + DEMO_EMAIL_DOMAIN)) and (data_dir / DEMO_KEY_FILE).is_file()
    )


async def create_demo_accounts(
    db: Database,
    swv_code: str = "PO3008",
    school_brin4: str = "27ZX",
    *,
    password_log2_n: int = 15,
    key: bytes | None = None,
) -> list[DemoAccount]:
    """One account per role (secretariaat, monitoring, schoolbeheerder of an ESIS demo school). Idempotent:
    an existing demo account is left as it is and listed with its current secret. With ``key`` (see
    `demo_key`) the TOTP secrets are derived from it, so they are the same after every demo start."""
    wanted = (
        (Role.SECRETARIAAT, swv_code, "secretariaat", None),
        (Role.MONITORING, swv_code, "monitoring", None),
        (Role.SCHOOLBEHEERDER, school_brin4, "beheerder", school_brin4),
    )
    out: list[DemoAccount] = []
    for role, org, user, brin4 in wanted:
        secret = await totp_secret_of(db, org, user)
        if secret is None:
            new = await add_account(
                db,
                organisatie=org,
                gebruikersnaam=user,
                role=role,
                swv_code=swv_code,
                brin4=brin4,
                email=f"{user}@{org.lower()}.{DEMO_EMAIL_DOMAIN}",
                naam=f"Demo {role.value}",
                password=DEMO_PASSWORD,
                totp_secret=_demo_secret(key, org, user) if key is not None else None,
                password_log2_n=password_log2_n,
            )
            assert new.totp_secret is not None
            secret = new.totp_secret
        out.append(DemoAccount(role.value, org, user, DEMO_PASSWORD, secret, provisioning_uri(secret, org, user)))
    return out


def register(subparsers: argparse._SubParsersAction) -> None:
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
    code = sub.add_parser("totp", help="de huidige inlogcode van een demo-account (alleen voor 'gateway demo')")
    code.add_argument("organisatie")
    code.add_argument("gebruikersnaam")
    code.set_defaults(handler=_totp)
    p.set_defaults(handler=lambda _a: (p.print_help(), 2)[1])


def _err(message: str) -> int:
    print(f"fout: {message}", file=sys.stderr)
    return 2


async def _add(args: argparse.Namespace) -> int:
    from gateway.runtime import open_components, settings_from

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
    from gateway.runtime import open_components, settings_from

    async with open_components(settings_from(args)) as c:
        accounts = await list_accounts(c.db)
    if not accounts:
        print("Nog geen accounts. Maak er een met 'gateway users add'.")
    for a in accounts:
        state = "GEBLOKKEERD" if a.locked else "actief"
        totp = "tweestaps ingesteld" if a.totp_secret else "tweestaps nog niet ingesteld"
        print(f"{a.organisatie:<6} {a.gebruikersnaam:<20} {a.role:<15} {state:<11} {totp}  {a.email or ''}")
    return 0


async def _find_id(db: Database, args: argparse.Namespace) -> int | None:
    account = await find_account(db, args.organisatie, args.gebruikersnaam)
    return account.id if account is not None else None


async def _unlock(args: argparse.Namespace) -> int:
    from gateway.runtime import open_components, settings_from

    settings = settings_from(args)
    async with open_components(settings) as c:
        account_id = await _find_id(c.db, args)
        if account_id is None:
            return _err(f"Account {args.organisatie}/{args.gebruikersnaam} bestaat niet.")
        account = await find_account(c.db, args.organisatie, args.gebruikersnaam)
        assert account is not None
        await unlock(c.db, account_id, actor="beheerder:cli", swv_code=account.swv_code)
    print(f"Account {args.organisatie.upper()}/{args.gebruikersnaam} is gedeblokkeerd.")
    return 0


async def _reset_totp(args: argparse.Namespace) -> int:
    from gateway.runtime import open_components, settings_from

    async with open_components(settings_from(args)) as c:
        account_id = await _find_id(c.db, args)
        if account_id is None:
            return _err(f"Account {args.organisatie}/{args.gebruikersnaam} bestaat niet.")
        await reset_totp(c.db, account_id, actor="beheerder:cli")
    print("Tweestapsverificatie gewist: bij de volgende keer inloggen stelt de gebruiker haar opnieuw in.")
    return 0


async def _totp(args: argparse.Namespace) -> int:
    from gateway.runtime import open_components, settings_from

    settings = settings_from(args)
    async with open_components(settings) as c:
        account = await find_account(c.db, args.organisatie, args.gebruikersnaam)
        if account is None:
            return _err(
                f"Account {args.organisatie.upper()}/{args.gebruikersnaam} bestaat niet in {settings.data_dir} "
                "(staat GATEWAY_DATA_DIR op de map van de demo?)."
            )
        if not is_demo_account(account, settings.data_dir):
            return _err(
                f"Account {account.organisatie}/{account.gebruikersnaam} is geen demo-account: de code staat "
                "alleen in de authenticator-app van de gebruiker. Kwijt? Gebruik 'gateway users reset-totp'."
            )
        secret = await totp_secret_of(c.db, account.organisatie, account.gebruikersnaam)
    if secret is None:
        return _err(f"Account {account.organisatie}/{account.gebruikersnaam} heeft nog geen tweestapsverificatie.")
    now, left = current_code(secret)
    print(now)
    print(f"(nog {left} seconden geldig; elke code werkt één keer)", file=sys.stderr)
    return 0
