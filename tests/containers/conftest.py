"""Container tests: skipped (with the reason) when podman is not set up here, required when
GATEWAY_TEST_REQUIRE_CONTAINER=1 (CI runs ../shared/tools/containers/setup first). The image is built once
per session from docker/Dockerfile."""

from __future__ import annotations

import logging
import os

import pytest
import structlog

from tests.containers.podman import IMAGE, available, build_image


@pytest.fixture(scope="session")
def image() -> str:
    missing = available()
    if missing is not None:
        if os.environ.get("GATEWAY_TEST_REQUIRE_CONTAINER") == "1":
            pytest.fail(f"containers are required (GATEWAY_TEST_REQUIRE_CONTAINER=1) but {missing}")
        pytest.skip(missing)
    seconds = build_image(IMAGE)
    print(f"image {IMAGE} built in {seconds:.0f} s")
    return IMAGE


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
