"""What only the S3 backend has to get right: streaming in parts, cleaning up, and an unreachable store."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
from typing import Any

import pytest

from gateway.store.blobs import BlobStoreUnavailable
from gateway.store.blobs_s3 import MIN_PART, S3BlobStore, S3Config
from tests.ops.conftest import BUCKET, s3_store
from tests.ops.s3server import S3Server


def _uploads(client: Any, store: S3BlobStore) -> list[dict[str, Any]]:
    return client.list_multipart_uploads(Bucket=BUCKET, Prefix=store.s3.prefix).get("Uploads", [])


def _objects(client: Any, store: S3BlobStore) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix=store.s3.prefix).get("Contents", [])]


def test_parts_go_up_while_writing_and_only_the_hash_key_remains(s3: S3Server, s3_client: Any) -> None:
    store = s3_store(s3, s3_client)
    assert isinstance(store, S3BlobStore)
    data = os.urandom(2 * MIN_PART + 1000)
    w = store.writer()
    w.write(data[:MIN_PART])
    w.write(data[MIN_PART : 2 * MIN_PART])
    (upload,) = _uploads(s3_client, store)  # sent already: the writer holds at most one part
    parts = s3_client.list_parts(Bucket=BUCKET, Key=upload["Key"], UploadId=upload["UploadId"])["Parts"]
    assert len(parts) == 2
    w.write(data[2 * MIN_PART :])
    key = w.commit().key
    assert key == hashlib.sha256(data).hexdigest()
    assert _uploads(s3_client, store) == []
    assert _objects(s3_client, store) == [store.s3.prefix + key]


def test_an_aborted_multipart_write_leaves_no_upload_and_no_object(s3: S3Server, s3_client: Any) -> None:
    store = s3_store(s3, s3_client)
    assert isinstance(store, S3BlobStore)
    w = store.writer(max_size=MIN_PART + 10)
    w.write(os.urandom(MIN_PART))
    assert len(_uploads(s3_client, store)) == 1
    with pytest.raises(Exception, match="larger"):
        w.write(os.urandom(100))
    assert _uploads(s3_client, store) == []
    assert _objects(s3_client, store) == []


def test_the_sweep_removes_uploads_left_by_a_crashed_process(s3: S3Server, s3_client: Any) -> None:
    store = s3_store(s3, s3_client)
    assert isinstance(store, S3BlobStore)
    w = store.writer()
    w.write(os.urandom(MIN_PART))  # the process "dies" here: no commit, no abort
    assert store.sweep_incomplete() == 0  # younger than a day: maybe another process is still writing
    assert store.sweep_incomplete(older_than=dt.timedelta(seconds=-60)) == 1
    assert _uploads(s3_client, store) == []


def test_an_unreachable_store_fails_readiness_with_a_retryable_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = S3BlobStore(
        S3Config(
            bucket="nergens",
            endpoint_url=f"http://127.0.0.1:{port}",
            access_key_id="x",
            secret_access_key="y",
            connect_timeout=0.5,
        )
    )
    with pytest.raises(BlobStoreUnavailable):
        store.check()
    with pytest.raises(BlobStoreUnavailable):
        store.exists("0" * 64)


def test_a_missing_bucket_is_created_when_asked(s3: S3Server, s3_client: Any) -> None:
    name = f"nieuw-{os.urandom(4).hex()}"
    cfg = S3Config(
        bucket=name,
        endpoint_url=s3.url,
        access_key_id=s3.access_key,
        secret_access_key=s3.secret_key,
        create_bucket=True,
    )
    store = S3BlobStore(cfg, client=s3_client)
    store.check()
    assert store.put_bytes(b"hallo").size == 5
