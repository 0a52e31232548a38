"""Benchmark: peak RSS of the gateway process while the hostile-input corpus (tests/hostile) runs against it.

The gateway (ESIS API + OSO notificatie endpoint, TLS with optional client certificates, SQLite, the real
scrypt parameters) runs in a forked child process, so only its memory is measured; this process plays the
HTTP cases of the corpus against it, twice (the first pass also pays for first use of code paths). Before
every case the child's peak RSS is reset (``/proc/<pid>/clear_refs`` = 5) and read back (VmHWM) after the
answer: the rise per case is VmHWM minus the RSS just before. The dossier cases run in a second forked child
(the worker reads dossiers, not the HTTP intake), measured the same way.

    .venv/bin/python bench/hostile_memory.py [--passes 2] [--json]

Figures and the machine they were measured on: docs/reliability-hostile.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

LIMIT_MB = 64  # the gateway's memory budget for one hostile request (same bar as docs/performance.md)


def _kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def _serve(data_dir: str, pki: Any, ready: Any, stop: Any) -> None:
    async def main() -> None:
        from sqlmodel import SQLModel

        import gateway.store.models  # noqa: F401
        from gateway.components import build_components
        from gateway.settings import load_settings
        from gateway.store.seed import seed_demo_registry, seed_swv
        from tests.hostile.targets import activate_esis_code, start_targets

        settings = load_settings(environ={}, data_dir=Path(data_dir))
        c = build_components(settings)
        async with c.db.engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.create_all)
        await seed_demo_registry(c.db, await seed_swv(c.db))
        await activate_esis_code(c)
        running = await start_targets(c, pki)
        ready.put(running.port)
        await asyncio.to_thread(stop.wait)  # a multiprocessing.Event, set by the parent
        await running.close()
        await c.close()

    asyncio.run(main())


async def _play_http(port: int, pid: int, pki: Any, passes: int) -> list[dict[str, Any]]:
    from gateway.components import Components
    from tests.hostile.corpus import by_target, run_http_case
    from tests.hostile.targets import Running

    gw = Running(c=Components.__new__(Components), pki=pki, host="127.0.0.1", port=port, runner=None)  # type: ignore[arg-type]  # the server runs in another process: the HTTP cases read host/port/pki only
    rows = []
    for n in range(1, passes + 1):
        for case in by_target("soap", "esis"):
            before = _kb(pid, "VmRSS")
            _reset_peak(pid)
            outcome = await run_http_case(case, gw)
            peak = _kb(pid, "VmHWM")
            code = outcome.codes[0] if outcome.codes else None
            rows.append(
                {
                    "pass": n,
                    "case": case.id,
                    "status": outcome.status,
                    "code": code,
                    "as_expected": outcome.status == case.status and code == case.code,
                    "known_gap": bool(case.xfail),
                    "rss_before_mb": round(before / 1024, 1),
                    "peak_mb": round(peak / 1024, 1),
                    "rise_mb": round((peak - before) / 1024, 1),
                }
            )
    return rows


def _dossiers(out: Any) -> None:
    from tests.hostile.corpus import by_target, run_dossier_case

    pid = os.getpid()
    rows = []
    for case in by_target("dossier"):
        before = _kb(pid, "VmRSS")
        _reset_peak(pid)
        outcome = run_dossier_case(case)
        peak = _kb(pid, "VmHWM")
        rows.append(
            {
                "case": case.id,
                "code": case.code if case.code in outcome.codes else (outcome.codes or [None])[0],
                "as_expected": case.code in outcome.codes,
                "rss_before_mb": round(before / 1024, 1),
                "peak_mb": round(peak / 1024, 1),
                "rise_mb": round((peak - before) / 1024, 1),
            }
        )
    out.put(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print every row as JSON")
    args = parser.parse_args()

    from tests.hostile.targets import make_pki

    ctx = mp.get_context("fork")
    with tempfile.TemporaryDirectory() as tmp:
        pki = make_pki(Path(tmp) / "pki")
        ready, stop = ctx.Queue(), ctx.Event()
        server = ctx.Process(target=_serve, args=(str(Path(tmp) / "data"), pki, ready, stop))
        server.start()
        assert server.pid is not None  # start() forked it
        try:
            port = ready.get(timeout=60)
            start_rss = _kb(server.pid, "VmRSS")
            http = asyncio.run(_play_http(port, server.pid, pki, args.passes))
            end_rss = _kb(server.pid, "VmRSS")
        finally:
            stop.set()
            server.join(timeout=10)
        out = ctx.Queue()
        worker = ctx.Process(target=_dossiers, args=(out,))
        worker.start()
        dossier = out.get(timeout=300)
        worker.join(timeout=10)

    last = [r for r in http if r["pass"] == args.passes]
    summary = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "http_cases": len(last),
        "dossier_cases": len(dossier),
        "server_rss_at_start_mb": round(start_rss / 1024, 1),
        "server_rss_at_end_mb": round(end_rss / 1024, 1),
        "http_max_rise_mb_first_pass": max(r["rise_mb"] for r in http if r["pass"] == 1),
        "http_max_rise_mb_last_pass": max(r["rise_mb"] for r in last),
        "http_max_peak_mb": max(r["peak_mb"] for r in http),
        "dossier_max_rise_mb": max(r["rise_mb"] for r in dossier),
        "not_as_expected": [r["case"] for r in last if not r["as_expected"] and not r["known_gap"]]
        + [r["case"] for r in dossier if not r["as_expected"]],
        "largest_http": sorted(last, key=lambda r: -r["rise_mb"])[:5],
        "largest_dossier": sorted(dossier, key=lambda r: -r["rise_mb"])[:5],
    }
    if args.json:
        print(json.dumps({"summary": summary, "http": http, "dossier": dossier}, indent=2))
    else:
        print(json.dumps(summary, indent=2))
    ok = summary["http_max_rise_mb_last_pass"] < LIMIT_MB and summary["dossier_max_rise_mb"] < LIMIT_MB
    return 0 if ok and not summary["not_as_expected"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
