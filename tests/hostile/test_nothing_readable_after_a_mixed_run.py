"""After a mixed run — good and hostile ESIS and OSO traffic, BSNs typed into free text, accounts with a
second factor, what a crash leaves in the blob store — nothing secret or refused is readable anywhere: not
in any file of the data directory, not in any object of the S3 bucket, not in any row of any table (SQLite
and PostgreSQL), not in the logs. Blobs in a local folder and in S3 (SeaweedFS), both with encryption on.

- no nine-digit number that passes the elfproef (the ones we sent, and any other);
- no plain verificatiecode, no TOTP secret;
- no orphan blob once the sweep's grace period has passed;
- with encryption on: no PDF or ZIP magic bytes in any stored file, and no blob named after its content.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import io
import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, select

from adapters.esis.simulator import aanvraag, pdf_document
from adapters.parnassys.dossier_factory import AttachmentSpec, build_dossier
from gateway.components import Components, build_components
from gateway.dossier import read_dossier
from gateway.logging import configure_logging
from gateway.settings import Settings
from gateway.store.blob_sweep import SweepPolicy, referenced_blob_keys, settle_created, sweep_orphans
from gateway.store.blobs import ContentStore, recording_created
from gateway.store.models import Exchange
from gateway.store.seed import seed_demo_registry, seed_swv
from gateway.store.types import utcnow
from gateway.web.auth.accounts import add_account
from tests.conftest import _fresh_schema
from tests.hostile.corpus import by_target, run_http_case
from tests.hostile.esis_build import AANVRAGEN, _doc_part, _headers, _json_part, multipart
from tests.hostile.targets import ESIS_BRIN6, ESIS_CODE, HostilePki, Running, activate_esis_code, start_targets
from tests.hostile.wire import HttpInput
from tests.ops.s3server import s3_blob_section
from verification.bsn import contains_bsn

MASTER = bytes(range(1, 33))
SENT_NUMBERS = ("123456782", "101234567", "111222333")  # the BSNs and the onderwijsnummer sent below
_HEXISH = re.compile(r"[0-9a-fA-F]{16,}|[0-9a-fA-F-]{36}")  # hashes, ids, keys: not free text


@pytest.fixture
def log_buffer(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    buf = io.StringIO()
    configure_logging("json", "debug", stream=buf)
    caplog.set_level(logging.DEBUG)
    yield buf
    configure_logging()


@pytest.fixture(params=["sqlite", "postgres", "sqlite-s3", "postgres-s3"])
async def sealed(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Components]:
    blobs: dict[str, object] = {"keys": {"k1": base64.b64encode(MASTER).decode()}, "key_id": "k1"}
    if request.param.endswith("-s3"):
        s3 = request.getfixturevalue("s3")
        request.getfixturevalue("s3_client")  # the bucket exists
        blobs |= {key: value or None for key, value in s3_blob_section(s3, "scan").items()}
    settings = settings.replace(sections={**settings.sections, "blobs": {k: v for k, v in blobs.items() if v}})
    if request.param.startswith("postgres"):
        settings = settings.replace(database_url=request.getfixturevalue("postgres_url"))
    c = build_components(settings)
    await _fresh_schema(c.db)
    swv_id = await seed_swv(c.db)
    await seed_demo_registry(c.db, swv_id)
    yield c
    await c.close()


def _esis_with_text(**fields: Any) -> HttpInput:
    body = aanvraag(ESIS_BRIN6, **fields)
    body["documenten"] = [{"bestandsnaam": "OPP-2025.pdf", "soort": "opp"}]
    parts = [_json_part(body), _doc_part("OPP-2025.pdf", pdf_document())]
    return HttpInput(AANVRAGEN, multipart(parts), _headers())


async def _mixed_run(c: Components, pki: HostilePki) -> str:
    """Everything at once; returns the TOTP secret that was made."""
    account = await add_account(
        c.db, organisatie="PO3008", gebruikersnaam="jansen", role="secretariaat", swv_code="PO3008"
    )
    assert account.totp_secret
    await activate_esis_code(c)
    running: Running = await start_targets(c, pki)
    try:
        good = await running.send(_esis_with_text(omschrijving="Leerling leest moeizaam; zie OPP."))
        assert good.status == 202, good.body[:300]
        for text in ("BSN 123 456 782", "onderwijsnummer 1012.34.567", "nr 111222333"):
            refused = await running.send(_esis_with_text(omschrijving=f"Aanvraag voor leerling met {text}."))
            assert refused.status == 422 and refused.findings()[0]["code"] == "ESIS_BSN_NIET_TOEGESTAAN"
        for case in by_target("soap", "esis"):
            await run_http_case(case, running)
    finally:
        await running.close()
    # the worker's side of OSO: hostile dossiers read into the same blob store as the worker does (recording
    # what they write), each ending refused or held, so what they wrote is settled at once
    for dossier in (
        *(
            build_dossier(attachments=[spec])
            for spec in (
                AttachmentSpec(kind="docx_bom", bestandsnaam="OPP.docx"),
                AttachmentSpec(kind="zip_exe", bestandsnaam="OPP.docx"),
                AttachmentSpec(omschrijving="OPP van leerling 123456782"),
                AttachmentSpec(broken="bomb"),
            )
        ),
        build_dossier(mutation="bsn"),
    ):
        with recording_created() as created:
            await asyncio.to_thread(read_dossier, dossier, blobs=c.blobs)
        await settle_created(c.db, created, kept=False)
    # what a crash leaves: a half-written upload, a blob whose row was never committed, and a worker killed
    # between reading a dossier and storing its outcome (S3: staged copies nobody settled)
    w = c.blobs.writer()
    w.write(pdf_document())
    w.commit()
    half = c.blobs.writer()
    half.write(b"%PDF-1.7 half geschreven")
    with recording_created():
        await asyncio.to_thread(read_dossier, build_dossier(), blobs=c.blobs)
    return account.totp_secret


def _bucket(c: Components) -> dict[str, bytes]:
    """Every object under the S3 store's prefix (visible, staged, temporary), with its bytes; {} locally."""
    s3 = getattr(c.blobs, "s3", None)
    if s3 is None:
        return {}
    pages = s3.client.get_paginator("list_objects_v2").paginate(Bucket=s3.bucket, Prefix=s3.prefix)
    names = [o["Key"] for page in pages for o in page.get("Contents", [])]
    return {n[len(s3.prefix) :]: s3.client.get_object(Bucket=s3.bucket, Key=n)["Body"].read() for n in names}


