"""The pages an SWV office uses all day, in a real browser (Playwright driving Debian's Chromium), per role:
statuses from the catalogue, a koppelcheck that knows the school's channel, plain Dutch, limits, codes,
the queue, hulpvragen, kengetallen, accounts and error pages (issue 16, one test per numbered problem).

Screenshots of the queue, a hulpvraag, the koppelcheck of an ESIS school and the kengetallen page go to
docs/screenshots/ (see `save_screenshot`); all others to test-artifacts/ (not committed).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from gateway.app import create_app
from gateway.components import Components
from gateway.registry import codes
from gateway.store.models import Hulpvraag, OutboxMessage
from gateway.store.models.accounts import Role
from gateway.web.pages.codes import generate_code
from tests.conftest import unique
from tests.support.fakes import new_exchange
from tests.web.factories import drain, seed_queue
from tests.web.support import Login, make_account
from tests.web.test_browser import CHROMIUM_ARGS, _log_in, _require_browser
from verification.koppelcheck import MandateFacts
from verification.mandates import Mandaat, OsoSwvParties

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "web"
SCREENSHOTS = REPO / "docs" / "screenshots"


async def save_screenshot(page: Any, name: str) -> None:
    """The documented screenshots: written to docs/screenshots/ when missing or when
    GATEWAY_TEST_UPDATE_SCREENSHOTS=1 (CI sets it and keeps the folder as an artefact); always to
    test-artifacts/. A local run therefore does not rewrite committed images for a changed clock."""
    data = await page.screenshot(full_page=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / name).write_bytes(data)
    target = SCREENSHOTS / name
    if not target.exists() or os.environ.get("GATEWAY_TEST_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)


@pytest.fixture
async def site(web_components: Components) -> AsyncIterator[str]:
    """The whole app on a loopback port (as tests/web/test_browser.py's base_url)."""
    app = create_app(web_components, run_workers=False)
    runner = web.AppRunner(app)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def browser_page(site: str, who: Login, steps_ahead: int = 0) -> AsyncIterator[Any]:
    executable = _require_browser()
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            ctx = await browser.new_context(viewport={"width": 1366, "height": 800}, accept_downloads=True)
            page = await ctx.new_page()
            await _log_in(page, site, who, steps_ahead)
            yield page
            await ctx.close()
        finally:
            await browser.close()


async def _first_hulpvraag(c: Components) -> Hulpvraag:
    async with c.db.reader() as s:
        return (await s.exec(select(Hulpvraag).order_by(Hulpvraag.id))).scalars().first()  # type: ignore[call-overload,no-any-return]


async def _terugkoppelingen(c: Components) -> list[OutboxMessage]:
    async with c.db.reader() as s:
        return list((await s.exec(select(OutboxMessage).where(OutboxMessage.kind == "oso_terugkoppeling"))).scalars())  # type: ignore[call-overload]


# -- 1. statuses from the catalogue -------------------------------------------------------------------------


async def test_1_the_status_is_chosen_from_the_catalogue_and_an_empty_one_gives_one_error(
    web_components: Components, site: str
) -> None:
    await seed_queue(web_components)
    hv = await _first_hulpvraag(web_components)
    secretariaat = await make_account(web_components, Role.SECRETARIAAT)
    monitoring = await make_account(web_components, Role.MONITORING)
    async with browser_page(site, secretariaat) as page:
        await page.goto(f"{site}/hulpvragen/{hv.id}")
        options = await page.locator("select[name=status] option").all_inner_texts()
        assert "TLV>aanvraag" in options and "Onzin status" not in options
        assert "Kans!overleg>plannen" not in options  # not a next step of a TLV request
        # an empty choice: the browser's own check is bypassed to see the server's answer
        await page.eval_on_selector("select[name=status]", "el => el.removeAttribute('required')")
        await page.fill("textarea[name=toelichting]", "Blijft staan.")
        await page.click("button:has-text('Status opslaan')")
        await page.wait_for_load_state()
        body = await page.inner_text("main")
        assert body.count("Kies een nieuwe status uit de lijst.") == 1
        assert await page.locator("p.melding").count() == 0  # no green success banner
        assert await page.input_value("textarea[name=toelichting]") == "Blijft staan."
        # a forged free-text status is refused by the server, not stored and not sent
        await page.evaluate(
            "() => { const o = document.createElement('option'); o.value = 'Onzin status'; o.text = 'x';"
            " document.querySelector('select[name=status]').appendChild(o); }"
        )
        await page.select_option("select[name=status]", "Onzin status")
        await page.click("button:has-text('Status opslaan')")
        await page.wait_for_load_state()
        assert "staat niet in de statuslijst" in await page.inner_text("p.fout")
        assert await _terugkoppelingen(web_components) == []
        # a catalogue step is stored and told to the ParnasSys school
        await page.select_option("select[name=status]", "TLV>aanvraag")
        await page.click("button:has-text('Status opslaan')")
        await page.wait_for_load_state()
        assert "De status is gewijzigd." in await page.inner_text("p.melding")
        assert await page.inner_text("[data-testid=status]") == "TLV>aanvraag"
        await save_screenshot(page, "hulpvraag.png")
    [sent] = await _terugkoppelingen(web_components)
    assert sent.payload["status"] == "TLV>aanvraag"
    async with browser_page(site, monitoring) as page:  # monitoring reads, cannot change
        await page.goto(f"{site}/hulpvragen/{hv.id}")
        assert await page.locator("select[name=status]").count() == 0


# -- 2. the koppelcheck knows the channel -------------------------------------------------------------------


class _FakeOsr:
    """An honest double of the OSR mandate lookup: answers both OSO-SWV mandates for any school."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def mandates_for(self, brin4: str, reference_date: dt.date, *, force: bool = False) -> MandateFacts:
        self.asked.append(brin4)
        parties = OsoSwvParties()
        both = tuple(
            Mandaat(brin4, parties.service_namespace, s.name, s.supplier_oin, dt.date(2020, 1, 1))
            for s in parties.systems
        )
        return MandateFacts(both, osr_reachable=True, age=dt.timedelta(0), source="osr")


async def test_2_an_esis_school_is_judged_on_its_codes_and_exchanges_and_mandates_are_fetched_by_a_button(
    web_components: Components, site: str
) -> None:
    await seed_queue(web_components)  # one processed ESIS request of 27ZX00
    await web_components.inbox.put(
        replace(new_exchange(unique("esis-"), brin6="27ZX00", leerlingid="LL-201"), source="esis")
    )
    await drain(web_components)
    code = await codes.register(
        web_components.db, "27ZX00", "esis-productie", generate_code("27ZX00"), "test", swv_code="PO3008"
    )
    await codes.activate(web_components.db, code.id, "test")
    secretariaat = await make_account(web_components, Role.SECRETARIAAT)
    school = await make_account(web_components, Role.SCHOOLBEHEERDER, brin4="27ZX")
    async with browser_page(site, school) as page:
        await page.goto(f"{site}/koppelcheck/27ZX00")
        table = await page.inner_text("[data-testid=controles]")
        assert (await page.inner_text("[data-testid=gereed]")).startswith("Klaar"), table
        assert "Routeringskenmerk" not in table and "Mandaat" not in table
        assert "via ESIS: verwerkt" in table and "ESIS-verificatiecodes" in table
        assert "gateway " not in table and "ParnasSys" not in table
        assert await page.locator("details.technisch").count() == 0  # the school sees no codes
        await save_screenshot(page, "koppelcheck-esis.png")
    web_components.extras["mandate_lookup"] = osr = _FakeOsr()
    async with browser_page(site, secretariaat) as page:
        await page.goto(f"{site}/koppelcheck/14SS00")  # a ParnasSys school without fetched mandates
        table = await page.inner_text("[data-testid=controles]")
        assert "Nog niet klaar" in await page.inner_text("[data-testid=gereed]")
        assert "Mandaten nu ophalen" in table and "gateway osr" not in table and "MANDATEN_" not in table
        await page.click("details.technisch summary")
        assert "MANDATEN_NIET_OPGEHAALD" in await page.inner_text("details.technisch")
        await page.click("button:has-text('Mandaten nu ophalen')")
        await page.wait_for_load_state()
        assert "opnieuw opgehaald" in await page.inner_text("p.melding")
        table = await page.inner_text("[data-testid=controles]")
        assert (await page.inner_text("[data-testid=gereed]")).startswith("Klaar"), table
        assert osr.asked == ["14SS"]


# -- 7. unknown URLs ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SECRETARIAAT, Role.SCHOOLBEHEERDER], ids=lambda r: r.value)
async def test_7_unknown_pages_are_dutch_pages_in_the_layout(web_components: Components, site: str, role: Role) -> None:
    who = await make_account(web_components, role, brin4="14SS")
    async with browser_page(site, who) as page:
        for path in ("/bestaat-niet", "/koppelcheck/99XX00", "/hulpvragen/999999"):
            response = await page.goto(f"{site}{path}")
            assert response.status in (403, 404)
            assert response.headers["content-type"].startswith("text/html")
            assert response.headers["x-frame-options"] == "DENY" and "content-security-policy" in response.headers
            assert await page.locator("header.top nav").count() == 1
            text = await page.inner_text("main")
            assert "Not Found" not in text and ("niet" in text or "Geen toegang" in text)
            assert "helpdesk@swv-test.example" in await page.inner_text("footer")
