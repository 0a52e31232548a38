"""Does a local blob folder lie on ext4 without a journal? (docs/deploy.md, "`[blobs]`")

On such a file system a new file does not take an inode freed in the last one to six minutes, and the allocator
looks up every such inode it passes (Linux, fs/ext4/ialloc.c, ``recently_deleted``): after the orphan sweep or
a retention purge removed thousands of blobs, every blob written in the next minutes costs several times its
CPU (docs/performance.md, "Issue 18, tenth round"). Some VM images are made that way. `gateway serve` warns at
start-up; nothing else changes.

Read from Linux's ``/proc/self/mountinfo`` (which file system holds the folder, on which device),
``/sys/dev/block/<major:minor>`` (the device's kernel name) and ``/proc/fs/jbd2`` (one entry per journal,
``<device>-<inode>``). Whatever cannot be read — another system, a container that hides them — leaves the
question open (None): no warning rather than a wrong one. An ext4 journal on a separate device is not
recognised (rare; the warning would then be wrong).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

__all__ = ["Mount", "ext4_without_journal", "mount_of"]


@dataclasses.dataclass(frozen=True, slots=True)
class Mount:
    point: str
    fstype: str
    device: str  # "major:minor"


def mount_of(path: str, mountinfo: str) -> Mount | None:
    """The mount that holds ``path`` (absolute, resolved): the longest mount point above it; the last such
    line when one is mounted over another."""
    best: Mount | None = None
    for line in mountinfo.splitlines():
        fields = line.split()
        if " - " not in line or len(fields) < 5:
            continue
        after = line.split(" - ", 1)[1].split()
        if not after:
            continue
        point = _unescape(fields[4])
        inside = path == point or path.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= len(best.point)):
            best = Mount(point, after[0], fields[2])
    return best


def ext4_without_journal(folder: Path, *, procfs: Path = Path("/proc"), sysfs: Path = Path("/sys")) -> str | None:
    """The kernel name of the device when ``folder`` lies on ext4 without a journal; None when it has one, is
    another file system, or this cannot be told. A folder not made yet is judged by the mount above it."""
    try:
        mount = mount_of(str(folder.resolve()), (procfs / "self" / "mountinfo").read_text())
        if mount is None or mount.fstype != "ext4":
            return None
        device = Path(os.readlink(sysfs / "dev" / "block" / mount.device)).name
        journals = {entry.rsplit("-", 1)[0] for entry in os.listdir(procfs / "fs" / "jbd2")}
    except (OSError, ValueError):
        return None
    return None if device in journals else device


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash in a path as octal escapes (``\\040``)."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field
