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
from sqlalchemy import select, update
from sqlmodel import col

from gateway.components import Components
from gateway.registry import codes
from gateway.store.models import Hulpvraag, OutboxMessage
from gateway.store.models.accounts import Role
from gateway.store.types import utcnow
from gateway.web.pages.codes import generate_code
from tests.conftest import unique
from tests.support.fakes import new_exchange
from tests.web.browser import CHROMIUM_ARGS, logged_in_page, require_browser, serve_app
from tests.web.factories import drain, seed_queue
from tests.web.support import Login, make_account
from verification.findings import fout
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
    """The whole app on a loopback port."""
    async with serve_app(web_components) as url:
        yield url


@asynccontextmanager
async def browser_page(site: str, who: Login, steps_ahead: int = 0) -> AsyncIterator[Any]:
    executable = require_browser()
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            async with logged_in_page(browser, site, who, steps_ahead, accept_downloads=True) as page:
                yield page
        finally:
            await browser.close()


async def _first_hulpvraag(c: Components) -> Hulpvraag:
    async with c.db.reader() as s:
        return (await s.exec(select(Hulpvraag).order_by(col(Hulpvraag.id)))).scalars().first()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def _terugkoppelingen(c: Components) -> list[OutboxMessage]:
    async with c.db.reader() as s:
        return list(
            (await s.exec(select(OutboxMessage).where(col(OutboxMessage.kind) == "oso_terugkoppeling"))).scalars()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        )


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


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
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


# -- 3. plain Dutch, technical detail behind a toggle --------------------------------------------------------


async def test_3_audit_and_exchange_pages_read_as_plain_dutch(web_components: Components, site: str) -> None:
    data = await seed_queue(web_components)
    secretariaat = await make_account(web_components, Role.SECRETARIAAT)
    async with browser_page(site, secretariaat) as page:
        await page.goto(f"{site}/hulpvragen")  # writes "hulpvragen_bekeken" with the ids
        await page.goto(f"{site}/wachtrij/{data.processed}")
        main = await page.inner_text("main")
        assert "Correlatie-id" not in main and "sessie_geopend" not in main and "dossier_ontvangen" not in main
        await page.click("details[data-testid=technisch] summary")
        assert "Correlatie-id" in await page.inner_text("details[data-testid=technisch]")
        await page.goto(f"{site}/wachtrij/{data.intake_refused}")
        findings = await page.inner_text("[data-testid=bevindingen]")
        assert "ROUTERING_BUITEN_500_REEKS" not in findings and "blokkeert" in findings
        await page.goto(f"{site}/audit")
        log = await page.inner_text("[data-testid=auditlog]")
        assert "Lijst met hulpvragen bekeken" in log and "hulpvragen_bekeken" not in log.split("Technische")[0]
        assert "ids: [" not in log and "True" not in log
        options = await page.locator("select[name=action] option").all_inner_texts()
        assert "Uitwisseling bekeken" in options
    async with browser_page(site, await make_account(web_components, Role.MONITORING)) as page:
        await page.goto(f"{site}/wachtrij/{data.processed}")
        assert await page.locator("details[data-testid=technisch]").count() == 0


# -- 4. limits on input -------------------------------------------------------------------------------------


