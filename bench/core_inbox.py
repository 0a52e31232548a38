"""The core alone: inbox put and processing, no HTTP and no XML (docs/performance.md).

    .venv/bin/python bench/core_inbox.py [--n 300] [--put-concurrency 1] [--workers 4] [--stored 0]
                                         [--database-url URL] [--json-out FILE]

1. put: ``--n`` exchanges through `Inbox.put` (durable), ``--put-concurrency`` at a time;
2. process: the same exchanges through `ExchangeWorkers` (``--workers`` concurrent drains) with the test
   suite's `ScriptedHandler` (one step, two bijlagen written to the blob store with fsync, a new hulpvraag
   per exchange through `store_draft`, an outbox message);
3. with ``--stored N``: first N finished exchanges, hulpvragen, events and bijlagen are bulk-inserted, so
   the figures show what an exchange costs with a database that already holds N of them.

SQLite in a temp dir unless ``--database-url`` names a (throw-away!) PostgreSQL database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


async def seed_finished(c: Any, swv_id: int, n: int, chunk: int = 5000) -> float:
    """Bulk-insert ``n`` finished exchanges, each with a hulpvraag, two events and two bijlagen."""
    from sqlalchemy import insert, select

    from gateway.store.models import Bijlage, Exchange, ExchangeEvent, Hulpvraag, Vestiging
    from gateway.store.types import utcnow

    started = time.perf_counter()
    async with c.db.reader() as s:
        vestiging_id = (await s.exec(select(Vestiging.id).where(Vestiging.brin6 == "14SS00"))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    now = utcnow()
    ex, ev, hv, bij = (t.__table__ for t in (Exchange, ExchangeEvent, Hulpvraag, Bijlage))  # type: ignore[union-attr]  # sqlmodel table classes have __table__ at run time only
    for start in range(0, n, chunk):
        rows = range(start, min(n, start + chunk))
        async with c.db.session(durable=False) as session:
            s = await session.connection()
            await s.execute(
                insert(hv),
                [
                    {"swv_id": swv_id, "vestiging_id": vestiging_id, "brin6": "14SS00", "leerlingid": f"SEED-{i}",
                     "voornaam": "Sanne", "achternaam": "Jansen", "aanvraagtype": "Aanvraag TLV", "status": "Nieuw",
                     "source_system": "parnassys", "external_keys": {"seed": i}, "labels": [], "contact": {},
                     "findings": [], "open": True, "created_at": now, "updated_at": now}
                    for i in rows
                ],
            )  # fmt: skip
            first_hv = (await s.execute(select(hv.c.id).where(hv.c.leerlingid == f"SEED-{start}"))).scalar_one()
            await s.execute(
                insert(ex),
                [
                    {"key": f"seed:{i}", "source": "test", "kind": "test_aanvraag", "swv_code": "PO3008",
                     "brin6": "14SS00", "correlation_id": f"{i:032x}", "payload": b'{"seed": true}' * 8,
                     "meta": {"leerlingid": f"SEED-{i}"}, "state": "verwerkt", "step": "Verwerkt", "attempts": 1,
                     "next_attempt_at": now, "findings": [], "hulpvraag_id": first_hv + (i - start),
                     "received_at": now, "finished_at": now, "payload_purged": False}
                    for i in rows
                ],
            )  # fmt: skip
            first_ex = (await s.execute(select(ex.c.id).where(ex.c.key == f"seed:{start}"))).scalar_one()
            await s.execute(
                insert(ev),
                [
                    {"exchange_id": first_ex + (i - start), "at": now, "step": step, "message": step, "findings": []}
                    for i in rows
                    for step in ("ontvangen", "verwerkt")
                ],
            )
            await s.execute(
                insert(bij),
                [
                    {"hulpvraag_id": first_hv + (i - start), "bestandsnaam": f"{role}.pdf", "role": role,
                     "detected_type": "pdf", "size": 1000, "sha256": f"{i:060x}{k:04x}", "blob_key": f"{i:060x}{k:04x}",
                     "findings": [], "exchange_id": first_ex + (i - start), "removed": False, "added_at": now}
                    for i in rows
                    for k, role in enumerate(("opp", "overig"))
                ],
            )  # fmt: skip
    if c.db.is_sqlite:  # fold the bulk load's WAL into the database, as a running gateway's checkpoints have
        import sqlite3

        from sqlalchemy.engine import make_url

        path = make_url(c.db.url).database
        with contextlib.closing(sqlite3.connect(str(path))) as raw:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.perf_counter() - started


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    from sqlmodel import SQLModel

    import gateway.store.models  # noqa: F401
    from gateway.components import build_components
    from gateway.inbox.outbox import OutboxWorker
    from gateway.inbox.worker import ExchangeWorkers
    from gateway.logging import configure_logging
    from gateway.settings import load_settings
    from gateway.store.seed import seed_demo_registry, seed_swv
    from tests.support.fakes import ScriptedHandler, new_exchange

    configure_logging("console", "warning")
    tmp = Path(tempfile.mkdtemp(prefix="core-bench-"))
    try:
        env = {"GATEWAY_DATABASE_URL": args.database_url} if args.database_url else {}
        settings = load_settings(environ=env, data_dir=tmp)
        if args.database_url:
            settings = settings.replace(database_url=args.database_url)
        c = build_components(settings)
        async with c.db.engine.begin() as conn:
            if args.database_url:
                await conn.run_sync(SQLModel.metadata.drop_all)
            await conn.run_sync(SQLModel.metadata.create_all)
        swv_id = await seed_swv(c.db)
        await seed_demo_registry(c.db, swv_id)
        seconds_seeding = await seed_finished(c, swv_id, args.stored) if args.stored else 0.0
        if c.db.is_sqlite and c.db.engine.url.database:  # the seeding's WAL goes into the database file now,
            import sqlite3  # not in the first commits of the measurement

            with contextlib.closing(sqlite3.connect(c.db.engine.url.database, isolation_level=None)) as raw:
                raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")

        keys = iter(range(args.n))

        async def putter() -> None:
            for i in keys:
                await c.inbox.put(new_exchange(f"bench:{i}", leerlingid=f"L{i}"))

        t, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(putter() for _ in range(args.put_concurrency)))
        t_put, cpu_put = time.perf_counter() - t, time.process_time() - cpu

        handler = ScriptedHandler(c.blobs)
        workers = ExchangeWorkers(c.db, c.inbox, {"test_aanvraag": handler}, retry=c.retry)
        t, cpu = time.perf_counter(), time.process_time()
        handled = sum(await asyncio.gather(*(workers.drain() for _ in range(args.workers))))
        t_proc, cpu_proc = time.perf_counter() - t, time.process_time() - cpu
        delivered: list[str] = []

        class Deliverer:
            async def deliver(self, message: Any) -> None:
                delivered.append(message.key)

        outbox = OutboxWorker(c.db, {"test_afmelding": Deliverer()}, retry=c.retry)
        t = time.perf_counter()
        await outbox.drain()
        t_out = time.perf_counter() - t
        await c.close()
        return {
            "database": "postgresql" if args.database_url else "sqlite",
            "stored_before": args.stored,
            "seeding_seconds": round(seconds_seeding, 1),
            "n": args.n,
            "handled": handled,
            "put_per_second": round(args.n / t_put, 1),
            "put_concurrency": args.put_concurrency,
            "process_per_second": round(args.n / t_proc, 1),
            "process_ms_per_exchange": round(t_proc / args.n * 1000 * args.workers, 2),
            # CPU time (all threads, user + system): much less sensitive to other load on a shared machine
            "put_cpu_ms_per_exchange": round(cpu_put / args.n * 1000, 3),
            "process_cpu_ms_per_exchange": round(cpu_proc / args.n * 1000, 3),
            "outbox_per_second": round(len(delivered) / t_out, 1) if t_out else None,
            "workers": args.workers,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=300)
    p.add_argument("--put-concurrency", type=int, default=1)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--stored", type=int, default=0, help="bulk-insert this many finished exchanges first")
    p.add_argument("--database-url", default=None, help="a throw-away PostgreSQL database (it is emptied)")
    p.add_argument("--json-out", type=Path, default=None)
    args = p.parse_args()
    result = asyncio.run(measure(args))
    text = json.dumps(result, indent=2)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
