"""Blob hygiene on the S3 store (SeaweedFS), issue 13: a blob an exchange writes becomes visible only when a
committed row points at it. The worker's writes go to copies of their own (``staged/<key>-<uuid>``); the
outcome promotes those a committed bijlage names and deletes the rest — so a refused exchange leaves nothing
in the bucket right after its outcome, while the same content accepted by another exchange stays; what a
crash leaves is settled by the sweep (docs/assumptions/secrets.md "Blob hygiene on S3")."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from gateway.components import Components
from gateway.inbox.worker import ExchangeWorkers
from gateway.store.blob_sweep import SweepPolicy, referenced_blob_keys, settle_created, sweep_orphans
from gateway.store.blobs import BlobStore, recording_created
from gateway.store.models import Bijlage, Exchange
from gateway.store.types import utcnow
from tests.conftest import unique
from tests.ops.conftest import BUCKET, make_keyring, s3_store
from tests.ops.s3server import S3Server
from tests.support.fakes import ScriptedHandler, new_exchange

GRACE = SweepPolicy(grace=dt.timedelta(hours=1))
LATER = dt.timedelta(hours=2)


@pytest.fixture
async def c(components: Components, s3: S3Server, s3_client: Any) -> AsyncIterator[Components]:
    """The core on an encrypted S3 store (keyed blob names), each test under a prefix of its own."""
    components.blobs = s3_store(s3, s3_client, make_keyring("k1"))
    yield components


def _bucket(store: BlobStore) -> list[str]:
    """Every object under the store's prefix: visible blobs, staged copies, temporary uploads."""
    s3 = store.s3  # type: ignore[attr-defined]  # the S3 store's own connection, not part of the BlobStore protocol
    prefix = s3.cfg.prefix
    pages = s3.client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return sorted(o["Key"][len(prefix) :] for page in pages for o in page.get("Contents", []))


def _staged(store: BlobStore) -> list[str]:
    return [k for k in _bucket(store) if k.startswith("staged/")]


def _workers(c: Components) -> ExchangeWorkers:
    return ExchangeWorkers(c.db, c.inbox, {"test_aanvraag": ScriptedHandler(c.blobs)}, retry=c.retry)


def _refused(content: str) -> dict[str, object]:
    """An exchange whose bijlagen are written, then refused when its outcome is stored (a TLV without OPP)."""
    return {"content": content, "aanvraagtype": "Aanvraag TLV", "no_opp": True}


