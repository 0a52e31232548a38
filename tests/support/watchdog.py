"""Fail fast when a process under test dies by itself.

A reliability run waits a long time for things a dead gateway will never do (schools' requests answered,
the queue drained); without a watchdog such a run sits until pytest's timeout and says nothing about why.
`watching` polls a probe while the body runs and, when the probe reports a death, stops the body and raises
`ProcessDied` with the probe's description (the exit code and the tail of the process's log)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

__all__ = ["ProcessDied", "log_tail", "watching"]


class ProcessDied(RuntimeError):
    """A process under test exited although nobody stopped it."""


def log_tail(path: Path, limit: int = 6000) -> str:
    """The last ``limit`` characters of a log file (from a line start where possible)."""
    try:
        with path.open("rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - limit))
            text = f.read().decode("utf-8", "replace")
    except OSError as exc:
        return f"(log {path} not readable: {exc})"
    if size > limit and "\n" in text:
        text = text.split("\n", 1)[1]
    return text


@contextlib.asynccontextmanager
async def watching(probe: Callable[[], str | None], every: float = 0.5) -> AsyncIterator[None]:
    """Run the body while calling ``probe`` (in a thread) every ``every`` seconds. The probe returns None
    while all is well, or a description of the process that died by itself: then the body is cancelled and
    `ProcessDied` raised with that description."""
    body = asyncio.current_task()
    assert body is not None
    died: list[str] = []

    async def watch() -> None:
        while True:
            await asyncio.sleep(every)
            found = await asyncio.to_thread(probe)
            if found is not None:
                died.append(found)
                body.cancel()
                return

    watcher = asyncio.create_task(watch())
    try:
        yield
    except asyncio.CancelledError:
        if not died:
            raise
        body.uncancel()
        raise ProcessDied(died[0]) from None
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    if died:  # the body finished in the same moment the death was seen: still a failure
        raise ProcessDied(died[0])
