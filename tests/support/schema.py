"""A database emptied to where the first migration starts (the migration tests build it up from there)."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import SQLModel

from gateway.store.db import Database

__all__ = ["empty_database"]


async def empty_database(db: Database) -> None:
    """Drop every table and Alembic's version row: SQLite table by table, PostgreSQL the whole public schema."""
    async with db.engine.begin() as conn:
        if db.is_sqlite:
            await conn.run_sync(SQLModel.metadata.drop_all)
            await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        else:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
