"""`gateway db upgrade`: bring the database schema to the newest migration."""

from __future__ import annotations

import argparse

from gateway.cli.common import open_components, settings_from

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="database: schema bijwerken")
    dbsub = db.add_subparsers(dest="db_command", metavar="ACTIE")
    up = dbsub.add_parser("upgrade", help="voer alle openstaande migraties uit")
    up.set_defaults(handler=_upgrade)


async def _upgrade(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    async with open_components(settings):
        pass
    print(f"Database bijgewerkt: {settings.shown_database_url}")
    return 0
