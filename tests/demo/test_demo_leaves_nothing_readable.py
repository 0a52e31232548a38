"""The demo, with encryption at rest and JSON logging: once the sweep's grace period has passed, no orphan
blob, no PDF/ZIP bytes, no BSN (the demo sends a dossier with one), no verificatiecode or TOTP secret in the
data directory, the S3 bucket (blobs in a local folder, and in S3), the tables or the logs."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from adapters.esis.demo import DEMO_CODES
from gateway.components import build_components
from gateway.settings import load_settings
from gateway.store.blob_sweep import SweepPolicy, referenced_blob_keys, sweep_orphans
from gateway.store.types import utcnow
from gateway.web.auth.accounts import list_accounts, plain_totp
from tests.conftest import REPO
from tests.ops.s3server import s3_blob_env
from verification.bsn import contains_bsn

pytestmark = pytest.mark.slow

KEYS = "k1=" + base64.b64encode(bytes(range(7, 39))).decode()
_HEXISH = re.compile(r"[0-9a-fA-F]{16,}|[0-9a-fA-F-]{36}")  # hashes, ids, keys: not free text
DEMO_NUMBERS = ("123456782", "103456789")  # the BSN and onderwijsnummer the dossier factory's "bsn" mutation sets


@pytest.fixture(params=["local", "s3"])
def blob_env(request: pytest.FixtureRequest) -> dict[str, str]:
    env = {"GATEWAY_BLOBS__KEYS": KEYS, "GATEWAY_BLOBS__KEY_ID": "k1"}
    if request.param == "s3":
        s3 = request.getfixturevalue("s3")
        request.getfixturevalue("s3_client")  # the bucket exists
        env |= s3_blob_env(s3, "demo")
    return env


_Inspected = tuple[set[str], set[str], str, list[str], list[bytes]]


async def _inspect_store(data: Path, blob_env: dict[str, str]) -> _Inspected:
    settings = load_settings(environ=blob_env, data_dir=data)
    c = build_components(settings)
    try:
        await sweep_orphans(c.db, c.blobs, SweepPolicy(), now=utcnow() + dt.timedelta(hours=2))
        stored = set(c.blobs.keys())  # type: ignore[attr-defined]  # keys() belongs to the content stores, not the BlobStore protocol
        objects: list[bytes] = []  # every object in the bucket (visible, staged, temporary), when on S3
        if (s3 := getattr(c.blobs, "s3", None)) is not None:
            pages = s3.client.get_paginator("list_objects_v2").paginate(Bucket=s3.bucket, Prefix=s3.prefix)
            names = [o["Key"] for page in pages for o in page.get("Contents", [])]
            assert {n[len(s3.prefix) :] for n in names} == stored, "a staged or temporary object stayed"
            objects = [s3.client.get_object(Bucket=s3.bucket, Key=n)["Body"].read() for n in names]
        referenced = await referenced_blob_keys(c.db)
        rows = []
        async with c.db.reader() as s:
            conn = await s.connection()
            for table in SQLModel.metadata.sorted_tables:
                rows += [f"{table.name}: {tuple(r)!r}" for r in (await conn.execute(select(table))).all()]
        secrets = [plain_totp(c.db, a) for a in await list_accounts(c.db) if a.totp_secret]
    finally:
        await c.close()
    return stored, referenced, "\n".join(rows), secrets, objects


def test_after_the_demo_nothing_secret_or_refused_is_readable(tmp_path: Path, blob_env: dict[str, str]) -> None:
    data = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(blob_env, GATEWAY_LOG_FORMAT="json")
    proc = subprocess.run(
        [sys.executable, "-m", "gateway", "demo", "--once", "--json", "--port", "0", "--data-dir", str(data)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    stored, referenced, rows, totp, objects = asyncio.run(_inspect_store(data, blob_env))

    assert stored and stored <= referenced, f"orphan blobs after the grace period: {stored - referenced}"
    assert "hulpvraag" in rows and "verificatiecode" in rows  # the scan sees the tables
    needles = [*DEMO_NUMBERS, *DEMO_CODES.values(), *totp]
    for needle in needles:
        assert needle not in rows, needle
        assert needle not in proc.stderr, needle  # the logs (stdout is the demo's own report)
    assert [line for line in proc.stderr.splitlines() if contains_bsn(_HEXISH.sub(" ", line))] == []
    assert [line for line in rows.splitlines() if contains_bsn(_HEXISH.sub(" ", line))] == []
    stored_bytes = {str(p): p.read_bytes() for p in data.rglob("*") if p.is_file()}
    stored_bytes |= {f"s3 object {n}": raw for n, raw in enumerate(objects)}
    assert objects or blob_env.get("GATEWAY_BLOBS__BACKEND") != "s3"
    for where, raw in stored_bytes.items():
        assert b"%PDF-" not in raw and b"PK\x03\x04" not in raw, where
        for needle in needles:
            assert needle.encode() not in raw, (where, needle)
