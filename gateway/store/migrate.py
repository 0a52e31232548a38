"""Schema changes go through Alembic migrations (`gateway db upgrade`)."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from gateway.resources import resource_path
from gateway.store.db import Database

__all__ = ["alembic_config", "upgrade"]

MIGRATIONS = resource_path("gateway.store", "migrations")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


async def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the database to `revision` over the gateway's own engine."""
    cfg = alembic_config(db.url)

    def _do(connection: Connection) -> None:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(_do)


def upgrade_sync(url: str) -> None:
    async def _go() -> None:
        db = Database(url)
        try:
            await upgrade(db)
        finally:
            await db.dispose()

    asyncio.run(_go())
