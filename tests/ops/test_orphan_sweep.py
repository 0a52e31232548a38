"""The orphan sweep on every blob store (local and S3, plain and encrypted): a blob no committed row points
at goes once it is older than the grace period; a referenced blob, a young blob and a blob written again
(de-duplicated onto) stay."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from gateway.components import Components
from gateway.store.blob_sweep import SweepPolicy, sweep_orphans
from gateway.store.blobs import ContentStore
from gateway.store.blobs_local import LocalBlobStore
from gateway.store.types import utcnow
from tests.conftest import unique
from tests.support.fakes import new_exchange

GRACE = SweepPolicy(grace=dt.timedelta(hours=1))


def _put(store: ContentStore, data: bytes) -> str:
    w = store.writer()
    w.write(data)
    return w.commit().key


async def test_the_sweep_removes_old_orphans_and_keeps_what_rows_point_at(
    store: ContentStore, components: Components
) -> None:
    orphan, kept = _put(store, os.urandom(3000)), _put(store, os.urandom(3000))
    await components.inbox.put(new_exchange(unique("e-"), documenten=[{"blob_key": kept}]))

    young = await sweep_orphans(components.db, store, GRACE)  # everything is younger than the grace period
    assert young.orphans == 0 and store.exists(orphan)
    dry = await sweep_orphans(components.db, store, GRACE, dry_run=True, now=utcnow() + dt.timedelta(hours=2))
    assert dry.orphans == 1 and store.exists(orphan)
    done = await sweep_orphans(components.db, store, GRACE, now=utcnow() + dt.timedelta(hours=2))
    assert done.orphans == 1 and not store.exists(orphan) and store.exists(kept)
    assert set(store.keys()) == {kept}


async def test_content_written_again_is_renewed_so_the_sweep_leaves_it(tmp_path: Path, components: Components) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    data = os.urandom(2000)
    key = _put(store, data)
    long_ago = (utcnow() - dt.timedelta(hours=5)).timestamp()
    os.utime(store._path(key), (long_ago, long_ago))  # an orphan from hours ago ...
    assert _put(store, data) == key  # ... that a new upload de-duplicates onto, its row not committed yet
    report = await sweep_orphans(components.db, store, GRACE)
    assert report.orphans == 0 and store.exists(key)
    os.utime(store._path(key), (long_ago, long_ago))  # nobody wrote it again: it goes
    assert (await sweep_orphans(components.db, store, GRACE)).orphans == 1 and not store.exists(key)
