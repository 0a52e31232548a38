"""Content-addressed blob store: bijlagen and raw payloads, written by streaming, addressed by SHA-256.

A writer hashes the bytes as they arrive and only makes the blob visible (``commit``) once it is fully
written and flushed, so a hulpvraag can never point at a half-written blob. Writers are synchronous on
purpose: the dossier unpacker runs in a worker thread and feeds decoded chunks straight in; async
callers (HTTP uploads) call ``write`` per chunk, which is a plain file write for the local backend.

Two layers: a `ContentStore` does what every backend shares (hashing, limits, the head for sniffing,
optional encryption at rest — `gateway.store.blob_crypto`), and a small `BlobBackend` keeps bytes under a
key: `gateway.store.blobs_local.LocalBlobStore` (files) and `gateway.store.blobs_s3.S3BlobStore` (an
S3-compatible object store).
Without encryption a blob is named by the SHA-256 of its content. With encryption its name is keyed,
HMAC-SHA256(name key, SHA-256), so that listing the store does not tell whether a known document is in it;
`BlobRef.sha256` stays the content's SHA-256 (a bijlage's ``sha256`` and de-duplication hold either way).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import hmac
import io
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from gateway.store.blob_crypto import (
    BlobIntegrityError,
    ChunkSealer,
    DecryptingReader,
    Keyring,
    is_encrypted,
    name_key,
)

__all__ = [
    "CHUNK",
    "BlobBackend",
    "BlobIntegrityError",
    "BlobRef",
    "BlobStore",
    "BlobStoreUnavailable",
    "BlobTooLarge",
    "BlobWriter",
    "ContentStore",
    "ContentWriter",
    "CreatedBlob",
    "Sink",
    "check_key",
    "recording_created",
]

CHUNK = 256 * 1024


@dataclass(frozen=True, slots=True)
class BlobRef:
    key: str  # the blob's name: the hex SHA-256 of the content, or with encryption its keyed name
    size: int
    content_sha256: str | None = None  # the hex SHA-256 of the content, when it differs from the name

    @property
    def sha256(self) -> str:
        return self.content_sha256 or self.key


class BlobTooLarge(Exception):
    """Raised by a writer whose ``max_size`` was passed; the partial blob is discarded."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"blob larger than {limit} bytes")
        self.limit = limit


class BlobStoreUnavailable(Exception):
    """The store could not be reached or answered with an error (not "not found"): try again later.

    Not an OSError on purpose, for the same reason as `BlobIntegrityError`.
    """


class BlobWriter(Protocol):
    def write(self, data: bytes) -> None: ...
    def commit(self) -> BlobRef: ...
    def abort(self) -> None: ...
    @property
    def size(self) -> int: ...
    @property
    def head(self) -> bytes: ...  # the first bytes written (up to 8 KiB), for type sniffing
    @property
    def digest(self) -> str: ...  # the SHA-256 of what was written so far
    @property
    def name(self) -> str: ...  # the key ``commit`` will give (the digest, or its keyed name)


class BlobStore(Protocol):
    def writer(self, max_size: int | None = None) -> BlobWriter: ...
    def open(self, key: str) -> BinaryIO: ...
    def iter_chunks(self, key: str, chunk_size: int = CHUNK) -> Iterator[bytes]: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def check(self) -> None: ...  # raises when the store cannot be used (readiness)


# -- the backend seam ---------------------------------------------------------------------------------
class Sink(Protocol):
    """Stored bytes on their way in; invisible until ``commit(key)``."""

    def write(self, data: bytes) -> None: ...
    def commit(self, key: str) -> None: ...  # make visible under key; an existing object stays as it is
    def replace(self, key: str) -> None: ...  # make visible under key, atomically replacing what is there
    def abort(self) -> None: ...


class BlobBackend(Protocol):
    def sink(self) -> Sink: ...
    def open_raw(self, key: str) -> tuple[BinaryIO, int]: ...  # a seekable handle and the stored size
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def check(self) -> None: ...
    def keys(self) -> Iterator[str]: ...
    def aged_keys(self) -> Iterator[tuple[str, dt.datetime]]: ...  # every key with its last write (UTC)
    def modified(self, key: str) -> dt.datetime | None: ...  # the last write of one key; None when gone


