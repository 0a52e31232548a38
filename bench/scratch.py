"""Where a benchmark keeps its files, and when they are removed.

This VM's root file system is ext4 without a journal. There a new file does not take an inode freed in the last
60 s (360 s while that inode's table block is not yet written back), and the allocator looks up every such
inode it passes (`recently_deleted` in Linux's fs/ext4/ialloc.c). After a benchmark removed its ≈ 15,000 blob
files, every file created in the next minutes pays for that walk: the floor's system time went from ≈ 3 to
7–25 ms per dossier, and the benchmark right after a removal measured a slower gateway (docs/performance.md,
"Issue 18, tenth round"). So a benchmark run by `run_all.py` keeps its folder under ``$BENCH_SCRATCH``, which
`run_all.py` removes once, after its last measurement; a benchmark run on its own removes its folder at its end.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["OWNER", "RunFolder", "run_folder", "scratch"]

OWNER = "BENCH_SCRATCH"  # set by run_all.py: the folder that holds every benchmark's files until it ends


@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A new folder for one benchmark run: under ``$BENCH_SCRATCH`` (left for its owner to remove) when set,
    else in the system's temporary folder, removed when the block ends. A ``$BENCH_SCRATCH`` that does not exist
    yet is made (a benchmark run by hand with its files kept need not make it first)."""
    owner = os.environ.get(OWNER) or None
    if owner is not None:
        os.makedirs(owner, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=owner))
    try:
        yield path
    finally:
        if owner is None:
            shutil.rmtree(path, ignore_errors=True)


@dataclasses.dataclass
class RunFolder:
    """A reliability run's folder (its database, blobs and logs) and whether the run failed (its caller says)."""

    path: Path
    failed: bool = False


@contextmanager
def run_folder(prefix: str) -> Iterator[RunFolder]:
    """A new folder for one reliability run: kept for inspection when the run failed — its verdict said so, or it
    raised — and said where; removed when it passed (they used to stay in the temporary folder either way)."""
    run = RunFolder(Path(tempfile.mkdtemp(prefix=prefix)))
    try:
        yield run
    except BaseException:
        run.failed = True
        raise
    finally:
        if run.failed:
            print(f"kept for inspection: {run.path}", file=sys.stderr, flush=True)
        else:
            shutil.rmtree(run.path, ignore_errors=True)
