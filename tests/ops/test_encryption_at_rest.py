"""Encryption at rest: what lies on disk or in the bucket is not the document, and any change is caught."""

from __future__ import annotations

import hashlib
import io
import os
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.store.blob_crypto import (
    MAGIC,
    TAG,
    BlobIntegrityError,
    ChunkSealer,
    DecryptingReader,
    Keyring,
    UnknownBlobKey,
)
from gateway.store.blobs import ContentStore
from gateway.store.blobs_local import LocalBlobStore
from gateway.store.blobs_s3 import S3BlobStore
from tests.ops.conftest import BUCKET, make_keyring, s3_store
from tests.ops.s3server import S3Server

DOCUMENT = b"Ontwikkelingsperspectief van Sanne de Vries, groep 6. " * 400  # ~ 22 KB: several 4 KiB chunks


def _stored_path(store: LocalBlobStore, key: str) -> Path:
    return store.root / key[:2] / key[2:4] / key


def _read(store: ContentStore, key: str) -> bytes:
    with store.open(key) as f:
        return f.read()


def _local(tmp_path: Path, keyring: Keyring | None = None, **kw: Any) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs", keyring or make_keyring("k1"), **kw)


def _layout(raw: bytes) -> tuple[int, int]:
    """(header length, chunk size) of a sealed blob."""
    kid_len = raw[4]
    (chunk,) = struct.unpack(">I", raw[5 + kid_len : 9 + kid_len])
    return 5 + kid_len + 4 + 16 + 7, chunk


def test_the_stored_bytes_are_not_the_document(tmp_path: Path) -> None:
    store = _local(tmp_path)
    ref = store.put_bytes(DOCUMENT)
    stored = _stored_path(store, ref.key).read_bytes()
    assert stored.startswith(MAGIC)
    assert b"Sanne" not in stored and b"Ontwikkelingsperspectief" not in stored
    assert ref.sha256 == hashlib.sha256(DOCUMENT).hexdigest()  # the content's hash, as a bijlage keeps it
    assert ref.key != ref.sha256  # but the name is keyed: listing the store confirms nothing
    assert _read(store, ref.key) == DOCUMENT


def test_the_stored_bytes_in_the_bucket_are_not_the_document(s3: S3Server, s3_client: Any) -> None:
    store = s3_store(s3, s3_client, make_keyring("k1"))
    key = store.put_bytes(DOCUMENT).key
    assert isinstance(store, S3BlobStore)
    stored = s3_client.get_object(Bucket=BUCKET, Key=store.s3.object_key(key))["Body"].read()
    assert stored.startswith(MAGIC) and b"Sanne" not in stored
    assert _read(store, key) == DOCUMENT


def _tamper_and_expect_failure(tmp_path: Path, change: Any) -> None:
    store = _local(tmp_path)
    key = store.put_bytes(DOCUMENT).key
    path = _stored_path(store, key)
    raw = bytearray(path.read_bytes())
    path.write_bytes(bytes(change(raw)))
    with pytest.raises(BlobIntegrityError):
        _read(store, key)


def test_a_flipped_bit_is_detected_on_read(tmp_path: Path) -> None:
    def flip(raw: bytearray) -> bytearray:
        raw[len(raw) // 2] ^= 0x01
        return raw

    _tamper_and_expect_failure(tmp_path, flip)


def test_a_blob_cut_at_a_chunk_boundary_is_detected(tmp_path: Path) -> None:
    def cut(raw: bytearray) -> bytearray:
        header, chunk = _layout(bytes(raw))
        return raw[: header + 2 * (chunk + TAG)]

    _tamper_and_expect_failure(tmp_path, cut)


def test_reordered_chunks_are_detected(tmp_path: Path) -> None:
    def swap(raw: bytearray) -> bytearray:
        header, chunk = _layout(bytes(raw))
        size = chunk + TAG
        first, second = raw[header : header + size], raw[header + size : header + 2 * size]
        raw[header : header + 2 * size] = second + first
        return raw

    _tamper_and_expect_failure(tmp_path, swap)


def test_appended_bytes_are_detected(tmp_path: Path) -> None:
    _tamper_and_expect_failure(tmp_path, lambda raw: raw + b"x" * (TAG + 10))


def test_a_changed_header_is_detected(tmp_path: Path) -> None:
    def salt(raw: bytearray) -> bytearray:
        header, _ = _layout(bytes(raw))
        raw[header - 10] ^= 0xFF
        return raw

    _tamper_and_expect_failure(tmp_path, salt)


def test_another_blobs_ciphertext_under_this_name_is_detected(tmp_path: Path) -> None:
    store = _local(tmp_path)
    genuine = store.put_bytes(DOCUMENT).key
    other = store.put_bytes(b"een ander document").key
    _stored_path(store, genuine).write_bytes(_stored_path(store, other).read_bytes())
    with pytest.raises(BlobIntegrityError):
        _read(store, genuine)


def test_a_plaintext_blob_is_refused_unless_allowed_for_migration(tmp_path: Path) -> None:
    plain = LocalBlobStore(tmp_path / "blobs")
    key = plain.put_bytes(DOCUMENT).key
    with pytest.raises(BlobIntegrityError):
        _read(_local(tmp_path), key)
    assert _read(_local(tmp_path, allow_plaintext=True), key) == DOCUMENT


def test_rotated_keys_keep_old_blobs_readable_and_a_retired_key_is_reported(tmp_path: Path) -> None:
    k1, k2 = os.urandom(32), os.urandom(32)
    old_key = _local(tmp_path, Keyring("2025", {"2025": k1})).put_bytes(b"oud").key
    rotated = _local(tmp_path, Keyring("2026", {"2025": k1, "2026": k2}))
    new_key = rotated.put_bytes(b"nieuw").key
    assert _read(rotated, old_key) == b"oud" and _read(rotated, new_key) == b"nieuw"
    assert b"2026" in _stored_path(rotated, new_key).read_bytes()[:12]
    retired = _local(tmp_path, Keyring("2026", {"2026": k2}))
    assert _read(retired, new_key) == b"nieuw"
    with pytest.raises(UnknownBlobKey):
        _read(retired, old_key)


def test_a_wrong_key_under_the_same_id_does_not_open_the_blob(tmp_path: Path) -> None:
    key = _local(tmp_path, Keyring("k1", {"k1": os.urandom(32)})).put_bytes(DOCUMENT).key
    with pytest.raises(BlobIntegrityError):
        _read(_local(tmp_path, Keyring("k1", {"k1": os.urandom(32)})), key)


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=5000),
    pieces=st.lists(st.integers(min_value=1, max_value=3000), max_size=6),
    chunk=st.sampled_from([1024, 1500, 4096]),
    seeks=st.lists(st.tuples(st.integers(min_value=0, max_value=5200), st.integers(min_value=0, max_value=3000))),
)
def test_sealing_round_trips_for_any_size_chunking_and_seek(
    data: bytes, pieces: list[int], chunk: int, seeks: list[tuple[int, int]]
) -> None:
    keyring = make_keyring("k1", chunk_size=chunk)
    sealer = ChunkSealer(keyring)
    out, at = bytearray(), 0
    for n in pieces:
        out += sealer.feed(data[at : at + n])
        at += n
    out += sealer.feed(data[at:])
    name = hashlib.sha256(data).hexdigest()
    out += sealer.finish(name)
    reader = io.BufferedReader(DecryptingReader(io.BytesIO(bytes(out)), len(out), keyring, name))
    assert reader.read() == data
    for pos, n in seeks:
        reader.seek(pos)
        assert reader.read(n) == data[pos : pos + n]
