"""The local-folder backend of the blob store: one file per blob under ``<root>/<aa>/<bb>/<key>``.

A blob is written to a temporary file under ``<root>/tmp``, fsynced, and made visible with ``link()`` (it fails
when the name exists, so exactly one writer of the same content creates the blob, and a second one renews it);
a refused exchange's own blobs are taken back by moving them aside only while their modification time is
still the one their writer left (docs/assumptions/secrets.md).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from gateway.store.blob_barrier import BOOT_NS, current_barrier, syncfs_available
from gateway.store.blob_crypto import Keyring
from gateway.store.blobs import _HEX, ContentStore, check_key

__all__ = ["LocalBackend", "LocalBlobStore"]


# a temporary file as tempfile.mkstemp makes one (private, not inherited, not through a link), named without its
# per-call overhead: paths here are strings, as pathlib costs ≈ 30 µs per blob (docs/performance.md)
_TMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class _LocalSink:
    def __init__(
        self, root: Path, made_dirs: set[str] | None = None, *, stamps: bool = False, barrier: bool = True
    ) -> None:
        self._root = os.fspath(root)
        self._made = made_dirs if made_dirs is not None else set()
        self._stamps = stamps  # the file system keeps nanosecond times: `created` can be trusted
        self._barrier = current_barrier() if barrier else None
        self._deferred = self._barrier is not None and self._barrier.join(root)  # durable at the barrier's flush
        while True:
            self._tmp = os.path.join(self._root, "tmp", "incoming-" + uuid.uuid4().hex)
            try:
                fd = os.open(self._tmp, _TMP_FLAGS, 0o600)
                break
            except FileExistsError:  # pragma: no cover - 128 random bits
                continue
        self._file = os.fdopen(fd, "wb")
        self.created: int | None = None  # this sink made the blob: the modification time it left (ns)
        # set by the writer before `commit`: whether the stored blob of that name holds its content in full
        self.intact: Callable[[], bool] | None = None

    def write(self, data: bytes) -> None:
        if data:
            self._file.write(data)

    def commit(self, key: str) -> None:
        directory = f"{self._root}/{key[:2]}/{key[2:4]}"
        final = f"{directory}/{key}"
        found = _existing(final, self.intact)
        if found == "kept":  # same content already stored: keep one copy
            self._file.close()
            _unlink(self._tmp)
            self._committed()
            return
        self._file.flush()
        if not self._deferred:
            os.fsync(self._file.fileno())
        stamp = os.fstat(self._file.fileno()).st_mtime_ns  # before it can be seen: nobody else touched it yet
        self._file.close()
        try:
            self._link(directory, final, found, stamp)
        finally:
            # counted only once its name is in place: a barrier of this process whose syncfs begins after this
            # moment covers the name as well as the content, and may stand in for ours (blob_barrier._synced)
            self._committed()

    def _link(self, directory: str, final: str, found: str, stamp: int) -> None:
        if found == "broken":  # a name left by a crash before its barrier: this complete copy replaces it
            os.replace(self._tmp, final)
            return
        if directory not in self._made:  # one mkdir per directory per process, not one per blob
            _mkdir(directory)
            self._made.add(directory)
        # made visible with link(), not rename(): it fails when the name exists, so exactly one writer of the
        # same content creates the blob (and may later take it back); every other one renews it (`_touch`)
        for _ in range(3):
            try:
                os.link(self._tmp, final)
            except FileExistsError:
                if _touch(final):  # stored by another writer meanwhile
                    break
                continue  # removed again in between: try once more
            except FileNotFoundError:  # the directory was removed behind our back: make it again
                _mkdir(directory)
                continue
            except OSError:  # no hard links on this file system: replace, as before, without a stamp
                os.replace(self._tmp, final)
                return
            self.created = stamp if self._stamps else None
            break
        else:
            os.replace(self._tmp, final)  # defensive: the name kept changing; the content is the same
            return
        _unlink(self._tmp)

    def replace(self, key: str) -> None:
        directory = f"{self._root}/{key[:2]}/{key[2:4]}"
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        _mkdir(directory)
        os.replace(self._tmp, f"{directory}/{key}")

    def abort(self) -> None:
        self._file.close()
        _unlink(self._tmp)

    def _committed(self) -> None:
        if self._deferred and self._barrier is not None:
            self._barrier.committed()  # this name (and the blob it may share) is made durable by the flush


def _mkdir(directory: str) -> None:
    """``Path.mkdir(parents=True, exist_ok=True)``: the directory first, its parent only when missing."""
    try:
        os.mkdir(directory)
    except FileExistsError:
        if not os.path.isdir(directory):  # a file in its place: refused, as pathlib refuses it
            raise
    except FileNotFoundError:
        os.makedirs(directory, exist_ok=True)


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _existing(final: str, intact: Callable[[], bool] | None) -> str:
    """What a writer finds under the blob's name: "absent"; "kept" when the blob is stored and renewed
    (`_touch`); "broken" when a blob of this name was last written before this boot and does not hold its
    content in full: a writer under a barrier linked it and the machine went down before the barrier's flush
    (docs/assumptions/db-hot-path.md). Written since this boot, the page cache holds what was written, and the
    writer's own barrier makes it durable."""
    try:
        before_boot = os.stat(final).st_mtime_ns < BOOT_NS
    except (FileNotFoundError, NotADirectoryError):
        return "absent"
    if before_boot and intact is not None and not intact():
        return "broken"
    return "kept" if _touch(final) else "absent"