_HEX = frozenset("0123456789abcdef")


def check_key(key: str) -> str:
    """A blob key is 64 lowercase hex characters; anything else (a path, ``..``) is a KeyError."""
    if len(key) != 64 or not _HEX.issuperset(key):
        raise KeyError(key)
    return key


_HEAD = 8192


@dataclass(frozen=True, slots=True)
class CreatedBlob:
    """A blob this writer made (it did not exist before), with the modification time its creation left
    (nanoseconds): while the blob still carries that time, nobody else has written the same content since.

    On a backend that stages (S3) the blob is not visible yet: ``staged`` names this writer's own copy, which
    `gateway.store.blob_sweep.settle_created` promotes to ``key`` once a committed row points at it, or
    deletes (``stamp`` is 0 then)."""

    store: ContentStore
    key: str
    stamp: int
    staged: str | None = None


_created: ContextVar[list[CreatedBlob] | None] = ContextVar("gateway_blobs_created", default=None)


@contextlib.contextmanager
def recording_created() -> Iterator[list[CreatedBlob]]:
    """Collect the blobs created by writers committed in this context (and the threads it starts with
    `asyncio.to_thread`): the worker uses it to take back what a refused or held exchange wrote, and on a
    staging backend (S3) to promote what a committed row points at (`gateway.store.blob_sweep.settle_created`).
    Inside the context, `ContentStore.open`, ``exists`` and ``delete`` see the context's staged copies."""
    created: list[CreatedBlob] = []
    token = _created.set(created)
    try:
        yield created
    finally:
        _created.reset(token)


def _staged_here(store: ContentStore, key: str) -> CreatedBlob | None:
    """The newest copy of ``key`` that this context staged in ``store`` (None outside a recording)."""
    record = _created.get()
    for c in reversed(record or ()):
        if c.staged is not None and c.key == key and c.store is store:
            return c
    return None


class ContentWriter:
    """Hashes, limits and (optionally) seals the plaintext, passing stored bytes to a backend's sink."""

    def __init__(
        self,
        sink: Sink,
        max_size: int | None,
        sealer: ChunkSealer | None = None,
        namer: Callable[[str], str] | None = None,
        store: ContentStore | None = None,
    ) -> None:
        self._sink, self._max, self._sealer, self._namer = sink, max_size, sealer, namer
        self._store = store
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

    @property
    def digest(self) -> str:
        """The hex SHA-256 of what was written so far."""
        return self._hash.hexdigest()

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
        self._size += len(data)
        try:
            self._sink.write(self._sealer.feed(data) if self._sealer is not None else data)
        except BaseException:
            self.abort()
            raise

    @property
    def name(self) -> str:
        """The name ``commit`` gives the blob: the digest, or with encryption its keyed name."""
        return self._namer(self.digest) if self._namer is not None else self.digest

    def commit(self) -> BlobRef:
        if self._done:
            raise RuntimeError("writer already finished")
        digest = self._hash.hexdigest()
        key = self._namer(digest) if self._namer is not None else digest
        record = _created.get()
        stage: Callable[[str], str] | None = getattr(self._sink, "stage", None) if record is not None else None
        try:
            if self._sealer is not None:
                self._sink.write(self._sealer.finish(key))
            if stage is not None and self._store is not None:
                # an exchange's write on a staging backend: its own copy, invisible until settled
                staged = stage(key)
                assert record is not None
                record.append(CreatedBlob(self._store, key, 0, staged))
                self._done = True
                return BlobRef(key=key, size=self._size, content_sha256=digest if key != digest else None)
            if hasattr(self._sink, "intact") and self._store is not None:  # local: check a blob left by a crash
                self._sink.intact = functools.partial(self._store.holds, key, digest)
            self._sink.commit(key)
        except BaseException:
            self.abort()
            raise
        self._done = True
        stamp = getattr(self._sink, "created", None)
        if stamp is not None and self._store is not None and record is not None:
            record.append(CreatedBlob(self._store, key, stamp))
        return BlobRef(key=key, size=self._size, content_sha256=digest if key != digest else None)

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        self._sink.abort()

    def __enter__(self) -> ContentWriter:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is not None:
            self.abort()