async def test_4_limits_are_enforced_in_dutch_and_the_form_is_kept(web_components: Components, site: str) -> None:
    await seed_queue(web_components)
    hv = await _first_hulpvraag(web_components)
    secretariaat = await make_account(web_components, Role.SECRETARIAAT)
    school = await make_account(web_components, Role.SCHOOLBEHEERDER, brin4="27ZX")
    async with browser_page(site, secretariaat) as page:
        await page.goto(f"{site}/hulpvragen/{hv.id}")
        many = ", ".join(f"label{i}" for i in range(30)) + ", " + "x" * 300
        await page.eval_on_selector("input[name=labels]", "el => el.removeAttribute('maxlength')")
        await page.fill("input[name=labels]", many[:2000])
        await page.click("button:has-text('Labels opslaan')")
        await page.wait_for_load_state()
        assert "maximaal 20 per hulpvraag" in await page.inner_text("p.fout")
        assert (await page.input_value("input[name=labels]")).startswith("label0, label1")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1400  # long input wraps, the page does not grow sideways
        await page.goto(f"{site}/hulpvragen/{hv.id}")
        await page.eval_on_selector("textarea[name=toelichting]", "el => el.removeAttribute('maxlength')")
        await page.select_option("select[name=status]", "TLV>aanvraag")
        await page.fill("textarea[name=toelichting]", "t" * 20_000)
        await page.click("button:has-text('Status opslaan')")
        await page.wait_for_load_state()
        assert "maximaal 1000" in await page.inner_text("p.fout")
        assert await page.inner_text("[data-testid=status]") != "TLV>aanvraag"
        # the CSV import: described, a template, a preview per row, an error per row, a Dutch 413
        await page.goto(f"{site}/scholen/import")
        assert "gemeente" in await page.inner_text("[data-testid=kolommen]")
        async with page.expect_download() as info:
            await page.click("a:has-text('Sjabloon downloaden')")
        template = Path(await (await info.value).path()).read_text(encoding="utf-8-sig")  # noqa: ASYNC240
        assert template.startswith("brin6;naam;gemeente")
        csv = ARTIFACTS / "import.csv"
        csv.write_text(template + "99XX;zonder vestigingscode;Helmond;;;;\r\n", encoding="utf-8")
        await page.set_input_files("input[name=bestand]", str(csv))
        await page.click("button:has-text('Bestand controleren')")
        await page.wait_for_load_state()
        rows = await page.locator("[data-testid=verslag] tbody tr").all_inner_texts()
        assert len(rows) == 3 and "geweigerd" in rows[2] and "geweigerd" not in rows[0]
        big = ARTIFACTS / "groot.csv"
        big.write_bytes(b"brin6;naam;gemeente\r\n" + b"14SS01;" + b"x" * 1_200_000 + b";Helmond\r\n")
        await page.set_input_files("input[name=bestand]", str(big))
        await page.click("button:has-text('Bestand controleren')")
        await page.wait_for_load_state()
        message = await page.inner_text("main")
        assert "groter dan 1 MB" in message and "Maximum request body" not in message
    async with browser_page(site, school) as page:  # a 307-character code is refused whole, not cut
        await page.goto(f"{site}/verificatiecodes")
        await page.select_option("select[name=brin6]", "27ZX01")
        await page.fill("input[name=code]", "27ZX01" + "a" * 301)
        await page.click("button:has-text('Aanmelden')")
        await page.wait_for_load_state()
        assert "50" in " ".join(await page.locator("p.fout").all_inner_texts())
        assert await page.locator("[data-testid=code]").count() == 0


# -- 5. verification codes ----------------------------------------------------------------------------------


async def test_5_codes_are_confirmed_revoked_with_a_reason_and_not_duplicated(
    web_components: Components, site: str
) -> None:
    secretariaat = await make_account(web_components, Role.SECRETARIAAT)
    school = await make_account(web_components, Role.SCHOOLBEHEERDER, brin4="27ZX")
    async with browser_page(site, school) as page:
        for _attempt in range(2):
            await page.goto(f"{site}/verificatiecodes")
            await page.select_option("select[name=brin6]", "27ZX01")
            await page.click("button:has-text('Aanmelden')")
            await page.wait_for_load_state()
        assert "wacht al een aangemelde code" in await page.inner_text("p.fout")  # the second is refused
        assert await page.locator("tr.code-aangemeld", has_text="27ZX01").count() == 1
        # the school withdraws its own code: a reason is required, then a confirmation
        row = page.locator("tr.code-aangemeld", has_text="27ZX01")
        await row.locator("input[name=reden]").evaluate("el => el.removeAttribute('required')")
        await row.locator("button:has-text('Intrekken')").click()
        await page.wait_for_load_state()
        assert "Geef een reden" in await page.inner_text("p.fout")
        row = page.locator("tr.code-aangemeld", has_text="27ZX01")
        await row.locator("input[name=reden]").fill("Verkeerde omgeving gekozen")
        await row.locator("button:has-text('Intrekken')").click()
        await page.wait_for_load_state()
        assert await page.inner_text("h1") == "Verificatiecode intrekken?"
        await page.click("button:has-text('Ja, doorgaan')")
        await page.wait_for_load_state()
        assert await page.locator("tr.code-ingetrokken", has_text="Verkeerde omgeving gekozen").count() == 1
        await page.select_option("select[name=brin6]", "27ZX01")
        await page.click("button:has-text('Aanmelden')")  # now a new one may be registered
        await page.wait_for_load_state()
        assert await page.locator("[data-testid=code]").count() == 1
    async with browser_page(site, secretariaat) as page:
        await page.goto(f"{site}/verificatiecodes")
        await page.locator("tr.code-aangemeld", has_text="27ZX01").locator("button:has-text('Activeren')").click()
        await page.wait_for_load_state()
        assert await page.inner_text("h1") == "Verificatiecode activeren?"
        await page.click("a:has-text('Annuleren')")
        await page.wait_for_load_state()
        assert await page.locator("tr.code-actief").count() == 0  # cancelled: nothing changed
        await page.locator("tr.code-aangemeld", has_text="27ZX01").locator("button:has-text('Activeren')").click()
        await page.click("button:has-text('Ja, doorgaan')")
        await page.wait_for_load_state()
        assert await page.locator("tr.code-actief", has_text="27ZX01").count() == 1


