"""Fixtures for the web tests: the full app (every installer, no background workers) on a loopback test server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from gateway.app import create_app
from gateway.components import Components
from gateway.web.auth.config import WebConfig
from tests.support.fakes import ScriptedHandler

TEST_CONFIG = WebConfig(
    secure_cookies=False,
    password_log2_n=10,
    public_url="http://127.0.0.1",
    page_size=20,
    helpdesk_email="helpdesk@swv-test.example",
)


@pytest.fixture
async def web_components(components: Components) -> Components:
    components.extras["web_config"] = TEST_CONFIG
    components.handlers["test_aanvraag"] = ScriptedHandler(components.blobs)
    return components


@pytest.fixture
async def app(web_components: Components) -> web.Application:
    return create_app(web_components, run_workers=False)


@pytest.fixture
async def client(app: web.Application) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(app)) as c:
        yield c
