"""Adapters reach the store through the core's ports, never through its tables (issue 17).

The boundary: a module under ``adapters/`` may read and write stored data only by calling
``gateway.pipeline.ports`` (and the core services that already are ports: the inbox, ``gateway.registry``,
the blob store). So it

- imports no ORM table or SQL toolkit: nothing of ``gateway.store.models``, ``gateway.store.audit`` or
  ``gateway.store.migrations``, and no ``sqlalchemy``, ``sqlmodel`` or ``alembic``;
- opens no session of the database: no ``….db.reader()``, ``….db.session()``, ``….db.run(…)`` or
  ``….db.read(…)``. A `gateway.store.db.Database` may be held and passed on (to a port), as a handle only.

Statically (ast): every ``import`` of every module, also inside functions and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IMPORTS = (
    "gateway.store.models",
    "gateway.store.audit",
    "gateway.store.migrations",
    "sqlalchemy",
    "sqlmodel",
    "alembic",
)
SESSION_METHODS = frozenset({"reader", "session", "run", "read"})


def _forbidden(module: str) -> bool:
    return any(module == f or module.startswith(f + ".") for f in FORBIDDEN_IMPORTS)


def _names_db(node: ast.expr) -> bool:
    """``db``, ``self.db``, ``self.c.db``, ``components.db``, …"""
    if isinstance(node, ast.Name):
        return node.id == "db" or node.id.endswith("_db")
    if isinstance(node, ast.Attribute):
        return node.attr == "db" or node.attr.endswith("_db")
    return False


def breaches(source: str) -> list[tuple[int, str]]:
    """(line, what) of every way the source reaches past the ports."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, f"import {a.name}") for a in node.names if _forbidden(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            if any(_forbidden(m) for m in modules):
                found.append((node.lineno, f"from {node.module} import …"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SESSION_METHODS
            and _names_db(node.func.value)
        ):
            found.append((node.lineno, f"….db.{node.func.attr}(…)"))
    return found


def test_no_adapter_imports_store_tables_or_opens_a_database_session() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in sorted((ROOT / "adapters").rglob("*.py"))
        for line, what in breaches(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "adapters reach the store past gateway.pipeline.ports:\n" + "\n".join(found)


def test_the_check_sees_each_way_past_the_ports() -> None:
    source = (
        "from gateway.store.models import Hulpvraag\n"
        "import sqlalchemy.orm\n"
        "def f(self):\n"
        "    from sqlmodel import col\n"
        "    from gateway.store import models\n"
        "    async with self.c.db.reader() as s: ...\n"
        "    async with self.db.session() as s: ...\n"
        "    return db.run(lambda s: None)\n"
    )
    assert sorted(line for line, _ in breaches(source)) == [1, 2, 4, 5, 6, 7, 8]


def test_a_database_handle_passed_to_a_port_is_allowed() -> None:
    source = (
        "from gateway.store.db import Database\n"
        "from gateway.pipeline.ports.exchanges import exchange_by_key\n"
        "async def f(db: Database, inbox):\n"
        "    await inbox.run(3)\n"
        "    return await exchange_by_key(db, 'k')\n"
    )
    assert breaches(source) == []