# -- 6. the queue ---------------------------------------------------------------------------------------------


async def test_6_the_queue_lists_door_refusals_every_reason_and_filters_by_reason(
    web_components: Components, site: str
) -> None:
    from adapters.esis.simulator import Document, EsisSimulator, aanvraag, pdf_document

    data = await seed_queue(web_components)
    await web_components.inbox.record_refusal(
        replace(new_exchange(unique("parnassys-"), brin6="21KL00"), source="parnassys"),
        [
            fout("PaO.LL12", "Het dossier bevat een BSN; verwijder het BSN in ParnasSys.", "/dossier/leerling/bsn"),
            fout("OPP_ONTBREEKT", "Het OPP ontbreekt; voeg het OPP toe in de leerlingmap.", "bijlagen"),
        ],
    )
    code = generate_code("27ZX00")
    view = await codes.register(web_components.db, "27ZX00", "esis-productie", code, "test", swv_code="PO3008")
    await codes.activate(web_components.db, view.id, "test")
    opp = Document("OPP.pdf", pdf_document(), soort="opp")
    async with EsisSimulator(site, code) as esis:  # an authenticated request for another vestiging
        refused = await esis.create(aanvraag("27ZX01", documenten=[opp]), [opp])
    assert refused.status == 403
    secretariaat = await make_account(web_components, Role.SECRETARIAAT)
    async with browser_page(site, secretariaat) as page:
        await page.goto(f"{site}/wachtrij")
        door = page.locator("table.lijst tbody tr", has_text="De verificatiecode hoort bij vestiging 27ZX00")
        assert await door.count() == 1 and "27ZX00" in await door.inner_text()
        both = page.locator("table.lijst tbody tr", has_text="BSN")
        assert "Het OPP ontbreekt" in await both.inner_text()  # every reason, not only the first
        await save_screenshot(page, "wachtrij.png")
        await page.select_option("select[data-testid=reden-filter]", "OPP_ONTBREEKT")
        await page.click("button:has-text('Filteren')")
        await page.wait_for_load_state()
        assert await page.locator("table.lijst tbody tr").count() == 1
        # a refusal only the school can fix: the retry button says so before and on confirming
        await page.click("table.lijst tbody tr a")
        await page.wait_for_load_state()
        assert "alleen de school" in await page.inner_text("[data-testid=opnieuw-uitleg]")
        await page.click("button:has-text('Opnieuw aanbieden')")
        await page.wait_for_load_state()
        assert "alleen de school" in await page.inner_text("[data-testid=waarschuwing]")
        await page.goto(f"{site}/wachtrij/{data.waiting}")  # waiting for an outside system: no such warning
        assert await page.locator("[data-testid=opnieuw-uitleg]").count() == 0
    async with browser_page(site, await make_account(web_components, Role.MONITORING)) as page:
        await page.goto(f"{site}/wachtrij?reden=ESIS_VESTIGING_HOORT_NIET_BIJ_CODE")
        assert await page.locator("table.lijst tbody tr").count() == 1  # monitoring reads and filters
        await page.click("table.lijst tbody tr a")
        await page.wait_for_load_state()
        assert await page.locator("button:has-text('Opnieuw aanbieden')").count() == 0
        assert await page.locator("[data-testid=opnieuw-uitleg]").count() == 0


# -- 8. what the secretariaat needs all day ------------------------------------------------------------------


