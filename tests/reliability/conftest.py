"""Reliability runs: quiet logging in the test process (the gateway processes log to files)."""

from __future__ import annotations

import base64
import logging
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from tests.support.postgres import postgres_server


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))


@pytest.fixture(scope="module")
def postgres_fsync_url() -> Iterator[str]:
    """A PostgreSQL server with ``fsync=on`` (as in production): a SIGKILL test must not lean on a cluster
    that may lose what it acknowledged."""
    with postgres_server(fsync=True) as url:
        yield url


@pytest.fixture(scope="module")
def s3_encrypted_blobs() -> Iterator[dict[str, Any]]:
    """A ``[blobs]`` section for a real S3 server (SeaweedFS) with encryption at rest, in a bucket of its own."""
    from gateway.store.blobs_s3 import S3Config, make_client
    from tests.ops.s3server import s3_server

    with s3_server() as server:
        bucket = f"crash-{uuid.uuid4().hex[:10]}"
        cfg = S3Config(
            bucket=bucket, endpoint_url=server.url, access_key_id=server.access_key, secret_access_key=server.secret_key
        )
        make_client(cfg).create_bucket(Bucket=bucket)
        yield {
            "backend": "s3",
            "endpoint_url": server.url,
            "bucket": bucket,
            "access_key_id": server.access_key or None,
            "secret_access_key": server.secret_key or None,
            "key_id": "crash-1",
            "keys": {"crash-1": base64.b64encode(os.urandom(32)).decode()},
        }
