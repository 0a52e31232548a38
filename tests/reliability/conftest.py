"""Reliability runs: quiet logging in the test process (the gateway processes log to files)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

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
