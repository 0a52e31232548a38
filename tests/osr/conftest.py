"""Fixtures: an OSR simulator on loopback, a fast-retrying client that records its waits, a clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.osr.client import OsrClient
from adapters.osr.config import OsrConfig
from adapters.osr.simulator import OsrSimulator, running
from tests.osr.factories import seeded_simulator


class RecordingSleep:
    """Stands in for asyncio.sleep between retries: records what the client would have waited."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class FakeClock:
    def __init__(self) -> None:
        self.now = dt.datetime(2025, 9, 1, 8, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


@pytest.fixture
def simulator() -> OsrSimulator:
    return seeded_simulator()


@pytest.fixture
async def osr_url(simulator: OsrSimulator) -> AsyncIterator[str]:
    async with running(simulator) as url:
        yield url


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def fast_config(url: str, **overrides: Any) -> OsrConfig:
    values: dict[str, Any] = {
        "base_url": url,
        "connect_timeout": 1.0,
        "total_timeout": 0.3,
        "max_attempts": 3,
        "backoff_initial": 0.01,
        "backoff_max": 0.02,
        "max_retry_after": 5.0,
    }
    values.update(overrides)
    return OsrConfig(**values)


@pytest.fixture
async def client(osr_url: str, sleep: RecordingSleep) -> AsyncIterator[OsrClient]:
    async with OsrClient(fast_config(osr_url), sleep=sleep) as osr:
        yield osr
