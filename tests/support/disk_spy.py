"""Watching the blob store's way to disk in a test: every ``fsync`` of a blob, every ``syncfs`` of a durability
barrier (gateway.store.blob_barrier), what an optional look around found just before each ``syncfs``, and a switch that
makes ``syncfs`` fail with EIO as a failing disk would."""

from __future__ import annotations

import ctypes
import errno
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from gateway.store import blob_barrier, blobs_local

__all__ = ["DiskSpy", "spy_on_disk"]


@dataclass
class DiskSpy:
    fsyncs: int = 0
    syncfs: list[int] = field(default_factory=list)  # the descriptor of each call
    fail: bool = False  # the next syncfs calls fail with EIO
    before_syncfs: Callable[[], object] | None = None  # a look around just before each syncfs ...
    seen_at_syncfs: list[object] = field(default_factory=list)  # ... and what it found


def spy_on_disk(monkeypatch: pytest.MonkeyPatch) -> DiskSpy:
    spy = DiskSpy()
    real_fsync, real_syncfs = os.fsync, blob_barrier._syncfs
    assert real_syncfs is not None, "syncfs is not available here: skip the test before asking for the spy"

    def fsync(fd: int) -> None:
        spy.fsyncs += 1
        real_fsync(fd)

    def syncfs(fd: int) -> int:
        spy.syncfs.append(fd)
        if spy.before_syncfs is not None:
            spy.seen_at_syncfs.append(spy.before_syncfs())
        if spy.fail:
            ctypes.set_errno(errno.EIO)
            return -1
        return real_syncfs(fd)

    monkeypatch.setattr(blobs_local.os, "fsync", fsync)
    monkeypatch.setattr(blob_barrier, "_syncfs", syncfs)
    return spy
