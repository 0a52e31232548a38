"""One durability barrier per exchange on the local blob store (issue 18, gateway.store.blob_barrier): inside
`durable_together` a blob is written and linked without its own fsync, and one ``syncfs`` before the outcome's
commit makes all of them durable; a failed flush stores nothing; a blob name a crash left before its flush
(content incomplete) is checked and replaced by the next writer of the same content
(docs/assumptions/db-hot-path.md, "One barrier per dossier")."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.components import Components
from gateway.errors import ConfigError
from gateway.inbox.worker import ExchangeWorkers
from gateway.settings import load_settings
from gateway.store import blob_barrier
from gateway.store.blob_barrier import durable_together
from gateway.store.blob_config import blob_settings, build_blob_store
from gateway.store.blobs import ContentStore
from gateway.store.blobs_local import LocalBlobStore
from gateway.store.models import Exchange, Hulpvraag
from tests.conftest import unique
from tests.ops.conftest import make_keyring
from tests.support.disk_spy import DiskSpy, spy_on_disk
from tests.support.fakes import ScriptedHandler, new_exchange

pytestmark = pytest.mark.skipif(not blob_barrier.syncfs_available(), reason="syncfs (Linux ≥ 5.8) not available")

BEFORE_THIS_BOOT = 1_000_000_000_000_000_000  # 2001: a blob last written in an earlier boot


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> DiskSpy:
    return spy_on_disk(monkeypatch)


def _write(store: ContentStore, data: bytes) -> str:
    w = store.writer()
    w.write(data)
    return w.commit().key


def _read(store: ContentStore, key: str) -> bytes:
    with store.open(key) as f:
        return f.read()


def test_outside_a_barrier_every_blob_is_fsynced_before_it_gets_its_name(tmp_path: Path, calls: DiskSpy) -> None:
    store = LocalBlobStore(tmp_path)
    for i in range(3):
        _write(store, f"%PDF-1.7 los {i}".encode())
    assert calls.fsyncs == 3 and calls.syncfs == []


def test_under_a_barrier_the_blobs_of_one_exchange_are_made_durable_by_one_syncfs(
    tmp_path: Path, calls: DiskSpy
) -> None:
    store = LocalBlobStore(tmp_path)
    with durable_together() as barrier:
        keys = [_write(store, f"%PDF-1.7 bijlage {i}".encode()) for i in range(14)]
        assert calls.fsyncs == 0 and barrier.pending
        assert all(_read(store, k).startswith(b"%PDF-1.7 bijlage") for k in keys)  # readable at once
        barrier.flush()
    assert calls.fsyncs == 0 and len(calls.syncfs) == 1
    assert not barrier.pending


def test_a_barrier_without_a_committed_blob_syncs_nothing(tmp_path: Path, calls: DiskSpy) -> None:
    store = LocalBlobStore(tmp_path)
    with durable_together() as barrier:
        w = store.writer()
        w.write(b"%PDF-1.7 afgebroken")
        w.abort()
        barrier.flush()
    assert calls.syncfs == []


def test_a_failed_flush_is_an_error_the_caller_sees(tmp_path: Path, calls: DiskSpy) -> None:
    store = LocalBlobStore(tmp_path)
    calls.fail = True
    with durable_together() as barrier:
        _write(store, b"%PDF-1.7 schijf kapot")
        with pytest.raises(OSError) as raised:
            barrier.flush()
    assert raised.value.errno == errno.EIO


def _left_by_a_crash(store: LocalBlobStore, key: str, content: bytes) -> Path:
    """The blob's name exists, but the machine went down before its barrier's flush: the content is gone."""
    path = store._path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    os.utime(path, ns=(BEFORE_THIS_BOOT, BEFORE_THIS_BOOT))
    return path


@pytest.mark.parametrize("left", [b"", b"\0" * 32, b"%PDF-1.7 afgebr"], ids=["empty", "zeros", "cut-short"])
def test_a_blob_name_a_crash_left_without_its_content_is_replaced_by_the_next_writer(
    tmp_path: Path, calls: DiskSpy, left: bytes
) -> None:
    store = LocalBlobStore(tmp_path)
    data = b"%PDF-1.7 afgebroken door een stroomstoring"
    key = store.name_of(__import__("hashlib").sha256(data).hexdigest())
    path = _left_by_a_crash(store, key, left)
    with durable_together() as barrier:
        assert _write(store, data) == key
        barrier.flush()
    assert _read(store, key) == data
    assert os.stat(path).st_mtime_ns > BEFORE_THIS_BOOT


def test_an_encrypted_blob_a_crash_cut_short_is_replaced_by_the_next_writer(tmp_path: Path, calls: DiskSpy) -> None:
    store = LocalBlobStore(tmp_path, make_keyring("k1"))
    data = b"%PDF-1.7 versleuteld " + os.urandom(200_000)
    with durable_together() as barrier:
        key = _write(store, data)
        barrier.flush()
    path = store._path(key)
    whole = path.read_bytes()
    path.unlink()
    _left_by_a_crash(store, key, whole[: len(whole) // 2] + b"\0" * (len(whole) - len(whole) // 2))
    with durable_together() as barrier:
        assert _write(store, data) == key
        barrier.flush()
    assert _read(store, key) == data


def test_a_whole_blob_from_an_earlier_boot_is_kept_and_renewed(tmp_path: Path, calls: DiskSpy) -> None:
    store = LocalBlobStore(tmp_path)
    data = b"%PDF-1.7 al lang bewaard"
    key = _write(store, data)
    path = store._path(key)
    os.utime(path, ns=(BEFORE_THIS_BOOT, BEFORE_THIS_BOOT))
    inode = os.stat(path).st_ino
    assert _write(store, data) == key
    assert os.stat(path).st_ino == inode  # the same file, not a new copy
    assert os.stat(path).st_mtime_ns > BEFORE_THIS_BOOT  # renewed: the orphan sweep's grace starts again


def test_a_blob_written_since_this_boot_is_not_read_back_when_written_again(
    tmp_path: Path, calls: DiskSpy, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalBlobStore(tmp_path)
    data = b"%PDF-1.7 net geschreven"
    _write(store, data)
    monkeypatch.setattr(ContentStore, "holds", lambda *_: pytest.fail("a blob of this boot was read back"))
    _write(store, data)


# -- in the worker: the flush comes before the row that points at the blobs --------------------------


async def _count(c: Components, model: type) -> int:
    async with c.db.reader() as s:
        return int((await s.exec(select(func.count()).select_from(model))).one()[0])  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def test_the_worker_flushes_the_blobs_once_before_it_stores_the_hulpvraag(
    components: Components, calls: DiskSpy, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = components
    assert isinstance(c.blobs, LocalBlobStore)
    rows_at_flush: list[int] = []
    real = blob_barrier.Barrier.flush

    def flush(self: blob_barrier.Barrier) -> None:
        import sqlite3

        from sqlalchemy.engine import make_url

        with sqlite3.connect(str(make_url(c.settings.effective_database_url).database)) as db:  # not the pool
            rows_at_flush.append(db.execute("select count(*) from hulpvraag").fetchone()[0])
        real(self)

    monkeypatch.setattr(blob_barrier.Barrier, "flush", flush)
    await c.inbox.put(new_exchange(unique("e-"), content=unique("inhoud-")))
    workers = ExchangeWorkers(c.db, c.inbox, {"test_aanvraag": ScriptedHandler(c.blobs)}, retry=c.retry)
    assert await workers.drain() == 1
    assert rows_at_flush == [0], "the hulpvraag was committed before its bijlagen were durable"
    assert len(calls.syncfs) == 1 and calls.fsyncs == 0
    assert await _count(c, Hulpvraag) == 1


async def test_a_failed_flush_stores_no_hulpvraag_and_the_exchange_is_tried_again(
    components: Components, calls: DiskSpy
) -> None:
    c = components
    calls.fail = True
    await c.inbox.put(new_exchange(unique("e-"), content=unique("inhoud-")))
    workers = ExchangeWorkers(c.db, c.inbox, {"test_aanvraag": ScriptedHandler(c.blobs)}, retry=c.retry)
    assert await workers.process_one("w1")
    assert await _count(c, Hulpvraag) == 0
    async with c.db.reader() as s:
        state = (await s.exec(select(Exchange.state))).one()[0]  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert state == "wacht_op_herhaling"


# -- the [blobs] sync setting -------------------------------------------------------------------------------


def test_sync_per_blob_fsyncs_every_blob_even_under_a_barrier(tmp_path: Path, calls: DiskSpy) -> None:
    settings = load_settings(environ={"GATEWAY_BLOBS__SYNC": "per_blob"}, data_dir=tmp_path)
    store = build_blob_store(settings)
    assert isinstance(store, LocalBlobStore)
    with durable_together() as barrier:
        for i in range(3):
            _write(store, f"%PDF-1.7 per blob {i}".encode())
        barrier.flush()
    assert calls.fsyncs == 3 and calls.syncfs == []


def test_the_default_sync_is_one_barrier_and_a_wrong_value_is_refused_in_dutch(tmp_path: Path) -> None:
    assert blob_settings(load_settings(environ={}, data_dir=tmp_path)).sync == "barrier"
    with pytest.raises(ConfigError, match="sync"):
        blob_settings(load_settings(environ={"GATEWAY_BLOBS__SYNC": "nooit"}, data_dir=tmp_path))
