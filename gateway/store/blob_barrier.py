"""One durability barrier per exchange for the local blob store, instead of one fsync per blob.

Inside `durable_together()` a local blob is written and linked into place without its own ``fsync``; the
caller calls `Barrier.flush` once before it commits a row that points at the blobs. ``flush`` is one
``syncfs`` of each blob file system written to: every file's data, every new name and directory made since
are durable when it returns, and a write-back error on that file system since the barrier began fails it
(Linux ≥ 5.8 reports such errors through ``syncfs``; on anything older, or without ``syncfs``, the barrier
is not used and every blob is fsynced as before). The argument, and what a crash before the flush leaves
(a blob name whose content may be incomplete, which no committed row points at and which the next writer
of the same content checks and replaces), is in docs/assumptions/db-hot-path.md.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import os
import platform
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path

__all__ = ["BOOT_NS", "Barrier", "current_barrier", "durable_together", "syncfs_available"]


def _load_syncfs() -> Callable[[int], int] | None:
    if sys.platform != "linux":
        return None
    try:
        major, minor = (int(p) for p in platform.release().split(".")[:2])
    except ValueError:
        return None
    if (major, minor) < (5, 8):  # older kernels do not report write-back errors through syncfs
        return None
    fn = getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)
    if fn is None:
        return None
    fn.argtypes, fn.restype = [ctypes.c_int], ctypes.c_int
    return fn


_syncfs = _load_syncfs()


def syncfs_available() -> bool:
    return _syncfs is not None


def _boot_ns() -> int:
    """When this machine started (wall clock, ns): a blob last written before it may have lost content in the
    crash or power loss that ended the previous boot. 0 where the boot time is unknown (no barrier is used
    there, so every blob was fsynced before it got its name)."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is None or _syncfs is None:
        return 0
    return time.time_ns() - time.clock_gettime_ns(boottime)


BOOT_NS = _boot_ns()


# Barriers of one process that flush one after another (the ESIS intake's requests of one database batch) share
# a syncfs: a successful syncfs of a file system makes durable every blob committed on it before the call began,
# and it reports every write-back error since its descriptor was opened (errseq). So a barrier whose blobs were
# all committed before a successful syncfs began, on a descriptor opened no later than its own, is durable and
# error-free already: it skips its own syncfs (docs/assumptions/db-hot-path.md). The ticks order those moments.
_ticks = itertools.count(1)
_synced: dict[Path, tuple[int, int]] = {}  # blob root -> (descriptor opened, syncfs began) of the last good syncfs
_synced_lock = threading.Lock()


class Barrier:
    """The blob file systems one exchange wrote to, each with a descriptor opened before its first write."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fds: dict[Path, int] = {}
        self._opened: dict[Path, int] = {}  # tick at which each descriptor was opened
        self._last_commit = 0  # tick of the last blob committed under this barrier
        self._failed = False  # a syncfs of this barrier failed: its descriptors have consumed an error
        self.pending = False  # a blob was committed without its own fsync

    def join(self, root: Path) -> bool:
        """Called by a local writer before its first byte: True when its commit may skip the fsync."""
        if _syncfs is None:
            return False
        with self._lock:
            if root not in self._fds:
                self._opened[root] = next(_ticks)
                self._fds[root] = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        return True

    @property
    def joined(self) -> bool:
        """Whether a writer joined: its blobs wait for `flush` (local, no fsync of their own)."""
        with self._lock:
            return bool(self._fds)

    def committed(self) -> None:
        with self._lock:
            self._last_commit = next(_ticks)
            self.pending = True

    def flush(self) -> None:
        """Make every blob committed under this barrier durable (one syncfs per file system, unless a syncfs of
        this process already covered them: see `_synced`). Raises OSError when the file system reports a failed
        write-back; the caller then must not commit its row."""
        with self._lock:
            fds, pending, self.pending = list(self._fds.items()), self.pending, False
            last = self._last_commit
        if not pending or _syncfs is None:
            return
        for root, fd in fds:
            opened = self._opened[root]
            with _synced_lock:
                done = _synced.get(root)
            if done is not None and done[0] <= opened and done[1] > last:
                continue  # a good syncfs began after these blobs were committed, on a descriptor opened earlier
            began = next(_ticks)
            if _syncfs(fd) != 0:
                self._failed = True
                err = ctypes.get_errno()
                # shown in the queue as the reason the exchange waits for a retry: Dutch, like every such reason
                raise OSError(
                    err, f"de bijlagen konden niet veilig op schijf worden vastgelegd ({os.strerror(err)})", str(root)
                )
            if not self._failed:
                with _synced_lock:
                    if root not in _synced or _synced[root][1] < began:
                        _synced[root] = (opened, began)

    def close(self) -> None:
        with self._lock:
            fds, self._fds = list(self._fds.values()), {}
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)


_current: ContextVar[Barrier | None] = ContextVar("gateway_blob_barrier", default=None)


def current_barrier() -> Barrier | None:
    return _current.get()


@contextlib.contextmanager
def durable_together() -> Iterator[Barrier]:
    """Local blob writes in this context (and the threads it starts with `asyncio.to_thread`) wait for one
    `Barrier.flush` instead of each being fsynced."""
    barrier = Barrier()
    token = _current.set(barrier)
    try:
        yield barrier
    finally:
        _current.reset(token)
        barrier.close()
