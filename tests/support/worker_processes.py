"""Worker processes for the crash and concurrency tests: started on a store, ready when they say so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import Select

from gateway.components import Components

__all__ = ["count", "start_worker_process"]

REPO = Path(__file__).resolve().parents[2]


def start_worker_process(c: Components, workers: int = 4) -> subprocess.Popen[bytes]:
    """``python -m tests.support.worker_proc`` on the components' database and blob directory, with
    ``workers`` workers; returns once the process has printed its ready line."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.worker_proc",
            c.settings.effective_database_url,
            str(c.settings.effective_blob_dir),
            str(workers),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    return proc


async def count(c: Components, stmt: Select[Any]) -> int:
    """The single number a ``select(func.count())…`` statement gives."""
    async with c.db.reader() as s:
        return int((await s.exec(stmt)).one()[0])  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
