"""The pages in a real browser (Playwright driving Debian's Chromium): log in with TOTP, read a refused
item's reason and retry it, download a bijlage and find it in the audit log, register a code as a school
and activate it as the secretariaat. Screenshots go to test-artifacts/ (not committed).

Skipped when no Chromium is installed, unless GATEWAY_TEST_REQUIRE_BROWSER=1 (CI installs it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.components import Components
from gateway.store.models.accounts import Role
from tests.web.browser import CHROMIUM_ARGS, logged_in_page, require_browser, serve_app
from tests.web.factories import REFUSAL_MESSAGE, seed_queue
from tests.web.support import make_account

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "web"


@pytest.fixture
async def base_url(web_components: Components) -> AsyncIterator[str]:
    async with serve_app(web_components) as url:
        yield url


async def test_the_secretariaat_and_a_school_work_through_the_pages_in_a_browser(
    web_components: Components, base_url: str
) -> None:
    executable = require_browser()
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    data = await seed_queue(web_components)
    secretariaat = await make_account(web_components, Role.SECRETARIAAT)
    school = await make_account(web_components, Role.SCHOOLBEHEERDER, brin4="27ZX")

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            # -- the secretariaat: log in with TOTP, the queue, a refused item, retry it
            async with logged_in_page(browser, base_url, secretariaat, accept_downloads=True) as page:
                assert await page.inner_text("h1") == "Inkomende wachtrij"
                assert await page.locator("table.lijst tbody tr").count() == 6
                await page.screenshot(path=str(ARTIFACTS / "01-wachtrij.png"), full_page=True)

                await page.click(f"a[href='/wachtrij/{data.refused}']")
                assert REFUSAL_MESSAGE in await page.inner_text("[data-testid=reden]")
                await page.screenshot(path=str(ARTIFACTS / "02-geweigerd.png"), full_page=True)
                await page.click("button:has-text('Opnieuw aanbieden')")
                await page.click("button:has-text('Ja, doorgaan')")
                await page.wait_for_load_state()
                assert "opnieuw aangeboden" in await page.inner_text("p.melding")
                assert "Wacht op nieuwe poging" in await page.inner_text("[data-testid=toestand]")
                await page.screenshot(path=str(ARTIFACTS / "03-opnieuw.png"), full_page=True)

                # -- a hulpvraag's bijlage, downloaded and found in the audit log
                await page.goto(f"{base_url}/hulpvragen")
                await page.click("table.lijst tbody tr:first-child a")
                async with page.expect_download() as info:
                    await page.click("a:has-text('OPP.pdf')")
                download = await info.value
                saved = ARTIFACTS / "OPP.pdf"
                await download.save_as(str(saved))
                assert saved.read_bytes().startswith(b"%PDF-1.4")
                await page.goto(f"{base_url}/audit")
                await page.select_option("select[name=action]", "bijlage_gedownload")
                await page.click("button:has-text('Filteren')")
                await page.wait_for_load_state()
                assert "OPP.pdf" in await page.inner_text("[data-testid=auditlog]")
                await page.screenshot(path=str(ARTIFACTS / "04-auditlog.png"), full_page=True)

            # -- the school registers a code (shown once)
            async with logged_in_page(browser, base_url, school) as page:
                await page.goto(f"{base_url}/verificatiecodes")
                await page.select_option("select[name=brin6]", "27ZX01")
                await page.fill("input[name=omgeving]", "esis-productie")
                await page.fill("input[name=email]", "ict@dewilg.example")
                await page.click("button:has-text('Aanmelden')")
                await page.wait_for_load_state()
                code = (await page.inner_text("[data-testid=code]")).strip()
                assert code.startswith("27ZX01") and len(code) >= 20
                await page.screenshot(path=str(ARTIFACTS / "05-code-aangemeld.png"), full_page=True)
                await page.goto(f"{base_url}/verificatiecodes")
                assert code not in await page.content()

            # -- the secretariaat activates it
            async with logged_in_page(browser, base_url, secretariaat, steps_ahead=1) as page:
                await page.goto(f"{base_url}/verificatiecodes")
                row = page.locator("tr.code-aangemeld", has_text="27ZX01")
                await row.locator("button:has-text('Activeren')").click()
                await page.click("button:has-text('Ja, doorgaan')")  # the confirmation
                await page.wait_for_load_state()
                assert await page.locator("tr.code-actief", has_text="27ZX01").count() == 1
                await page.screenshot(path=str(ARTIFACTS / "06-code-actief.png"), full_page=True)
        finally:
            await browser.close()