async def test_8_hulpvragen_show_overdue_bijlagen_and_labels_and_kengetallen_have_charts(
    web_components: Components, site: str
) -> None:
    await seed_queue(web_components)
    hv = await _first_hulpvraag(web_components)
    async with web_components.db.session() as s:
        await s.exec(
            update(Hulpvraag)
            .where(col(Hulpvraag.id) == hv.id)
            .values(created_at=utcnow() - dt.timedelta(days=10), labels=["spoed", "thuiszitter"])
        )
    secretariaat = await make_account(web_components, Role.SECRETARIAAT)
    monitoring = await make_account(web_components, Role.MONITORING)
    async with browser_page(site, secretariaat) as page:
        await page.goto(f"{site}/hulpvragen")
        row = page.locator("table.lijst tbody tr", has=page.locator(f"a[href='/hulpvragen/{hv.id}']"))
        assert "geen reactie" in await row.inner_text()
        assert await row.locator("[data-testid=bijlagen]").inner_text() == "2"
        await page.check("input[name=te_laat]")
        await page.fill("input[name=label]", "thuisz")
        await page.click("button:has-text('Filteren')")
        await page.wait_for_load_state()
        assert await page.locator("table.lijst tbody tr").count() == 1
        assert "helpdesk@swv-test.example" in await page.inner_text("footer")
        await page.goto(f"{site}/kengetallen")
        assert await page.locator(".grafiek svg").count() == 5
        assert "Jansen" not in await page.inner_text("main")
        await save_screenshot(page, "kengetallen.png")
    async with browser_page(site, monitoring) as page:
        await page.goto(f"{site}/kengetallen")
        assert await page.locator(".grafiek svg").count() == 5
        await page.goto(f"{site}/accounts")
        assert "Geen toegang" in await page.inner_text("h1")


async def test_8_the_secretariaat_manages_accounts_and_adds_one_vestiging_in_the_ui(
    web_components: Components, site: str
) -> None:
    secretariaat = await make_account(web_components, Role.SECRETARIAAT)
    colleague = await make_account(web_components, Role.MONITORING, "collega")
    async with browser_page(site, secretariaat) as page:
        await page.goto(f"{site}/accounts")
        await page.select_option("select[name=rol]", "schoolbeheerder")
        await page.fill("input[name=gebruikersnaam]", "ict")
        await page.fill("input[name=email]", "ict@klaverblad.example")
        await page.click("button:has-text('Account aanmaken')")
        await page.wait_for_load_state()
        assert "vul de BRIN4 in" in await page.inner_text("p.fout")
        assert await page.input_value("input[name=email]") == "ict@klaverblad.example"  # the form is kept
        await page.fill("input[name=organisatie]", "21KL")
        await page.click("button:has-text('Account aanmaken')")
        await page.wait_for_load_state()
        assert "is aangemaakt" in await page.inner_text("p.melding")
        assert await page.locator("tr[data-account='21KL/ict']").count() == 1
        row = f"tr[data-account='PO3008/{colleague.gebruikersnaam}']"
        await page.locator(row).locator("button:has-text('Tweestaps opnieuw instellen')").click()
        await page.click("button:has-text('Ja, doorgaan')")
        await page.wait_for_load_state()
        assert "nog niet" in await page.locator(row).inner_text()
        await page.locator(row).locator("button:has-text('Deactiveren')").click()
        await page.click("button:has-text('Ja, doorgaan')")
        await page.wait_for_load_state()
        assert "gedeactiveerd" in await page.locator(row).inner_text()
        await page.goto(f"{site}/audit")
        log = await page.inner_text("[data-testid=auditlog]")
        assert "Account aangemaakt" in log and "Account gedeactiveerd" in log and secretariaat.gebruikersnaam in log
        # one vestiging without a CSV file
        await page.goto(f"{site}/scholen/import")
        form = page.locator("[data-testid=een-vestiging]")
        await form.locator("input[name=brin6]").fill("21KL01")
        await form.locator("input[name=naam]").fill("Het Klaverblad locatie Zeilberg")
        await form.locator("input[name=gemeente]").fill("Deurne")
        await form.locator("input[name=routeringskenmerk]").fill("501")
        await form.locator("button:has-text('Vestiging toevoegen')").click()
        await page.wait_for_load_state()
        assert "toegevoegd" in await page.inner_text("[data-testid=verslag]")
        await page.goto(f"{site}/scholen")
        assert "21KL01" in await page.inner_text("main")
    async with browser_page(site, colleague) as page:  # the deactivated colleague cannot log in
        assert "/inloggen" in page.url
