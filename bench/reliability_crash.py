"""Crash test at full length: `gateway serve` killed with SIGKILL at random moments while OSO exchanges are
in flight over HTTPS (docs/reliability.md).

    .venv/bin/python bench/reliability_crash.py [--exchanges 300] [--kills 5] [--processes 1|2]
        [--database sqlite|postgres] [--database-url URL] [--runs 1] [--seed 5]

The simulators (OSR, Traffic Center, ParnasSys — the sender re-sends a notificatie until it is
acknowledged, as ParnasSys would) run in this process; each gateway is its own OS process (`python -m
gateway --config … serve`) on SQLite or one PostgreSQL (a throw-away cluster unless --database-url), one
blob folder. Prints one JSON summary per run; exits 1 when anything was lost, doubled or damaged.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


async def _main(args: argparse.Namespace) -> int:
    import structlog
    from scratch import run_folder

    from tests.reliability.crash import CrashConfig, run_crash

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    failed = False
    with contextlib.ExitStack() as stack:
        url = args.database_url
        if args.database == "postgres" and not url:
            from tests.support.postgres import postgres_server

            url = stack.enter_context(postgres_server())
        for run in range(args.runs):
            cfg = CrashConfig(
                database_url=url,
                processes=args.processes,
                exchanges=args.exchanges,
                kills=args.kills,
                concurrency=args.concurrency,
                workers=args.workers,
                seed=args.seed + run,
            )
            with run_folder("reliability-crash-") as folder:
                report = await run_crash(cfg, folder.path)
                summary = report.summary()
                print(json.dumps(summary), flush=True)
                bad = bool(
                    summary["lost"] or summary["doubled"] or summary["bijlagen_wrong"] or summary["bijlagen_bad_hash"]
                )
                bad |= summary["acknowledged"] != args.exchanges or summary["hulpvragen"] != args.exchanges
                folder.failed = bad
            failed |= bad
    return 1 if failed else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--exchanges", type=int, default=300)
    p.add_argument("--kills", type=int, default=5)
    p.add_argument("--processes", type=int, default=1, choices=(1, 2))
    p.add_argument("--database", default="sqlite", choices=("sqlite", "postgres"))
    p.add_argument("--database-url", help="an existing, empty PostgreSQL database (postgresql+asyncpg://…)")
    p.add_argument("--concurrency", type=int, default=16, help="notificaties in flight")
    p.add_argument("--workers", type=int, default=4, help="exchange workers per gateway process")
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--seed", type=int, default=5)
    args = p.parse_args()
    return asyncio.run(_main(args))


if __name__ == "__main__":
    raise SystemExit(main())
