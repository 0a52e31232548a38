"""Counting a database's units of work in a test: which units `Database.run` (or `Database.read`) was given."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.store.db import Database

__all__ = ["units_of"]


def units_of(db: Database, monkeypatch: pytest.MonkeyPatch, method: str = "run") -> list[str]:
    """From now on, the qualified name of every unit ``db.<method>`` runs (the unit itself still runs)."""
    units: list[str] = []
    real = getattr(db, method)

    async def counting(fn: Any, **kw: Any) -> Any:
        units.append(getattr(fn, "__qualname__", "?"))
        return await real(fn, **kw)

    monkeypatch.setattr(db, method, counting)
    return units
