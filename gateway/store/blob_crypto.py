"""Encryption at rest for blobs: AES-256-GCM in fixed-size chunks, so blobs stay streamable and seekable.

Stored layout (all integers big-endian)::

    header  = b"GWB" 0x01 | len(key_id):u8 | key_id | chunk_size:u32 | salt:16 | nonce_prefix:7
    chunk_i = AES-GCM(blob_key, nonce_prefix | i:u32 | last:u8, plaintext_i, aad)

* ``blob_key = HKDF-SHA256(master[key_id], salt, info=b"gateway-blob-v1")``: every blob has its own key, so
  the 96-bit nonces can never repeat across blobs, however many are written under one master key.
* The nonce carries the chunk's index (reordering or dropping a chunk fails) and a "last" flag (cutting the
  blob at a chunk boundary fails: the new last chunk was sealed as not-last).
* Every chunk authenticates the header (key id, chunk size, salt). The last chunk also authenticates the
  blob's name, the SHA-256 of the plaintext: a ciphertext copied under another blob's name fails to open.
* Plaintext chunks are ``chunk_size`` bytes, the last one 0..chunk_size bytes (an empty blob is one empty
  last chunk). So the plaintext size follows from the stored size, and plaintext offset ``p`` lives in chunk
  ``p // chunk_size``: `DecryptingReader` seeks without reading what comes before.

The master key is chosen by ``key_id`` in the header, so keys rotate: new blobs use the active key, old blobs
stay readable while their key is still in the keyring (see docs/deploy.md).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gateway.logging import get_logger
from gateway.store.blob_io import SeekableReader

__all__ = [
    "DEFAULT_CHUNK",
    "MAGIC",
    "BlobIntegrityError",
    "ChunkSealer",
    "DecryptingReader",
    "Keyring",
    "UnknownBlobKey",
    "is_encrypted",
    "name_key",
    "plaintext_size",
]

log = get_logger(__name__)

MAGIC = b"GWB\x01"
TAG = 16
DEFAULT_CHUNK = 64 * 1024
_SALT, _PREFIX = 16, 7
_INFO = b"gateway-blob-v1"
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,32}")


class BlobIntegrityError(Exception):
    """A stored blob does not authenticate: it was changed, cut short, reordered or swapped.

    Deliberately not an OSError: readers that turn OSErrors into findings about a school's file (a corrupt
    ZIP) must not blame the school for our storage; the worker retries and then holds the item instead.
    """


class UnknownBlobKey(BlobIntegrityError):
    """The blob was sealed with a key id that is not in the keyring (a retired key?)."""


def valid_key_id(key_id: str) -> bool:
    return bool(_KEY_ID.fullmatch(key_id))


def decode_key(text: str) -> bytes:
    """A master key from its base64 text; must be 32 bytes (AES-256). Raises ValueError."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("geen geldige base64") from None
    if len(raw) != 32:
        raise ValueError(f"de sleutel is {len(raw)} bytes, verwacht 32 (256 bits)")
    return raw