def _touch(final: str) -> bool:
    """Content already stored, written again: the orphan sweep's grace period starts again (the row that
    will point at it is not committed yet). False when there is no such blob.

    The new time is later than the old one by at least a nanosecond, also within one tick of the kernel's
    clock, so the writer that created the blob can tell that someone wrote it since (`CreatedBlob`)."""
    try:
        old = os.stat(final).st_mtime_ns
        new = max(time.time_ns(), old + 1)
        os.utime(final, ns=(new, new))
    except (FileNotFoundError, NotADirectoryError):
        return False
    return True


def _keeps_nanoseconds(directory: Path) -> bool:
    """Whether this file system stores modification times to the nanosecond (ext4, XFS, btrfs, tmpfs do)."""
    probe = directory / f".stamp-{uuid.uuid4().hex}"
    try:
        probe.write_bytes(b"")
        wanted = 1_700_000_000_123_456_789
        os.utime(probe, ns=(wanted, wanted))
        return os.stat(probe).st_mtime_ns == wanted
    except OSError:
        return False
    finally:
        probe.unlink(missing_ok=True)


def _mtime(path: Path) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
    except FileNotFoundError:
        return None


class LocalBackend:
    """Blobs under ``root/ab/cd/<sha256>``; incomplete writes live in ``root/tmp`` until committed."""

    def __init__(self, root: Path, *, barrier: bool = True) -> None:
        """``barrier``: writes under `durable_together` wait for its flush (one syncfs); False: an fsync per blob
        always (``[blobs] sync = "per_blob"``)."""
        self.root = Path(root)
        self.barrier = barrier
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)
        self._made_dirs: set[str] = set()  # fan-out directories known to exist (set.add is thread-safe)
        self._stamps = _keeps_nanoseconds(self.root / "tmp")

    @property
    def writes_wait(self) -> bool:
        """Whether writing a blob waits for the disk: an fsync per blob without a barrier (or without
        syncfs); with one, a blob's write only fills the page cache and the barrier's flush waits instead."""
        return not (self.barrier and syncfs_available())

    def _path(self, key: str) -> Path:
        check_key(key)
        return self.root / key[:2] / key[2:4] / key

    def sink(self) -> _LocalSink:
        return _LocalSink(self.root, self._made_dirs, stamps=self._stamps, barrier=self.barrier)

    def open_raw(self, key: str) -> tuple[BinaryIO, int]:
        f = self._path(key).open("rb")
        return f, os.fstat(f.fileno()).st_size

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def check(self) -> None:
        probe = self.root / "tmp" / ".ready"
        probe.write_bytes(b"ok")
        probe.unlink()

    def keys(self) -> Iterator[str]:
        for p in self.root.glob("[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/*"):
            if len(p.name) == 64 and _HEX.issuperset(p.name):
                yield p.name

    def aged_keys(self) -> Iterator[tuple[str, dt.datetime]]:
        for p in self.root.glob("[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/*"):
            if len(p.name) == 64 and _HEX.issuperset(p.name) and (at := _mtime(p)) is not None:
                yield p.name, at

    def modified(self, key: str) -> dt.datetime | None:
        return _mtime(self._path(key))

    def discard_created(self, key: str, stamp: int) -> bool:
        """Remove the blob when it still carries ``stamp``. It is first moved aside (``tmp/discard-<key>-…``,
        one atomic rename: from then on a writer of the same content finds nothing and stores its own copy);
        if its time changed before the move, a writer renewed it and it is put back. A crash between the two
        steps leaves the moved copy, which `sweep_incomplete` puts back (never removes)."""
        final = self._path(key)
        try:
            if os.stat(final).st_mtime_ns != stamp:
                return False  # written again since: someone may point at it
            aside = self.root / "tmp" / f"discard-{key}-{uuid.uuid4().hex[:8]}"
            os.rename(final, aside)
        except FileNotFoundError:
            return False
        try:
            if os.stat(aside).st_mtime_ns == stamp:
                aside.unlink()
                return True
        except FileNotFoundError:  # a sweep put it back meanwhile: it stays
            return False
        _put_back(aside, final)  # renewed between the look and the move
        return False


def _put_back(aside: Path, final: Path) -> None:
    """Make a moved-aside blob visible again (a copy that a writer stored meanwhile is the same content)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.link(aside, final)
    aside.unlink(missing_ok=True)


class LocalBlobStore(ContentStore):
    """The blob store on a local (or mounted) file system."""

    def __init__(
        self, root: Path, keyring: Keyring | None = None, *, allow_plaintext: bool = False, barrier: bool = True
    ) -> None:
        self._local = LocalBackend(root, barrier=barrier)
        super().__init__(self._local, keyring, allow_plaintext=allow_plaintext)

    @property
    def root(self) -> Path:
        return self._local.root

    def _path(self, key: str) -> Path:
        return self._local._path(key)

    def sweep_incomplete(self, older_than: dt.timedelta | None = None) -> int:
        """Remove leftovers of writers that never finished (a crash mid-write): all of them, or only those
        older than ``older_than`` (safe while other writers are busy). Returns how many."""
        cutoff = dt.datetime.now(dt.UTC) - older_than if older_than is not None else None
        for p in (self.root / "tmp").glob("discard-*"):  # a discard cut short (a crash): never lose a blob
            key = p.name[len("discard-") :].split("-", 1)[0]
            with contextlib.suppress(KeyError, OSError):
                _put_back(p, self._path(key))
        n = 0
        for p in (self.root / "tmp").glob("incoming-*"):
            if cutoff is not None and ((at := _mtime(p)) is None or at >= cutoff):
                continue
            p.unlink(missing_ok=True)
            n += 1
        return n