async def _states(c: Components) -> list[str]:
    async with c.db.reader() as s:
        return list((await s.exec(select(col(Exchange.state)).order_by(col(Exchange.id)))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def _bijlage_keys(c: Components) -> set[str]:
    async with c.db.reader() as s:
        return set((await s.exec(select(col(Bijlage.blob_key)))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


def _read(store: BlobStore, key: str) -> bytes:
    with store.open(key) as f:
        return f.read()


def _put(store: BlobStore, data: bytes) -> str:
    w = store.writer()
    w.write(data)
    return w.commit().key


async def test_a_refused_exchange_leaves_nothing_in_the_bucket_right_after_its_outcome(c: Components) -> None:
    await c.inbox.put(new_exchange(unique("e-"), **_refused(unique("inhoud-"))))
    assert await _workers(c).drain() == 1
    assert await _states(c) == ["geweigerd"]
    assert _bucket(c.blobs) == [], "a refused exchange's bijlage stayed in the bucket"


async def test_a_processed_exchange_makes_exactly_its_bijlagen_visible(c: Components) -> None:
    await c.inbox.put(new_exchange(unique("e-"), content=unique("inhoud-")))
    assert await _workers(c).drain() == 1
    assert await _states(c) == ["verwerkt"]
    keys = await _bijlage_keys(c)
    assert len(keys) == 2 and _bucket(c.blobs) == sorted(keys)  # visible under their names, no copy left
    assert all(_read(c.blobs, k).startswith(b"%PDF-1.4") for k in keys)


async def test_content_another_exchange_accepts_while_a_refused_one_holds_it_stays(c: Components) -> None:
    content = unique("gedeeld-")
    refused = ScriptedHandler(c.blobs)
    with recording_created() as created:  # the refused exchange has written its bijlagen (its own copies) ...
        refused_draft = await refused.handle(_claimed(content), _NoSteps())
    assert _staged(c.blobs) and [k for k in _bucket(c.blobs) if "/" not in k] == []  # ... which nobody sees
    await c.inbox.put(new_exchange(unique("e-"), content=content))  # the same documents, accepted meanwhile
    assert await _workers(c).drain() == 1
    shared = await _bijlage_keys(c)
    assert {b.blob_key for b in refused_draft.bijlagen} == shared
    await settle_created(c.db, created, kept=False)  # ... then the first one's outcome: refused
    assert _bucket(c.blobs) == sorted(shared), "the accepted exchange's bijlage went with the refused one"
    assert all(_read(c.blobs, k).startswith(b"%PDF-1.4") for k in shared)


async def test_two_exchanges_with_the_same_documents_at_once_one_refused_one_accepted(c: Components) -> None:
    content = unique("tegelijk-")
    await c.inbox.put(new_exchange(unique("e-"), **_refused(content)))
    await c.inbox.put(new_exchange(unique("e-"), content=content))
    workers = _workers(c)
    assert await asyncio.gather(workers.process_one("w1"), workers.process_one("w2")) == [True, True]
    assert sorted(await _states(c)) == ["geweigerd", "verwerkt"]
    shared = await _bijlage_keys(c)
    assert len(shared) == 2 and _bucket(c.blobs) == sorted(shared)
    assert await referenced_blob_keys(c.db) >= shared
    assert all(_read(c.blobs, k).startswith(b"%PDF-1.4") for k in shared)


async def test_a_crash_between_writing_and_the_outcome_leaves_only_what_the_sweep_removes(c: Components) -> None:
    with recording_created():  # the process dies before the outcome: nothing settles these copies
        key = _put(c.blobs, b"%PDF-1.7 " + unique("nooit-afgerond-").encode())
        assert c.blobs.exists(key) and _read(c.blobs, key).startswith(b"%PDF-1.7")  # its writer reads it back
    assert list(c.blobs.keys()) == []  # type: ignore[attr-defined]  # not a blob: nobody can de-duplicate onto it
    assert len(_staged(c.blobs)) == 1
    young = await sweep_orphans(c.db, c.blobs, GRACE)  # a write in flight is younger than the grace period
    assert young.incomplete == 0 and len(_staged(c.blobs)) == 1
    report = await sweep_orphans(c.db, c.blobs, GRACE, now=utcnow() + LATER)
    assert report.incomplete == 1 and _bucket(c.blobs) == []


async def test_a_crash_between_the_outcome_and_the_promotion_loses_nothing(
    c: Components, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def died(*_: object, **__: object) -> int:  # the process is killed right after the commit
        return 0

    monkeypatch.setattr("gateway.inbox.worker.settle_created", died)
    await c.inbox.put(new_exchange(unique("e-"), content=unique("inhoud-")))
    assert await _workers(c).drain() == 1
    keys = await _bijlage_keys(c)
    assert len(keys) == 2 and len(_staged(c.blobs)) == 2 and list(c.blobs.keys()) == []  # type: ignore[attr-defined]  # keys() belongs to the content stores, not the BlobStore protocol
    assert all(c.blobs.exists(k) and _read(c.blobs, k).startswith(b"%PDF-1.4") for k in keys)  # always readable
    await sweep_orphans(c.db, c.blobs, GRACE)  # start-up: a copy a committed row names is promoted at any age
    assert _bucket(c.blobs) == sorted(keys)
    await sweep_orphans(c.db, c.blobs, GRACE, now=utcnow() + LATER)  # and stays
    assert _bucket(c.blobs) == sorted(keys)


async def test_a_bijlage_refused_by_the_inspector_loses_only_its_own_copy(c: Components) -> None:
    data = b"%PDF-1.7 " + unique("al-zichtbaar-").encode()
    visible = _put(c.blobs, data)  # the same content, stored by others (an ESIS upload)
    with recording_created() as created:
        assert _put(c.blobs, data) == visible
        c.blobs.delete(visible)  # as the dossier reader does with a refused bijlage
    assert created == [] and _staged(c.blobs) == []
    assert _bucket(c.blobs) == [visible] and _read(c.blobs, visible) == data


async def test_settling_again_changes_nothing(c: Components) -> None:
    with recording_created() as created:
        key = _put(c.blobs, b"%PDF-1.7 " + unique("twee-keer-").encode())
    [staged] = created
    assert staged.staged is not None
    c.blobs.promote(key, staged.staged)  # type: ignore[attr-defined]  # an S3-store method, beyond the BlobStore protocol
    c.blobs.promote(key, staged.staged)  # type: ignore[attr-defined]  # a sweep re-driving it after a crash
    assert _bucket(c.blobs) == [key]


# -- a handler run outside the worker ---------------------------------------------------------------------
def _claimed(content: str) -> Any:
    from gateway.pipeline.contracts import ClaimedExchange

    ex = new_exchange(unique("e-"), content=content)
    return ClaimedExchange(
        id=0,
        key=ex.key,
        correlation_id="t",
        source=ex.source,
        kind=ex.kind,
        swv_code=ex.swv_code,
        brin6=ex.brin6,
        payload=ex.payload,
        meta=ex.meta,
        attempts=1,
        received_at=utcnow(),
    )


class _NoSteps:
    async def step(self, *_: object, **__: object) -> None:
        return None
