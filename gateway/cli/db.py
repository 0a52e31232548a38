"""`gateway db upgrade`: bring the database schema to the newest migration; `gateway db seed`: lay down the
samenwerkingsverband of the settings (``swv_code``) with its catalogue from the handbook, once per database."""

from __future__ import annotations

import argparse

from gateway.cli.common import open_components, settings_from
from gateway.store.seed import seed_swv

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="database: schema bijwerken")
    dbsub = db.add_subparsers(dest="db_command", metavar="ACTIE")
    up = dbsub.add_parser("upgrade", help="voer alle openstaande migraties uit")
    up.set_defaults(handler=_upgrade)
    seed = dbsub.add_parser(
        "seed",
        help="leg het samenwerkingsverband uit swv_code aan met aanvraagtypes, statussen en scholenkringen uit het "
        "handboek (herhaalbaar: wat er al is blijft zoals het is)",
    )
    seed.add_argument("--naam", help="de naam van het samenwerkingsverband (alleen bij het aanleggen gebruikt)")
    seed.set_defaults(handler=_seed)


async def _upgrade(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    async with open_components(settings):
        pass
    print(f"Database bijgewerkt: {settings.shown_database_url}")
    return 0


async def _seed(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    async with open_components(settings) as c:
        naam = args.naam or f"Samenwerkingsverband {settings.swv_code}"
        await seed_swv(c.db, settings.swv_code, naam)
    print(f"Samenwerkingsverband {settings.swv_code} staat in de database, met de catalogus uit het handboek.")
    return 0
