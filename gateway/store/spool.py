"""A sealed spool: bytes written aside once and read back later, never in memory whole, never plaintext on disk.

For data too big to hold in memory while it waits to be read — a big dossier written aside from an answer as
it arrives, then read by the dossier reader — and too sensitive to lie on disk as it is (a child's dossier:
names, identifying numbers, attachments):

- the bytes go to an *unlinked* temporary file (`tempfile.TemporaryFile`: ``O_TMPFILE`` on Linux, so it never
  has a name; elsewhere it is unlinked at once), in ``directory`` or the system's temp dir;
- sealed with AES-256-GCM under a fresh random key that exists only in this process's memory, in chunks of
  `CHUNK` bytes of plaintext (each followed by its 16-byte tag). The nonce is the chunk's index and a "last"
  flag: with a key per spool it never repeats, chunks cannot be reordered, and a cut is noticed;
- writes are buffered (a caller may write per XML event): a chunk is sealed and written when `CHUNK` bytes
  have gathered, the rest by `seal`. Memory: ≈ 2 × `CHUNK` while writing, ≈ 2 × `CHUNK` per reader;
- `open` gives a reader (``BinaryIO``) that decrypts as it reads, with its own file descriptor: a reader
  still busy in a thread keeps working when the spool is closed under it, and the file goes when both did;
- `close` drops the key and the file. A crash leaves at most an unlinked, encrypted file whose key died
  with the process; the OS reclaims it.

    spool = SealedSpool(directory)
    spool.write(b"...")           # many small pieces
    spool.seal()
    with spool.open() as f:       # as often as needed, also from another thread
        f.read(256 * 1024)
    spool.close()
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gateway.logging import get_logger

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["CHUNK", "SealedSpool", "SpoolDamaged"]

log = get_logger(__name__)

CHUNK = 256 * 1024  # plaintext per sealed chunk; also the write buffer and the reader's buffer
_TAG = 16


class SpoolDamaged(OSError):
    """A chunk of the spool does not authenticate or is missing: the file was changed under us."""


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(8, "big") + (b"\x01" if last else b"\x00") + b"\x00\x00\x00"


def _unlinked_file(directory: Path | None) -> io.FileIO:
    """An unnamed file in ``directory`` (made, owner only, when missing); the system temp dir when that
    cannot be used — encrypted either way, so the fall-back costs at most the place, never the privacy."""
    if directory is not None:
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            return _temporary(directory)
        except OSError as exc:
            log.warning("spool_map_onbruikbaar", map=str(directory), reden=str(exc))
    return _temporary(None)


def _temporary(directory: Path | None) -> io.FileIO:
    f = tempfile.TemporaryFile(dir=directory, buffering=0)
    assert isinstance(f, io.FileIO)  # buffering=0: the raw file
    return f


class SealedSpool:
    """Write (buffered, encrypted), `seal`, `open` readers, `close`. ``size``: the plaintext bytes written."""

    def __init__(self, directory: Path | None = None) -> None:
        self._file: io.FileIO | None = _unlinked_file(directory)
        self._aead: AESGCM | None = AESGCM(AESGCM.generate_key(bit_length=256))
        self._buffer = bytearray()
        self._chunks = 0  # full chunks sealed and written
        self._size = 0
        self._sealed = False

    @property
    def size(self) -> int:
        return self._size

    @property
    def closed(self) -> bool:
        return self._file is None

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._sealed or self._file is None:
            raise ValueError("the spool is sealed or closed")
        self._buffer += data
        self._size += len(data)
        if len(self._buffer) >= CHUNK:
            self._write_full_chunks()
        return len(data)

    def _write_full_chunks(self) -> None:
        full = len(self._buffer) // CHUNK * CHUNK
        with memoryview(self._buffer) as view:
            for at in range(0, full, CHUNK):
                self._write_chunk(view[at : at + CHUNK], last=False)
        del self._buffer[:full]

    def _write_chunk(self, plain: bytes | memoryview, *, last: bool) -> None:
        assert self._aead is not None and self._file is not None
        sealed = memoryview(self._aead.encrypt(_nonce(self._chunks, last), plain, None))
        while sealed:
            sealed = sealed[self._file.write(sealed) or 0 :]
        self._chunks += 1

    def seal(self) -> SealedSpool:
        """Write what is buffered as the last chunk (possibly empty); no writes after this. Idempotent."""
        if self._file is None:
            raise ValueError("the spool is closed")
        if not self._sealed:
            self._write_chunk(bytes(self._buffer), last=True)
            self._buffer = bytearray()
            self._sealed = True
        return self

    def open(self) -> BinaryIO:
        """A reader of the plaintext from its start; close it after use (a ``with`` block)."""
        if not self._sealed or self._file is None or self._aead is None:
            raise ValueError("only a sealed, open spool can be read")
        raw = _SpoolReader(os.dup(self._file.fileno()), self._aead, self._size)
        return io.BufferedReader(raw, CHUNK)

    def close(self) -> None:
        """Drop the key and the file (a reader still open keeps its own until it is closed). Idempotent."""
        self._aead = None
        self._buffer = bytearray()
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> SealedSpool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class _SpoolReader(io.RawIOBase):
    """Sequential plaintext of a sealed spool, one chunk authenticated and decrypted at a time."""

    def __init__(self, fd: int, aead: AESGCM, size: int) -> None:
        super().__init__()
        self._fd: int | None = fd
        self._aead: AESGCM | None = aead
        self._size = size
        self._last = size // CHUNK  # the index of the last chunk (empty when size is a multiple of CHUNK)
        self._pos = 0
        self._plain: tuple[int, bytes] | None = None
        self._ended = False  # the last chunk was authenticated (a cut at a chunk boundary is noticed)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        if self._pos >= self._size:
            if not self._ended:
                self._chunk(self._last)
            return 0
        index, within = divmod(self._pos, CHUNK)
        plain = self._chunk(index)
        with memoryview(buffer) as view:
            n = min(len(view), len(plain) - within)
            view[:n] = plain[within : within + n]
        self._pos += n
        return n

    def _chunk(self, index: int) -> bytes:
        if self._plain is not None and self._plain[0] == index:
            return self._plain[1]
        if self._fd is None or self._aead is None:
            raise ValueError("the reader is closed")
        last = index == self._last
        want = (self._size - index * CHUNK if last else CHUNK) + _TAG
        offset = index * (CHUNK + _TAG)
        sealed = b""
        while len(sealed) < want:
            got = os.pread(self._fd, want - len(sealed), offset + len(sealed))
            if not got:
                raise SpoolDamaged(f"spool chunk {index} is cut short")
            sealed += got
        try:
            plain = self._aead.decrypt(_nonce(index, last), sealed, None)
        except InvalidTag:
            raise SpoolDamaged(f"spool chunk {index} does not authenticate") from None
        self._ended = self._ended or last
        self._plain = (index, plain)
        return plain

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._aead = None
        self._plain = None
        super().close()