async def _all_rows(c: Components) -> str:
    out = []
    async with c.db.reader() as s:
        conn = await s.connection()
        for table in SQLModel.metadata.sorted_tables:
            for row in (await conn.execute(sa_select(table))).all():
                out.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(out)


def _bsn_in_free_text(text: str) -> list[str]:
    return [line[:200] for line in text.splitlines() if contains_bsn(_HEXISH.sub(" ", line))]


async def test_nothing_secret_or_refused_is_readable_after_a_mixed_run(
    sealed: Components,
    hostile_pki: HostilePki,
    fast_hash: None,
    log_buffer: io.StringIO,
    caplog: pytest.LogCaptureFixture,
) -> None:
    c = sealed
    totp = await _mixed_run(c, hostile_pki)
    # the periodic sweep, once the grace period has passed
    await sweep_orphans(c.db, c.blobs, SweepPolicy(grace=dt.timedelta(hours=1)), now=utcnow() + dt.timedelta(hours=2))

    referenced = await referenced_blob_keys(c.db)
    assert isinstance(c.blobs, ContentStore)
    stored = set(c.blobs.keys())
    assert stored and stored <= referenced, f"orphan blobs: {stored - referenced}"

    needles = [*SENT_NUMBERS, "123 456 782", "1012.34.567", ESIS_CODE, ESIS_CODE[7:], totp]
    rows = await _all_rows(c)
    assert "verificatiecode" in rows and "jansen" in rows  # the scan sees the tables
    logs = log_buffer.getvalue() + caplog.text
    assert "esis_verzoek_geweigerd" in logs
    for needle in needles:
        assert needle not in rows, needle
        assert needle not in logs, needle
    assert _bsn_in_free_text(rows) == [] and _bsn_in_free_text(logs) == []

    files = {str(p): p.read_bytes() for p in c.settings.data_dir.rglob("*") if p.is_file()}
    bucket = _bucket(c)
    if getattr(c.blobs, "s3", None) is not None:
        assert bucket and set(bucket) == stored, f"not only referenced blobs in the bucket: {set(bucket) - stored}"
    else:
        assert any(Path(p).parent.parent.parent.name == "blobs" for p in files)
    for where, data in {**files, **{f"s3:{k}": v for k, v in bucket.items()}}.items():
        for needle in needles:
            assert needle.encode() not in data, (where, needle)
        assert b"%PDF-" not in data and b"PK\x03\x04" not in data, where
    async with c.db.reader() as s:
        metas = (await s.exec(select(Exchange.meta))).all()
    documents = [d for m in metas for d in (m or {}).get("documenten") or []]
    assert documents and all(d["blob_key"] != d["sha256"] for d in documents)  # keyed names, not content hashes
