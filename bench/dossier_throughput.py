"""Dossiers per second through `gateway dossier check` on the official SWV examples, one core.

    .venv/bin/python bench/dossier_throughput.py [--seconds 5]

Runs the CLI handler in-process (as `gateway dossier check FILE...` does) over the same file repeatedly,
stdout to /dev/null, and reports dossiers/s per example.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXAMPLES = ROOT / ".." / "shared" / "oso-gegevensset-2019.1" / "PaO" / "examples"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    import argparse as ap_

    from gateway.dossier import cli

    parser = ap_.ArgumentParser()
    cli.register(parser.add_subparsers())
    for path in sorted(EXAMPLES.glob("*.xml")):
        batch = [str(path)] * 50
        ns = parser.parse_args(["dossier", "check", *batch])
        done, start = 0, time.perf_counter()
        with open(os.devnull, "w") as null, contextlib.redirect_stdout(null), contextlib.redirect_stderr(io.StringIO()):
            while time.perf_counter() - start < args.seconds:
                assert ns.handler(ns) == 0
                done += len(batch)
        rate = done / (time.perf_counter() - start)
        print(f"{path.name}: {path.stat().st_size / 1024:.0f} KB, {rate:.0f} dossiers/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