@dataclass(frozen=True)
class Keyring:
    """Master keys by id; ``active`` seals new blobs, every key in ``keys`` opens old ones."""

    active: str
    keys: Mapping[str, bytes] = field(repr=False)
    chunk_size: int = DEFAULT_CHUNK

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise ValueError(f"active key id {self.active!r} is not in the keyring")
        if not 1024 <= self.chunk_size <= 16 * 1024 * 1024:
            raise ValueError("chunk_size must be 1 KiB .. 16 MiB")

    def master(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise UnknownBlobKey(f"blob sealed with unknown key id {key_id!r}") from None


def name_key(master: bytes) -> bytes:
    """The key that names blobs (HMAC-SHA256 over the content's SHA-256), derived from a master key with its
    own ``info``: never the key that seals them."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"gateway-blob-name-v1").derive(master)


def _derive(master: bytes, salt: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_INFO).derive(master)
    return AESGCM(key)


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    if index >= 2**32:
        raise OverflowError("blob too large for its chunk size")
    return prefix + struct.pack(">IB", index, 1 if last else 0)


def _last_aad(header: bytes, name: str) -> bytes:
    return header + bytes.fromhex(name)


class ChunkSealer:
    """Encrypts one blob as it is written. `feed` returns ciphertext ready to store; `finish(name)` the rest.

    One chunk of plaintext is held back until more data arrives, so the last chunk is known when sealing.
    """

    def __init__(self, keyring: Keyring) -> None:
        kid = keyring.active.encode()
        self.chunk = keyring.chunk_size
        salt, self._prefix = os.urandom(_SALT), os.urandom(_PREFIX)
        self.header = MAGIC + bytes([len(kid)]) + kid + struct.pack(">I", self.chunk) + salt + self._prefix
        self._aead = _derive(keyring.master(keyring.active), salt)
        self._buf = bytearray()
        self._index = 0
        self._started = False

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        if not self._started:
            out += self.header
            self._started = True
        self._buf += data
        while len(self._buf) > self.chunk:  # strictly more: the held-back chunk is not the last one
            out += self._seal(bytes(self._buf[: self.chunk]), last=False, aad=self.header)
            del self._buf[: self.chunk]
        return bytes(out)

    def finish(self, name: str) -> bytes:
        out = self.feed(b"")
        out += self._seal(bytes(self._buf), last=True, aad=_last_aad(self.header, name))
        self._buf.clear()
        return out

    def _seal(self, plain: bytes, *, last: bool, aad: bytes) -> bytes:
        sealed = self._aead.encrypt(_nonce(self._prefix, self._index, last), plain, aad)
        self._index += 1
        return sealed


def is_encrypted(head: bytes) -> bool:
    return head.startswith(MAGIC)


def plaintext_size(stored: int, header_len: int, chunk: int) -> int:
    """The plaintext size of a sealed blob of ``stored`` bytes; raises when no valid blob has that length."""
    return _layout(stored, header_len, chunk)[0]


def _layout(stored: int, header_len: int, chunk: int) -> tuple[int, int]:
    body = stored - header_len
    if body < TAG:
        raise BlobIntegrityError("blob shorter than one sealed chunk")
    n = -(-body // (chunk + TAG))
    last_plain = body - (n - 1) * (chunk + TAG) - TAG
    if last_plain < 0 or (last_plain == 0 and n > 1):  # the writer never seals an empty chunk after others
        raise BlobIntegrityError("blob length does not match its chunking")
    return (n - 1) * chunk + last_plain, n


def _read_exact(f: BinaryIO, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        part = f.read(n - len(buf))
        if not part:
            break
        buf += part
    return bytes(buf)


class DecryptingReader(SeekableReader):
    """A seekable, read-only plaintext view of a sealed blob. Every chunk is authenticated before use.

    ``raw`` must be seekable and its size known (``stored_size``). Raises `BlobIntegrityError` on any
    mismatch, logged as ``blob_beschadigd``.
    """

    def __init__(self, raw: BinaryIO, stored_size: int, keyring: Keyring, name: str) -> None:
        super().__init__()
        self._raw, self._name = raw, name
        fixed = _read_exact(raw, 5)
        if len(fixed) < 5 or not is_encrypted(fixed):
            raise self._fail("no blob header")
        kid_len = fixed[4]
        rest = _read_exact(raw, kid_len + 4 + _SALT + _PREFIX)
        if len(rest) != kid_len + 4 + _SALT + _PREFIX:
            raise self._fail("header cut short")
        self._header = fixed + rest
        kid = rest[:kid_len].decode("ascii", "replace")
        (self._chunk,) = struct.unpack(">I", rest[kid_len : kid_len + 4])
        if not 1024 <= self._chunk <= 16 * 1024 * 1024:
            raise self._fail("implausible chunk size")
        salt = rest[kid_len + 4 : kid_len + 4 + _SALT]
        self._prefix = rest[kid_len + 4 + _SALT :]
        self._aead = _derive(keyring.master(kid), salt)
        try:
            self.size, self._chunks = _layout(stored_size, len(self._header), self._chunk)
        except BlobIntegrityError as exc:
            raise self._fail(str(exc)) from None
        self.key_id = kid
        self._pos = 0
        self._cached: tuple[int, bytes] | None = None

    def _fail(self, why: str) -> BlobIntegrityError:
        log.error("blob_beschadigd", blob=self._name, reden=why)
        return BlobIntegrityError(f"blob {self._name} is damaged or was tampered with ({why})")

    def _open_chunk(self, index: int) -> bytes:
        if self._cached is not None and self._cached[0] == index:
            return self._cached[1]
        last = index == self._chunks - 1
        self._raw.seek(len(self._header) + index * (self._chunk + TAG))
        want = (self.size - index * self._chunk if last else self._chunk) + TAG
        sealed = _read_exact(self._raw, want)
        if len(sealed) != want:
            raise self._fail("chunk cut short")
        aad = _last_aad(self._header, self._name) if last else self._header
        try:
            plain = self._aead.decrypt(_nonce(self._prefix, index, last), sealed, aad)
        except InvalidTag:
            raise self._fail(f"chunk {index} does not authenticate") from None
        self._cached = (index, plain)
        return plain

    def verify(self) -> None:
        """Authenticate every chunk (a full read); raises `BlobIntegrityError` when one fails."""
        for i in range(self._chunks):
            self._open_chunk(i)

    # -- io.RawIOBase ----------------------------------------------------------------------------------
    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]  # io's stub takes any WriteableBuffer; BufferedReader hands us a memoryview
        if self._pos >= self.size:
            return 0
        index, within = divmod(self._pos, self._chunk)
        plain = self._open_chunk(index)
        n = min(len(buffer), len(plain) - within)
        buffer[:n] = plain[within : within + n]
        self._pos += n
        return n

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
            self._cached = None
        super().close()
