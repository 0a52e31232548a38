"""Barriers that flush one after another share a ``syncfs`` (gateway.store.blob_barrier, `_synced`): a barrier
whose blobs were all committed before a successful ``syncfs`` of the same blob folder began, on a descriptor
opened no later than its own, is durable already — that ``syncfs`` wrote its blobs back and reported every
write-back error since the barrier opened its own descriptor — and skips its own. Anything else syncs itself
(docs/assumptions/db-hot-path.md, "The ESIS intake's documents")."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from gateway.store import blob_barrier
from gateway.store.blob_barrier import Barrier, durable_together
from gateway.store.blobs_local import LocalBlobStore
from tests.support.disk_spy import DiskSpy, spy_on_disk

pytestmark = pytest.mark.skipif(not blob_barrier.syncfs_available(), reason="syncfs (Linux ≥ 5.8) not available")


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> DiskSpy:
    return spy_on_disk(monkeypatch)


@pytest.fixture
def barriers() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


def _open(stack: ExitStack) -> Barrier:
    """A barrier of its own (as each request has), current from now on."""
    return stack.enter_context(durable_together())


def _write(store: LocalBlobStore, data: bytes) -> None:
    w = store.writer()
    w.write(data)
    w.commit()


def _two_requests(store: LocalBlobStore, barriers: ExitStack) -> tuple[Barrier, Barrier]:
    """Two requests, each with its own barrier opened before its document was written, one after the other."""
    first = _open(barriers)
    _write(store, b"%PDF-1.7 eerste aanvraag")
    second = _open(barriers)
    _write(store, b"%PDF-1.7 tweede aanvraag")
    return first, second


def test_a_later_barrier_whose_blobs_an_earlier_syncfs_covered_skips_its_own(
    tmp_path: Path, calls: DiskSpy, barriers: ExitStack
) -> None:
    first, second = _two_requests(LocalBlobStore(tmp_path), barriers)
    first.flush()
    second.flush()
    assert len(calls.syncfs) == 1


def test_a_barrier_opened_before_the_syncing_one_syncs_itself(
    tmp_path: Path, calls: DiskSpy, barriers: ExitStack
) -> None:
    first, second = _two_requests(LocalBlobStore(tmp_path), barriers)
    second.flush()  # its descriptor is younger: it did not see errors from before it was opened
    first.flush()
    assert len(calls.syncfs) == 2


def test_a_blob_committed_after_the_syncfs_began_is_synced_by_its_own_barrier(
    tmp_path: Path, calls: DiskSpy, barriers: ExitStack
) -> None:
    store = LocalBlobStore(tmp_path)
    first = _open(barriers)
    _write(store, b"%PDF-1.7 eerste aanvraag")
    second = _open(barriers)
    first.flush()
    _write(store, b"%PDF-1.7 tweede aanvraag, later klaar")
    second.flush()
    assert len(calls.syncfs) == 2


def test_after_a_failed_syncfs_the_next_barrier_syncs_itself_and_sees_its_own_result(
    tmp_path: Path, calls: DiskSpy, barriers: ExitStack
) -> None:
    first, second = _two_requests(LocalBlobStore(tmp_path), barriers)
    calls.fail = True
    with pytest.raises(OSError) as raised:
        first.flush()
    assert raised.value.errno == errno.EIO
    with pytest.raises(OSError):
        second.flush()  # not covered by a failed syncfs: its own fails too
    assert len(calls.syncfs) == 2


def test_a_barrier_that_failed_once_never_covers_another(tmp_path: Path, calls: DiskSpy, barriers: ExitStack) -> None:
    store = LocalBlobStore(tmp_path)
    first = _open(barriers)
    _write(store, b"%PDF-1.7 eerste aanvraag")
    calls.fail = True
    with pytest.raises(OSError):
        first.flush()
    calls.fail = False
    second = _open(barriers)
    _write(store, b"%PDF-1.7 tweede aanvraag")
    barriers.enter_context(blob_barrier_current(first))
    _write(store, b"%PDF-1.7 eerste aanvraag, opnieuw")
    first.flush()  # its descriptor consumed the error: a later success proves nothing for others
    second.flush()
    assert len(calls.syncfs) == 3


def blob_barrier_current(barrier: Barrier) -> ExitStack:
    """Make ``barrier`` current again (a writer of its exchange after another exchange's barrier opened)."""
    stack = ExitStack()
    token = blob_barrier._current.set(barrier)
    stack.callback(blob_barrier._current.reset, token)
    return stack


def test_a_blob_counts_as_committed_only_once_its_name_is_in_place(
    tmp_path: Path, barriers: ExitStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Otherwise a syncfs that another thread begins between the count and the link would seem to cover a
    name it may not hold, and this barrier would skip its own."""
    store = LocalBlobStore(tmp_path)
    barrier = _open(barriers)
    named: list[bool] = []
    real = Barrier.committed

    def committed(self: Barrier) -> None:
        named.append(any(p.is_file() and p.relative_to(tmp_path).parts[0] != "tmp" for p in tmp_path.rglob("*")))
        real(self)

    monkeypatch.setattr(Barrier, "committed", committed)
    _write(store, b"%PDF-1.7 nieuw")  # a new blob: linked into place
    _write(store, b"%PDF-1.7 nieuw")  # the same content again: the stored blob is kept
    assert named == [True, True]
    barrier.flush()
