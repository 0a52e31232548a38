"""Two of the ESIS intake's small costs, each measured both ways in this one process, alternating rounds
(docs/performance.md, "Issue 18, sixth round"):

1. a DOCX's inspection (a generated 60 kB document, as the dossier factory makes them): in the event loop's
   thread (what the intake does now for a small document) against a hop to a thread and back (what it did
   before) — CPU of the whole process per document, so the hop's cost in the worker thread and in waking the
   loop counts too;
2. a one-statement writer unit (an ``UPDATE`` of one row) in SQLite group-commit batches of ``--batch``
   concurrent units: without a savepoint (what the writer does now) against in a savepoint of its own (what it
   did before) — CPU per unit.

    .venv/bin/python bench/intake_levers.py [--n 3000] [--rounds 5] [--batch 4]

SQLite and the blob-free inspection run in a temp dir on /dev/shm when there is one (no disk waits).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


async def _per_call(n: int, call: Callable[[], Awaitable[Any]]) -> float:
    started = time.process_time()  # the whole process: every thread
    for _ in range(n):
        await call()
    return (time.process_time() - started) / n * 1e6


async def _inspection(n: int, rounds: int) -> dict[str, list[float]]:
    from adapters.esis import upload
    from adapters.esis.config import EsisLimits
    from adapters.parnassys.dossier_documents import AttachmentSpec

    data = AttachmentSpec(bestandsnaam="OPP.docx", kind="docx", size=60_000).document()
    limits = EsisLimits()
    spool = io.BytesIO(data)

    def inline() -> Awaitable[Any]:
        return upload._inspected(spool, len(data), data[:8], "OPP.docx", "documenten[1]", limits)

    def hop() -> Awaitable[Any]:
        return asyncio.to_thread(upload._inspect, spool, len(data), data[:8], "OPP.docx", "documenten[1]", limits)

    assert (await inline()) == (await hop())  # the same verdict either way
    out: dict[str, list[float]] = {"inline_us": [], "thread_us": []}
    for _ in range(rounds):
        out["thread_us"].append(await _per_call(n, hop))
        out["inline_us"].append(await _per_call(n, inline))
    return out


async def _units(n: int, rounds: int, batch: int, folder: Path) -> dict[str, list[float]]:
    from sqlalchemy import text
    from sqlmodel import Session

    from gateway.store import db as db_module
    from gateway.store.db import Database

    db = Database(f"sqlite+aiosqlite:///{folder}/units.db")
    try:
        await db.run(lambda s: s.connection().exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)"))
        await db.run(lambda s: s.connection().exec_driver_sql("INSERT INTO t (id, v) VALUES (1, 0)"))
        statement = text("UPDATE t SET v = v + 1 WHERE id = 1")

        def unit(s: Session) -> None:
            s.connection().execute(statement)

        async def batch_of_units() -> None:
            await asyncio.gather(*(db.run(unit, durable=False, one_statement=True) for _ in range(batch)))

        now = db_module.statement_in
        out: dict[str, list[float]] = {"no_savepoint_us": [], "savepoint_us": []}
        for _ in range(rounds):
            db_module.statement_in = db_module.savepoint_in  # the way before
            try:
                out["savepoint_us"].append(await _per_call(n // batch, batch_of_units) / batch)
            finally:
                db_module.statement_in = now
            out["no_savepoint_us"].append(await _per_call(n // batch, batch_of_units) / batch)
        return out
    finally:
        await db.dispose()


async def _main(args: argparse.Namespace, parent: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="levers-", dir=parent) as tmp:
        figures = {**await _inspection(args.n, args.rounds), **await _units(args.n, args.rounds, args.batch, Path(tmp))}
    medians = {f"{name}_median": round(statistics.median(values), 1) for name, values in figures.items()}
    return {"n": args.n, "rounds": args.rounds, "batch": args.batch, **medians, "rounds_us": figures}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=3000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--batch", type=int, default=4)
    args = p.parse_args()
    result = asyncio.run(_main(args, "/dev/shm" if os.path.isdir("/dev/shm") else None))
    result["rounds_us"] = {k: [round(v, 1) for v in vs] for k, vs in result["rounds_us"].items()}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
