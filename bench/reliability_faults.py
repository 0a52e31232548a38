"""Faults at full length: the Traffic Center, the school's LAS and the OSR each go down for 30 s, answer
slowly, answer 503 or reset connections while OSO notificaties keep arriving (docs/reliability.md).

    .venv/bin/python bench/reliability_faults.py [--outage 30] [--exchanges 20] [--systems traffic_center,las,osr]
        [--modes down,slow,503,reset] [--retry-base 5] [--retry-max 3600] [--call-timeout 5] [--slow 10]
        [--parallel 3] [--afmelding]

Each scenario starts its own simulated world behind fault proxies and its own gateway (create_app with its
workers, SQLite, HTTPS with client certificates) with the production retry policy (5 s base, 3600 s cap,
jitter); prints one JSON line per scenario: how many waited (and for whom), the attempts and announced
next-attempt delays during the outage, the /metrics backlog, the time from recovery until every exchange
was processed and every afmelding delivered, and lost/doubled (must be 0). Exits 1 when anything was lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


async def _main(args: argparse.Namespace) -> int:
    import structlog
    from scratch import run_folder

    from tests.reliability.faults import FaultConfig, run_fault

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    configs = [
        FaultConfig(
            system,
            mode,
            exchanges=args.exchanges,
            outage_seconds=args.outage,
            retry_base_seconds=args.retry_base,
            retry_max_seconds=args.retry_max,
            call_timeout=args.call_timeout,
            slow_seconds=args.slow,
            drain_timeout=args.drain_timeout,
        )
        for system in args.systems.split(",")
        for mode in args.modes.split(",")
    ]
    if args.afmelding:
        configs.append(
            FaultConfig(
                "traffic_center",
                "down",
                exchanges=args.exchanges,
                outage_seconds=args.outage,
                only=b"afmeldingRequest",
                retry_base_seconds=args.retry_base,
                retry_max_seconds=args.retry_max,
                call_timeout=args.call_timeout,
                drain_timeout=args.drain_timeout,
            )
        )
    gate = asyncio.Semaphore(args.parallel)
    failed = False

    async def one(cfg: FaultConfig) -> None:
        nonlocal failed
        with run_folder("reliability-fault-") as run:
            async with gate:
                r = await run_fault(cfg, run.path)
            s = r.summary()
            backlog = {k: v for k, v in r.metrics_during.items() if v and ("queue" in k or "outbox_retrying" in k)}
            s["metrics_during_outage"] = backlog
            s["oldest_waiting_age_s"] = r.metrics_during.get(
                'gateway_exchange_oldest_age_seconds{state="wacht_op_herhaling"}'
            )
            print(json.dumps(s), flush=True)
            bad = bool(s["lost"] or s["doubled"] or s["bijlagen_wrong"]) or s["drain_s"] is None
            bad |= s["acknowledged"] != cfg.exchanges or s["verwerkt"] != cfg.exchanges
            run.failed = bad
        failed |= bad

    await asyncio.gather(*(one(c) for c in configs))
    return 1 if failed else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--outage", type=float, default=30.0, help="seconds each fault lasts")
    p.add_argument("--exchanges", type=int, default=20, help="notificaties sent at the start of each fault")
    p.add_argument("--systems", default="traffic_center,las,osr")
    p.add_argument("--modes", default="down,slow,503,reset")
    p.add_argument("--retry-base", type=float, default=5.0, help="retry_base_seconds (production default 5)")
    p.add_argument("--retry-max", type=float, default=3600.0, help="retry_max_seconds (production default 3600)")
    p.add_argument("--call-timeout", type=float, default=5.0, help="[oso] read/connect and [osr] total timeout")
    p.add_argument("--slow", type=float, default=10.0, help="how late a 'slow' system answers")
    p.add_argument("--drain-timeout", type=float, default=600.0)
    p.add_argument("--parallel", type=int, default=3, help="scenarios at once (each its own world and gateway)")
    p.add_argument("--afmelding", action="store_true", help="also: only the afmelding at the TC fails")
    args = p.parse_args()
    return asyncio.run(_main(args))


if __name__ == "__main__":
    raise SystemExit(main())
