"""The crash run's scan (tests/reliability/leftovers.py) sees what it looks for: an orphan blob younger than
the grace period stays out of its verdict, an older one goes with the sweep, and a BSN or a secret in a
table or a log is reported."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from gateway.components import Components
from gateway.store.blob_crypto import Keyring
from gateway.store.blobs_local import LocalBlobStore
from tests.conftest import unique
from tests.reliability.leftovers import leftovers
from tests.support.fakes import new_exchange

GRACE = dt.timedelta(hours=1)


async def test_the_scan_reports_a_bsn_and_a_secret_and_sweeps_orphans(components: Components, tmp_path: Path) -> None:
    c = components
    w = c.blobs.writer()
    w.write(b"%PDF-1.7 wees")
    w.commit()
    await c.inbox.put(new_exchange(unique("e-"), omschrijving="leerling 123456782"))
    log = tmp_path / "gateway-0.log"
    log.write_text('{"event": "x", "code": "geheim-123"}\n{"event": "bsn 111222333"}\n', encoding="utf-8")

    found = await leftovers(c.db, c.blobs, [log], encrypted=False, grace=GRACE, secrets=["geheim-123"])

    assert found.blobs == 0 and found.orphans == []  # the orphan went with the sweep after the grace period
    assert found.bsn_in_rows and found.bsn_in_logs == ['{"event": "bsn 111222333"}']
    assert found.secrets_seen == ["gateway-0.log: geheim-123"]


async def test_the_scan_reports_plain_pdf_bytes_when_encryption_is_on(components: Components, tmp_path: Path) -> None:
    plain = LocalBlobStore(tmp_path / "blobs")
    w = plain.writer()
    w.write(b"%PDF-1.7 " + os.urandom(64))
    key = w.commit().key
    await components.inbox.put(new_exchange(unique("e-"), documenten=[{"blob_key": key}]))  # not an orphan
    sealed = LocalBlobStore(tmp_path / "blobs", Keyring(active="k1", keys={"k1": os.urandom(32)}), allow_plaintext=True)

    found = await leftovers(components.db, sealed, [], encrypted=True, grace=GRACE)

    assert found.blobs == 1 and found.plaintext == [key]
