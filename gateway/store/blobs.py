"""Content-addressed blob store: bijlagen and raw payloads, written by streaming, addressed by SHA-256.

A writer hashes the bytes as they arrive and only makes the blob visible (``commit``) once it is fully
written and flushed, so a hulpvraag can never point at a half-written blob. Writers are synchronous on
purpose: the dossier unpacker runs in a worker thread and feeds decoded chunks straight in; async
callers (HTTP uploads) call ``write`` per chunk, which is a plain file write for the local backend.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

__all__ = ["BlobRef", "BlobStore", "BlobTooLarge", "BlobWriter", "LocalBlobStore"]

CHUNK = 256 * 1024


@dataclass(frozen=True, slots=True)
class BlobRef:
    key: str  # the hex SHA-256 of the content
    size: int

    @property
    def sha256(self) -> str:
        return self.key


class BlobTooLarge(Exception):
    """Raised by a writer whose ``max_size`` was passed; the partial blob is discarded."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"blob larger than {limit} bytes")
        self.limit = limit


class BlobWriter(Protocol):
    def write(self, data: bytes) -> None: ...
    def commit(self) -> BlobRef: ...
    def abort(self) -> None: ...
    @property
    def size(self) -> int: ...
    @property
    def head(self) -> bytes: ...  # the first bytes written (up to 8 KiB), for type sniffing


class BlobStore(Protocol):
    def writer(self, max_size: int | None = None) -> BlobWriter: ...
    def open(self, key: str) -> BinaryIO: ...
    def iter_chunks(self, key: str, chunk_size: int = CHUNK) -> Iterator[bytes]: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def check(self) -> None: ...  # raises when the store cannot be used (readiness)


_HEAD = 8192


class _LocalWriter:
    def __init__(self, root: Path, max_size: int | None) -> None:
        self._root = root
        self._max = max_size
        fd, name = tempfile.mkstemp(prefix="incoming-", dir=root / "tmp")
        self._file = os.fdopen(fd, "wb")
        self._tmp = Path(name)
        self._hash = hashlib.sha256()
        self._size = 0
        self._head = bytearray()
        self._done = False

    @property
    def size(self) -> int:
        return self._size

    @property
    def head(self) -> bytes:
        return bytes(self._head)

    def write(self, data: bytes) -> None:
        if self._done:
            raise RuntimeError("writer already finished")
        if not data:
            return
        if self._max is not None and self._size + len(data) > self._max:
            self.abort()
            raise BlobTooLarge(self._max)
        if len(self._head) < _HEAD:
            self._head += data[: _HEAD - len(self._head)]
        self._hash.update(data)
        self._file.write(data)
        self._size += len(data)

    def commit(self) -> BlobRef:
        if self._done:
            raise RuntimeError("writer already finished")
        self._done = True
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        key = self._hash.hexdigest()
        final = self._root / key[:2] / key[2:4] / key
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():  # same content already stored: keep one copy
            self._tmp.unlink(missing_ok=True)
        else:
            os.replace(self._tmp, final)
        return BlobRef(key=key, size=self._size)

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        self._file.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> _LocalWriter:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is not None:
            self.abort()


class LocalBlobStore:
    """Blobs under ``root/ab/cd/<sha256>``; incomplete writes live in ``root/tmp`` until committed."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise KeyError(key)
        return self.root / key[:2] / key[2:4] / key

    def writer(self, max_size: int | None = None) -> _LocalWriter:
        return _LocalWriter(self.root, max_size)

    def put_bytes(self, data: bytes) -> BlobRef:
        w = self.writer()
        w.write(data)
        return w.commit()

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def iter_chunks(self, key: str, chunk_size: int = CHUNK) -> Iterator[bytes]:
        with self.open(key) as f:
            while chunk := f.read(chunk_size):
                yield chunk

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).is_file()
        except KeyError:
            return False

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def check(self) -> None:
        probe = self.root / "tmp" / ".ready"
        probe.write_bytes(b"ok")
        probe.unlink()

    def sweep_incomplete(self) -> int:
        """Remove leftovers of writers that never finished (a crash mid-write). Returns how many."""
        n = 0
        for p in (self.root / "tmp").glob("incoming-*"):
            p.unlink(missing_ok=True)
            n += 1
        return n