class ContentStore:
    """A `BlobStore` over any `BlobBackend`, with optional encryption at rest.

    With a keyring every new blob is sealed with its active key. ``allow_plaintext`` lets blobs written
    before encryption was switched on still be read (a migration period); otherwise a blob without the
    sealed header is refused as tampered.
    """

    def __init__(self, backend: BlobBackend, keyring: Keyring | None = None, *, allow_plaintext: bool = False) -> None:
        self.backend = backend
        self.keyring = keyring
        self.allow_plaintext = allow_plaintext or keyring is None
        self._name_key: tuple[str, bytes] | None = None

    @property
    def writes_wait(self) -> bool:
        """Whether writing a blob may wait for a disk or the network (an fsync per blob, an upload); a backend
        that does not say is taken to wait."""
        return bool(getattr(self.backend, "writes_wait", True))

    def writer(self, max_size: int | None = None) -> ContentWriter:
        if self.keyring is None:
            return ContentWriter(self.backend.sink(), max_size, store=self)
        return ContentWriter(self.backend.sink(), max_size, ChunkSealer(self.keyring), self.name_of, store=self)

    def name_of(self, sha256: str) -> str:
        """The name of content with this SHA-256: itself without encryption; with encryption
        HMAC-SHA256(name key, sha256), so that whoever can list the store cannot confirm that a known
        document is in it. The name key is derived from the active master key (docs/assumptions/secrets.md)."""
        if self.keyring is None:
            return sha256
        if self._name_key is None or self._name_key[0] != self.keyring.active:
            self._name_key = (self.keyring.active, name_key(self.keyring.master(self.keyring.active)))
        return hmac.new(self._name_key[1], bytes.fromhex(sha256), hashlib.sha256).hexdigest()

    def put_bytes(self, data: bytes) -> BlobRef:
        w = self.writer()
        w.write(data)
        return w.commit()

    def holds(self, key: str, sha256: str) -> bool:
        """Whether the stored blob ``key`` reads back in full as content with this SHA-256 (a sealed blob is
        decrypted, so its authentication checks every chunk)."""
        digest = hashlib.sha256()
        try:
            with self.open(key) as f:
                while chunk := f.read(CHUNK):
                    digest.update(chunk)
        except (OSError, BlobIntegrityError, ValueError):
            return False
        return digest.hexdigest() == sha256

    def open(self, key: str) -> BinaryIO:
        raw, stored = self._open_stored(check_key(key))
        try:
            magic = raw.read(4)
            raw.seek(0)
            if is_encrypted(magic):
                if self.keyring is None:
                    raise BlobIntegrityError(f"blob {key} is encrypted but no keys are configured ([blobs] keys)")
                return io.BufferedReader(DecryptingReader(raw, stored, self.keyring, key), CHUNK)
            if not self.allow_plaintext:
                raise BlobIntegrityError(f"blob {key} is not encrypted while encryption at rest is required")
            return raw
        except BaseException:
            raw.close()
            raise

    def _open_stored(self, key: str) -> tuple[BinaryIO, int]:
        """The stored bytes of a blob: this context's staged copy first; the visible blob; and when that is
        missing, a staged copy left by an outcome whose promotion has not run yet (a crash right after the
        commit: the sweep promotes it) — a row that points at a blob can always be read."""
        open_staged = getattr(self.backend, "open_staged", None)
        if open_staged is not None and (mine := _staged_here(self, key)) is not None:
            try:
                return open_staged(mine.staged)
            except FileNotFoundError:
                pass  # promoted meanwhile (the sweep): read the visible blob
        try:
            return self.backend.open_raw(key)
        except FileNotFoundError:
            find = getattr(self.backend, "staged_copy", None)
            if open_staged is None or find is None or (name := find(key)) is None:
                raise
            return open_staged(name)

    def iter_chunks(self, key: str, chunk_size: int = CHUNK) -> Iterator[bytes]:
        with self.open(key) as f:
            while chunk := f.read(chunk_size):
                yield chunk

    def exists(self, key: str) -> bool:
        """Whether `open` finds the blob (a staged copy whose promotion is due counts, as for `open`)."""
        try:
            if _staged_here(self, check_key(key)) is not None or self.backend.exists(key):
                return True
        except KeyError:
            return False
        find = getattr(self.backend, "staged_copy", None)
        return find is not None and find(key) is not None

    def delete(self, key: str) -> None:
        """Remove a blob. Inside a recording, a blob this context staged loses only its own copy (the visible
        blob of the same content, if any, belongs to others)."""
        if (mine := _staged_here(self, check_key(key))) is not None:
            assert mine.staged is not None
            self.backend.delete_staged(mine.staged)  # type: ignore[attr-defined]  # an S3-store method, beyond the BlobStore protocol
            record = _created.get()
            if record is not None:
                record.remove(mine)
            return
        self.backend.delete(key)

    def check(self) -> None:
        self.backend.check()

    def keys(self) -> Iterator[str]:
        return self.backend.keys()

    def aged_keys(self) -> Iterator[tuple[str, dt.datetime]]:
        return self.backend.aged_keys()

    def sealed_with(self, key: str) -> str | None:
        """The key id a blob is sealed with; None for a plaintext blob."""
        raw, _ = self.backend.open_raw(check_key(key))
        with raw:
            head = raw.read(5)
            if not is_encrypted(head):
                return None
            return raw.read(head[4]).decode("ascii", "replace")

    def reseal(self, key: str) -> bool:
        """Seal a blob again with the active key, under the same name; False when it already is. The new
        copy is written aside and then replaces the old one atomically (a rename, or one PUT/COPY on S3), so
        a process killed midway leaves either the old or the new copy — both readable while the old key is in
        the ring — and the content is checked against its name before the old copy is replaced."""
        if self.keyring is None:
            raise BlobIntegrityError("opnieuw versleutelen kan alleen met sleutels ([blobs] keys)")
        if self.sealed_with(key) == self.keyring.active:
            return False
        sealer = ChunkSealer(self.keyring)
        sink = self.backend.sink()
        digest = hashlib.sha256()
        try:
            with self.open(key) as plain:
                while chunk := plain.read(CHUNK):
                    digest.update(chunk)
                    sink.write(sealer.feed(chunk))
            if key not in (digest.hexdigest(), self.name_of(digest.hexdigest())) and not self._older_name(
                key, digest.hexdigest()
            ):
                raise BlobIntegrityError(f"blob {key} holds other content than its name says")
            sink.write(sealer.finish(key))
            sink.replace(key)
        except BaseException:
            sink.abort()
            raise
        return True

    def _older_name(self, key: str, sha256: str) -> bool:
        """Whether ``key`` is the keyed name of ``sha256`` under one of the ring's older keys."""
        assert self.keyring is not None
        return any(
            hmac.compare_digest(key, hmac.new(name_key(m), bytes.fromhex(sha256), hashlib.sha256).hexdigest())
            for m in self.keyring.keys.values()
        )

    def modified(self, key: str) -> dt.datetime | None:
        return self.backend.modified(check_key(key))

    def discard_created(self, key: str, stamp: int, staged: str | None = None) -> bool:
        """Remove a blob this process created, unless someone wrote the same content since (its time is
        no longer ``stamp``). False when it stays: the backend cannot tell safely, it was written again,
        or it is gone. See `gateway.store.blob_sweep.discard_created` for why this is safe. A staged copy
        (S3) is this writer's alone: it is simply deleted."""
        if staged is not None:
            self.backend.delete_staged(staged)  # type: ignore[attr-defined]  # an S3-store method, beyond the BlobStore protocol
            return True
        discard = getattr(self.backend, "discard_created", None)
        return bool(discard(check_key(key), stamp)) if discard is not None else False

    def promote(self, key: str, staged: str) -> None:
        """Make a staged copy visible under ``key`` (a committed row points at it) and drop the copy.
        Idempotent: run again (the sweep, after a crash) it changes nothing."""
        self.backend.promote(check_key(key), staged)  # type: ignore[attr-defined]  # an S3-store method, beyond the BlobStore protocol

    def staged_blobs(self) -> Iterator[tuple[str, str, dt.datetime]]:
        """Staged copies in the store (key, name, written at); none on a backend that does not stage."""
        staged = getattr(self.backend, "staged_blobs", None)
        return iter(()) if staged is None else staged()
