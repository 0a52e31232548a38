"""Fixtures shared by every test: settings in a temporary data dir, a migrated database (SQLite, and a real
PostgreSQL for the tests that ask for `any_db`), the blob store and the core components.

The network is off except loopback: every outside system is a simulator the test starts itself.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

import gateway.store.models  # noqa: F401
from gateway.components import Components, build_components
from gateway.settings import Settings, load_settings
from gateway.store.db import Database
from gateway.store.seed import seed_demo_registry, seed_swv
from tests.ops.s3server import BUCKET, S3Server, s3_server
from tests.support.network import refuse_outside_network
from tests.support.official import check_official
from tests.support.postgres import postgres_server

REPO = Path(__file__).resolve().parents[1]


def pytest_runtest_setup(item: pytest.Item) -> None:
    check_official(item)  # tests marked `official` need ../shared (tests/support/official.py)


@pytest.fixture(autouse=True)
def _network_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test: a lookup of or connection to anything but loopback fails at once (tests/support/network.py)."""
    refuse_outside_network(monkeypatch)


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    """A real S3-compatible server (SeaweedFS) for the session; skipped when it cannot start, unless
    GATEWAY_TEST_REQUIRE_S3=1 (tests/ops/s3server.py)."""
    with s3_server() as server:
        yield server


@pytest.fixture(scope="session")
def s3_client(s3: S3Server) -> Any:
    """A client of `s3` whose bucket ``tests.ops.s3server.BUCKET`` exists."""
    from gateway.store.blobs_s3 import S3Config, make_client

    client = make_client(
        S3Config(bucket=BUCKET, endpoint_url=s3.url, access_key_id=s3.access_key, secret_access_key=s3.secret_key)
    )
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if BUCKET not in existing:
        client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


async def _fresh_schema(db: Database) -> None:
    async with db.engine.begin() as conn:
        if not db.is_sqlite:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await conn.run_sync(SQLModel.metadata.create_all)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        environ={},
        data_dir=tmp_path / "data",
        lease_seconds=5.0,
        retry_base_seconds=0.05,
        retry_max_seconds=0.2,
        poll_interval=0.05,
    )


@contextlib.asynccontextmanager
async def seeded_components(settings: Settings) -> AsyncIterator[Components]:
    """The core components on a fresh schema with the demo SWV and registry; closed afterwards."""
    c = build_components(settings)
    await _fresh_schema(c.db)
    swv_id = await seed_swv(c.db)
    await seed_demo_registry(c.db, swv_id)
    try:
        yield c
    finally:
        await c.close()


@pytest.fixture
async def components(settings: Settings) -> AsyncIterator[Components]:
    async with seeded_components(settings) as c:
        yield c


@pytest.fixture(params=["sqlite", "postgres"])
async def any_components(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Components]:
    """The same core components on SQLite and on a real PostgreSQL server."""
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        settings = settings.replace(database_url=url)
    async with seeded_components(settings) as c:
        yield c


def unique(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"
