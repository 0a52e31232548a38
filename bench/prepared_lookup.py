"""One one-row look-up (the ESIS intake's duplicate check) three ways: a read unit through SQLAlchemy's execution,
a read unit with the `Prepared` statement on SQLite's cursor, and `Database.look_up` (no session or transaction
of its own): CPU per look-up (docs/performance.md, "Issue 18, fifth round").

    .venv/bin/python bench/prepared_lookup.py [--n 5000]

SQLite in a temp dir, the schema created by the models; the three ways one after the other in this process (the
event loop's thread, as in the intake).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


async def _measure(n: int) -> dict[str, float]:
    from sqlmodel import SQLModel

    import gateway.store.models  # noqa: F401  # the tables
    from gateway.pipeline.ports.exchanges import _SEEN
    from gateway.store.db import Database

    folder = Path(tempfile.mkdtemp(prefix="prepared-"))
    db = Database(f"sqlite+aiosqlite:///{folder}/gateway.db")
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.create_all)

        def through_sqlalchemy(key: str) -> Awaitable[Any]:
            return db.read(lambda s: s.connection().execute(_SEEN.statement, {"b_key": key}).first())

        def prepared(key: str) -> Awaitable[Any]:
            return db.read(lambda s: _SEEN.execute(s.connection(), {"b_key": key}).first())

        def look_up(key: str) -> Awaitable[Any]:
            return db.look_up(_SEEN, {"b_key": key})

        figures: dict[str, float] = {}
        ways: list[tuple[str, Callable[[str], Awaitable[Any]]]] = [
            ("sqlalchemy_read_unit", through_sqlalchemy),
            ("prepared_read_unit", prepared),
            ("prepared_look_up", look_up),
            ("sqlalchemy_read_unit_again", through_sqlalchemy),
        ]
        for name, way in ways:
            for i in range(200):  # warm: compiled forms, the connection
                await way(f"w{i}")
            started = time.process_time()
            for i in range(n):
                await way(f"k{i}")
            figures[f"{name}_us"] = round((time.process_time() - started) / n * 1e6, 1)
        return figures
    finally:
        await db.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=5000)
    args = p.parse_args()
    print(json.dumps({"n": args.n, **asyncio.run(_measure(args.n))}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
