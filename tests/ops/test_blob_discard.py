"""Taking back a blob a refused exchange created (`ContentStore.discard_created`): only the writer that
created it may, and only while nobody wrote the same content since — not even within one tick of the
kernel's clock. A discard cut short by a crash is put back, never lost (docs/assumptions/secrets.md)."""

from __future__ import annotations

import os
from pathlib import Path

from gateway.store.blobs import ContentStore, recording_created
from gateway.store.blobs_local import LocalBackend, LocalBlobStore


def _write(store: LocalBlobStore, data: bytes) -> str:
    w = store.writer()
    w.write(data)
    return w.commit().key


def test_the_writer_that_created_a_blob_can_take_it_back(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    with recording_created() as created:
        key = _write(store, b"%PDF-1.7 alleen van deze uitwisseling")
    [c] = created
    assert c.key == key and c.store is store
    assert store.discard_created(c.key, c.stamp) is True
    assert not store.exists(key)
    assert [p.name for p in (tmp_path / "tmp").iterdir()] == []


def test_a_blob_written_again_by_another_writer_is_not_taken_back_even_within_one_clock_tick(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    data = b"%PDF-1.7 gedeeld document"
    with recording_created() as first:
        key = _write(store, data)
    with recording_created() as second:  # the same content, at once: renewed, not created
        assert _write(store, data) == key
    assert second == []
    [c] = first
    assert store.discard_created(c.key, c.stamp) is False
    assert store.exists(key)
    with store.open(key) as f:
        assert f.read() == data


def test_a_blob_that_existed_before_is_never_recorded_as_created(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    _write(store, b"%PDF-1.7 al opgeslagen")
    with recording_created() as created:
        _write(store, b"%PDF-1.7 al opgeslagen")
    assert created == []


def test_nothing_is_recorded_outside_a_recording(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    with recording_created() as created:
        pass
    _write(store, b"%PDF-1.7 buiten")
    assert created == []


def test_renewing_a_blob_always_moves_its_time_forward(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    key = _write(store, b"%PDF-1.7 tijd")
    path = store._path(key)
    before = os.stat(path).st_mtime_ns
    os.utime(path, ns=(before + 10**12, before + 10**12))  # a time in the future (a clock that went back)
    _write(store, b"%PDF-1.7 tijd")
    assert os.stat(path).st_mtime_ns > before + 10**12


def test_a_discard_cut_short_by_a_crash_is_put_back_by_the_sweep(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    key = _write(store, b"%PDF-1.7 halverwege weggezet")
    aside = tmp_path / "tmp" / f"discard-{key}-deadbeef"
    os.rename(store._path(key), aside)  # the process died between moving it aside and deciding
    assert not store.exists(key)
    store.sweep_incomplete()
    assert store.exists(key) and not aside.exists()


def test_a_blob_gone_already_is_not_reported_as_taken_back(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    with recording_created() as created:
        key = _write(store, b"%PDF-1.7 weg")
    store.delete(key)
    [c] = created
    assert store.discard_created(c.key, c.stamp) is False


class _NoSafeDiscard:
    """A backend that can neither take a blob back safely (no atomic move) nor stage it (the S3 backend stages:
    tests/ops/test_s3_staging.py)."""

    def __init__(self, inner: LocalBackend) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> object:
        if name == "discard_created":
            raise AttributeError(name)
        return getattr(self._inner, name)


def test_a_store_that_cannot_move_a_blob_atomically_leaves_it_to_the_orphan_sweep(tmp_path: Path) -> None:
    local = LocalBlobStore(tmp_path)
    with recording_created() as created:
        key = _write(local, b"%PDF-1.7 op S3")
    store = ContentStore(_NoSafeDiscard(local.backend))  # type: ignore[arg-type]  # a delegating backend double (__getattr__)
    [c] = created
    assert store.discard_created(c.key, c.stamp) is False
    assert store.exists(key)
