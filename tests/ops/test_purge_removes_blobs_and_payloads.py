"""`gateway purge`, end to end on every database and blob store (SQLite and PostgreSQL, a local folder and
S3 with encryption): after their retention the payloads of refused (also held-then-refused) and processed
exchanges are gone, with the documents of the refused ones and the orphan blobs — in the store itself, not
only in the report — while a document that is still needed stays; one audit row says what went."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from gateway.cli.main import main
from gateway.components import Components, build_components
from gateway.settings import load_settings
from gateway.store.models import AuditEntry, Exchange, ExchangeState
from gateway.store.types import utcnow
from tests.conftest import _fresh_schema, unique
from tests.ops.s3server import s3_blob_env
from tests.support.fakes import new_exchange
from verification.findings import fout

DAY = dt.timedelta(days=1)
LATER = dt.timedelta(hours=3)  # the purge runs this much later: the orphan sweep's grace period has passed


@pytest.fixture(params=["sqlite-local", "postgres-s3", "sqlite-s3", "postgres-local"])
def env(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    database, store = request.param.split("-")
    values = {
        "GATEWAY_DATA_DIR": str(tmp_path / "data"),
        "GATEWAY_BLOBS__KEYS": "k1=" + base64.b64encode(os.urandom(32)).decode(),
        "GATEWAY_BLOBS__KEY_ID": "k1",
    }
    if database == "postgres":
        values["GATEWAY_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    if store == "s3":
        s3 = request.getfixturevalue("s3")
        request.getfixturevalue("s3_client")  # the bucket exists
        values |= s3_blob_env(s3, "purge")
    (tmp_path / "data").mkdir()
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values


def _blob(c: Components, data: bytes) -> str:
    w = c.blobs.writer()
    w.write(data)
    return w.commit().key


async def _ended(c: Components, exchange_id: int, state: str, age: dt.timedelta) -> None:
    when = utcnow() - age
    async with c.db.session() as s:
        await s.exec(
            update(Exchange)
            .where(Exchange.id == exchange_id)  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
            .values(state=state, finished_at=when, next_attempt_at=when)
        )


async def _prepare(env: dict[str, str]) -> dict[str, Any]:
    c = build_components(load_settings(environ=env))
    try:
        await _fresh_schema(c.db)
        refused_doc, held_doc, shared, orphan = (_blob(c, b"%PDF-1.7 " + os.urandom(300)) for _ in range(4))
        refused = await c.inbox.record_refusal(
            new_exchange(unique("r-"), documenten=[{"blob_key": refused_doc}, {"blob_key": shared}]),
            [fout("TEST", "Geweigerd.")],
        )
        await _ended(c, refused.exchange_id, ExchangeState.GEWEIGERD, 100 * DAY)
        # held for the secretariaat, then refused there
        held = (await c.inbox.put(new_exchange(unique("h-"), documenten=[{"blob_key": held_doc}]))).exchange_id
        await _ended(c, held, ExchangeState.VASTGEHOUDEN, 100 * DAY)
        await _ended(c, held, ExchangeState.GEWEIGERD, 95 * DAY)
        processed = (await c.inbox.put(new_exchange(unique("p-"), voornaam="Sanne"))).exchange_id
        await _ended(c, processed, ExchangeState.VERWERKT, 40 * DAY)
        recent = (await c.inbox.put(new_exchange(unique("n-"), documenten=[{"blob_key": shared}]))).exchange_id
        return {
            "gone": {refused_doc, held_doc, orphan},
            "kept": shared,
            "purged": [refused.exchange_id, held, processed],
            "recent": recent,
        }
    finally:
        await c.close()


async def _after(
    env: dict[str, str], *, audited: bool = True
) -> tuple[set[str], list[str], dict[int, Exchange], dict[str, Any]]:
    c = build_components(load_settings(environ=env))
    try:
        keys = set(c.blobs.keys())  # type: ignore[attr-defined]  # keys() belongs to the content stores, not the BlobStore protocol
        s3 = getattr(c.blobs, "s3", None)
        objects: list[str] = []
        if s3 is not None:  # everything in the bucket, not only what lists as a blob
            pages = s3.client.get_paginator("list_objects_v2").paginate(Bucket=s3.bucket, Prefix=s3.prefix)
            objects = [o["Key"][len(s3.prefix) :] for page in pages for o in page.get("Contents", [])]
        async with c.db.reader() as s:
            rows = {e.id: e for e in (await s.exec(select(Exchange))).scalars()}  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            entries = (
                (await s.exec(select(AuditEntry).where(col(AuditEntry.action) == "bewaartermijn_toegepast")))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                .scalars()
                .all()
            )
        assert len(entries) == (1 if audited else 0), entries
        audit = {"actor": entries[0].actor, **entries[0].details} if entries else {}
        return keys, objects, rows, audit
    finally:
        await c.close()


def test_purge_removes_blobs_and_payloads_after_retention_with_an_audit_row(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    made = asyncio.run(_prepare(env))  # a fresh schema (PostgreSQL: the session's shared server)
    later = utcnow() + LATER
    monkeypatch.setattr("gateway.retention.utcnow", lambda: later)
    capsys.readouterr()

    assert main(["purge", "--dry-run"]) == 0
    dry = capsys.readouterr().out
    for line in (
        "2 ruwe bericht(en) van geweigerde uitwisselingen",
        "2 bijbehorend(e) document(en) uit de bestandsopslag",
        "1 ruwe bericht(en) van verwerkte uitwisselingen",
        "1 document(en) in de bestandsopslag waar niets meer naar verwijst",
    ):
        assert f"Zou verwijderen: {line}" in dry, dry
    assert asyncio.run(_after(env, audited=False))[0] == {made["kept"], *made["gone"]}  # a dry run changes nothing
    assert main(["purge"]) == 0
    out = capsys.readouterr().out
    assert "Verwijderd: 2 ruwe bericht(en) van geweigerde uitwisselingen" in out, out
    assert "Verwijderd: 1 document(en) in de bestandsopslag waar niets meer naar verwijst" in out, out

    keys, objects, rows, audit = asyncio.run(_after(env))
    assert keys == {made["kept"]}, "a refused exchange's document or an orphan stayed, or a needed one went"
    if env.get("GATEWAY_BLOBS__BACKEND") == "s3":
        assert objects == [made["kept"]]
    for exchange_id in made["purged"]:
        assert rows[exchange_id].payload is None and rows[exchange_id].payload_purged
    assert rows[made["recent"]].payload is not None
    assert audit["actor"] == "systeem:purge"
    assert (audit["ruwe_berichten"], audit["ruwe_berichten_verwerkt"], audit["wezen"]) == (2, 1, 1), audit
