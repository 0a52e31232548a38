"""A new ESIS request's documents are durable before its exchange is stored: on the local blob store they are
written under one durability barrier (gateway.store.blob_barrier) and made durable by one ``syncfs`` just
before the exchange is committed, instead of one ``fsync`` each; a failed flush is not acknowledged and
stores nothing (docs/assumptions/esis-throughput.md)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from adapters.esis.simulator import Document, aanvraag, docx_document, pdf_document
from gateway.store import blob_barrier
from tests.esis.conftest import BRIN6, Gateway
from tests.support.disk_spy import DiskSpy, spy_on_disk

pytestmark = pytest.mark.skipif(not blob_barrier.syncfs_available(), reason="syncfs (Linux ≥ 5.8) not available")

OPP = Document("OPP-2025-ondertekend.pdf", pdf_document(), soort="opp")
PLAN = Document("Handelingsplan-rekenen.docx", docx_document(), omschrijving="Handelingsplan rekenen")


@pytest.fixture
def disk(gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> Iterator[DiskSpy]:
    """The blob store's fsyncs and syncfs calls, and how many exchanges were stored at each syncfs."""
    spy = spy_on_disk(monkeypatch)
    spy.before_syncfs = lambda: _exchanges(gateway)  # read outside the gateway's pool
    yield spy


def _exchanges(gateway: Gateway) -> int:
    with sqlite3.connect(str(make_url(gateway.c.settings.effective_database_url).database)) as db:
        return int(db.execute("select count(*) from exchange").fetchone()[0])


async def test_a_new_requests_documents_are_made_durable_by_one_syncfs_before_its_exchange(
    gateway: Gateway, disk: DiskSpy
) -> None:
    body = aanvraag(BRIN6, documenten=[OPP, PLAN])
    async with gateway.esis() as esis:
        r = await esis.create(body, [OPP, PLAN])
    assert r.status == 202, r.body
    assert len(disk.syncfs) == 1 and disk.fsyncs == 0  # both documents: one barrier, no fsync each
    assert disk.seen_at_syncfs == [0], "the exchange was stored before its documents were durable"
    assert _exchanges(gateway) == 1


async def test_a_request_whose_documents_could_not_be_made_durable_is_not_acknowledged(
    gateway: Gateway, disk: DiskSpy
) -> None:
    disk.fail = True
    body = aanvraag(BRIN6, documenten=[OPP, PLAN])
    async with gateway.esis() as esis:
        r = await esis.create(body, [OPP, PLAN])
        assert r.status >= 500
        assert _exchanges(gateway) == 0  # nothing stored: ESIS sends it again
        disk.fail = False
        again = await esis.create(body, [OPP, PLAN])
    assert again.status == 202 and again.body["herhaald"] is False
    assert _exchanges(gateway) == 1
