"""What the browser tests share: Chromium (or a skip), the app on a loopback port, a logged-in page.

Playwright drives Debian's Chromium; without it the tests skip, unless GATEWAY_TEST_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from gateway.app import create_app
from gateway.components import Components
from tests.support.served import served
from tests.web.support import Login

__all__ = ["CHROMIUM_ARGS", "VIEWPORT", "chromium_path", "log_in", "logged_in_page", "require_browser", "serve_app"]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1366, "height": 800}


def chromium_path() -> str | None:
    for candidate in (os.environ.get("GATEWAY_TEST_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def require_browser() -> str:
    """Chromium's path; skips the test (fails it under GATEWAY_TEST_REQUIRE_BROWSER=1) when it or Playwright
    is missing."""
    path = chromium_path()
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        path = None
    if path is None:
        if os.environ.get("GATEWAY_TEST_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium of Playwright ontbreekt, maar GATEWAY_TEST_REQUIRE_BROWSER=1")
        pytest.skip("geen Chromium gevonden (/usr/bin/chromium) of Playwright niet geïnstalleerd")
    return path


@asynccontextmanager
async def serve_app(components: Components) -> AsyncIterator[str]:
    """The whole app (pages and APIs, no workers) on a loopback port; yields its base URL."""
    async with served(create_app(components, run_workers=False)) as port:
        yield f"http://127.0.0.1:{port}"


async def log_in(page: Any, base_url: str, who: Login, steps_ahead: int = 0) -> None:
    """The log-in page as a person fills it in: organisation, user name, password, the TOTP code."""
    await page.goto(f"{base_url}/inloggen")
    await page.fill("input[name=organisatie]", who.organisatie)
    await page.fill("input[name=gebruikersnaam]", who.gebruikersnaam)
    await page.fill("input[name=wachtwoord]", who.password)
    await page.fill("input[name=code]", who.code(steps_ahead))
    await page.click("button:has-text('Inloggen')")
    await page.wait_for_load_state()


@asynccontextmanager
async def logged_in_page(
    browser: Any, base_url: str, who: Login, steps_ahead: int = 0, **context: Any
) -> AsyncIterator[Any]:
    """A fresh browser context (its own cookies) with one page, logged in as ``who``; closed afterwards."""
    ctx = await browser.new_context(viewport=VIEWPORT, **context)
    try:
        page = await ctx.new_page()
        await log_in(page, base_url, who, steps_ahead)
        yield page
    finally:
        await ctx.close()
