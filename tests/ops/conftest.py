"""Fixtures of the ops tests: one SeaweedFS server per session, and every blob-store flavour the gateway can
run with (local or S3, plain or encrypted), so one contract test runs over all of them."""

from __future__ import annotations

import base64
import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from gateway.store.blob_crypto import Keyring
from gateway.store.blobs import ContentStore
from gateway.store.blobs_local import LocalBlobStore
from tests.ops.s3server import BUCKET, S3Server

__all__ = ["BUCKET", "b64", "make_keyring", "s3_store"]  # the `s3` and `s3_client` fixtures: tests/conftest.py


def make_keyring(*ids: str, active: str | None = None, chunk_size: int = 4096) -> Keyring:
    keys = {kid: os.urandom(32) for kid in ids or ("k1",)}
    return Keyring(active=active or next(iter(keys)), keys=keys, chunk_size=chunk_size)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def s3_store(s3: S3Server, client: Any, keyring: Keyring | None = None, **kw: Any) -> ContentStore:
    from gateway.store.blobs_s3 import MIN_PART, S3BlobStore, S3Config

    cfg = S3Config(
        bucket=BUCKET,
        endpoint_url=s3.url,
        access_key_id=s3.access_key,
        secret_access_key=s3.secret_key,
        prefix=f"t-{uuid.uuid4().hex[:10]}/",
        part_size=MIN_PART,
    )
    return S3BlobStore(cfg, keyring, client=client, **kw)


@pytest.fixture(params=["local", "local-encrypted", "s3", "s3-encrypted"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ContentStore:
    """Every blob-store flavour; the S3 ones against the real server (skipped when it cannot start)."""
    keyring = make_keyring("k1") if request.param.endswith("encrypted") else None
    if request.param.startswith("s3"):
        s3: S3Server = request.getfixturevalue("s3")
        return s3_store(s3, request.getfixturevalue("s3_client"), keyring)
    return LocalBlobStore(tmp_path / "blobs", keyring)
