"""Liveness and readiness: `/health/live` (the process answers), `/health/ready` (database and blob store)."""

from __future__ import annotations

import asyncio

from aiohttp import web
from sqlalchemy import text

from gateway.components import Components

__all__ = ["install"]


def install(app: web.Application, c: Components) -> None:
    async def live(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def ready(_: web.Request) -> web.Response:
        checks: dict[str, str] = {}
        try:
            async with c.db.reader() as s:
                await s.exec(text("SELECT 1"))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"fout: {type(exc).__name__}"
        try:
            await asyncio.to_thread(c.blobs.check)
            checks["blobstore"] = "ok"
        except Exception as exc:
            checks["blobstore"] = f"fout: {type(exc).__name__}"
        ok = all(v == "ok" for v in checks.values())
        return web.json_response({"status": "ok" if ok else "niet gereed", "checks": checks}, status=200 if ok else 503)

    app.router.add_get("/health/live", live)
    app.router.add_get("/health/ready", ready)
