"""Dossiers per second through `gateway dossier check` on the official SWV examples, one core.

    .venv/bin/python bench/dossier_throughput.py [--seconds 3] [--rounds 3] [--json]

Runs the CLI handler in-process exactly as `gateway dossier check FILE...` does (argument parsing, logging
set-up, the file read from disk, the whole check, the text verdicts printed; stdout to /dev/null) over the
same file, 50 files per call, and reports per example:

- *wall*: dossiers per second of elapsed time, the best of ``--rounds`` rounds of ``--seconds`` each;
- *cpu*: dossiers per second of this process's CPU time (user + system) in that round. On the shared
  machine other processes take turns on the same core, which lowers the wall figure but not the CPU one;
  on an idle core both agree. The target (≥ 500/s on one core) is judged on the CPU figure.

``--json`` also prints one JSON object per example (for bench/run_all.py).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXAMPLES = ROOT / ".." / "shared" / "oso-gegevensset-2019.1" / "PaO" / "examples"
TARGET = 500.0


def _round(handler, ns: argparse.Namespace, per_call: int, seconds: float) -> tuple[float, float]:
    done = 0
    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null), contextlib.redirect_stderr(io.StringIO()):
        wall, cpu = time.perf_counter(), time.process_time()
        while time.perf_counter() - wall < seconds:
            assert handler(ns) in (0, 1)
            done += per_call
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return done / wall, done / cpu


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0, help="length of one round per example")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per example; the best one counts")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from gateway.dossier import cli

    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    results = []
    for path in sorted(EXAMPLES.glob("*.xml")):
        batch = [str(path)] * 50
        ns = parser.parse_args(["dossier", "check", *batch])
        _round(ns.handler, ns, len(batch), 0.0)  # warm-up: schema loaded, code paths hot
        best_wall, best_cpu = 0.0, 0.0
        for _ in range(args.rounds):
            wall, cpu = _round(ns.handler, ns, len(batch), args.seconds)
            best_wall, best_cpu = max(best_wall, wall), max(best_cpu, cpu)
        kb = path.stat().st_size / 1024
        met = "yes" if best_cpu >= TARGET else "NO"
        print(
            f"{path.name}: {kb:.0f} KB, {best_wall:.0f} dossiers/s wall, "
            f"{best_cpu:.0f} dossiers/s cpu (≥ {TARGET:.0f}: {met})"
        )
        results.append(
            {"example": path.stem, "kb": round(kb), "wall_per_s": round(best_wall), "cpu_per_s": round(best_cpu)}
        )
    if args.json:
        for r in results:
            print(json.dumps(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
