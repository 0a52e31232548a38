"""The blob-store contract, the same for every backend and with or without encryption at rest."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile

import pytest

from gateway.store.blobs import BlobTooLarge, ContentStore


def _write(store: ContentStore, data: bytes, piece: int = 70_000) -> str:
    w = store.writer()
    for i in range(0, len(data), piece):
        w.write(data[i : i + piece])
    ref = w.commit()
    assert ref.size == len(data)
    return ref.key


def test_a_blob_is_named_after_the_sha256_of_its_content_keyed_when_encrypted(store: ContentStore) -> None:
    data = os.urandom(300_000)
    w = store.writer()
    w.write(data[:5000])
    w.write(data[5000:])
    assert w.size == len(data) and w.head == data[:8192]
    ref = w.commit()
    assert ref.sha256 == hashlib.sha256(data).hexdigest() and ref.key == store.name_of(ref.sha256)
    assert (ref.key == ref.sha256) == (store.keyring is None)  # with encryption the name is keyed
    assert store.exists(ref.key)
    with store.open(ref.key) as f:
        assert f.read() == data
    assert b"".join(store.iter_chunks(ref.key, 10_000)) == data


def test_the_same_content_twice_is_stored_once_and_stays_readable(store: ContentStore) -> None:
    data = b"dezelfde bijlage " * 1000
    assert _write(store, data) == _write(store, data)
    assert len(list(store.keys())) == 1
    with store.open(store.name_of(hashlib.sha256(data).hexdigest())) as f:
        assert f.read() == data


def test_an_empty_blob_round_trips(store: ContentStore) -> None:
    key = _write(store, b"")
    with store.open(key) as f:
        assert f.read() == b""


def test_a_blob_over_its_limit_is_refused_and_never_visible(store: ContentStore) -> None:
    data = os.urandom(50_000)
    w = store.writer(max_size=40_000)
    w.write(data[:30_000])
    with pytest.raises(BlobTooLarge):
        w.write(data[30_000:])
    with pytest.raises(RuntimeError):
        w.write(b"more")
    assert not store.exists(hashlib.sha256(data).hexdigest())
    assert not store.exists(hashlib.sha256(data[:30_000]).hexdigest())


def test_an_aborted_write_leaves_no_blob(store: ContentStore) -> None:
    data = os.urandom(10_000)
    w = store.writer()
    w.write(data)
    w.abort()
    w.abort()  # twice is harmless
    assert not store.exists(hashlib.sha256(data).hexdigest())
    assert list(store.keys()) == []


def test_a_large_blob_streams_and_reads_back_with_seeks(store: ContentStore) -> None:
    data = os.urandom(6 * 1024 * 1024 + 12_345)  # more than one S3 part
    key = _write(store, data, piece=256 * 1024)
    with store.open(key) as f:
        f.seek(-1000, io.SEEK_END)
        assert f.read() == data[-1000:]
        f.seek(5 * 1024 * 1024 - 10)
        assert f.read(20) == data[5 * 1024 * 1024 - 10 : 5 * 1024 * 1024 + 10]
        f.seek(0)
        assert store.name_of(hashlib.sha256(f.read()).hexdigest()) == key
    assert list(store.keys()) == [key]


def test_a_stored_zip_opens_in_place(store: ContentStore) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<w:document/>" * 2000)
        z.writestr("[Content_Types].xml", b"<Types/>")
    key = _write(store, buf.getvalue())
    with store.open(key) as f, zipfile.ZipFile(f) as z:
        assert sorted(z.namelist()) == ["[Content_Types].xml", "word/document.xml"]
        assert z.read("[Content_Types].xml") == b"<Types/>"


def test_a_missing_blob_is_file_not_found_and_a_bad_key_a_key_error(store: ContentStore) -> None:
    with pytest.raises(FileNotFoundError):
        store.open("0" * 64)
    with pytest.raises(KeyError):
        store.open("../../etc/passwd")
    assert not store.exists("../x") and not store.exists("0" * 64)


def test_a_deleted_blob_is_gone(store: ContentStore) -> None:
    key = _write(store, b"weg ermee")
    store.delete(key)
    assert not store.exists(key)
    store.delete(key)  # deleting twice is harmless


def test_a_usable_store_passes_its_readiness_check(store: ContentStore) -> None:
    before = set(store.keys())
    store.check()
    assert set(store.keys()) == before  # the readiness probe leaves no blob behind
    key = _write(store, b"na de controle")
    assert store.exists(key)  # and the store takes writes after it
