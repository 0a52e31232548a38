"""Verificatiecodes, koppelcheck and the registry from a school's and the secretariaat's side: a school sees
and acts only on its own vestigingen; a code is shown once, then only its fingerprint."""

from __future__ import annotations

import datetime as dt
import re

from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlmodel import col

from gateway.components import Components
from gateway.store.models import Mandaat
from gateway.store.models.accounts import Role
from gateway.store.models.codes import CodeState, Verificatiecode
from gateway.web.pages.codes import generate_code
from gateway.web.pages.registry import mandate_state
from tests.web.support import login, make_account, post_form


async def _codes(c: Components) -> list[Verificatiecode]:
    async with c.db.reader() as s:
        return list((await s.exec(select(Verificatiecode).order_by(col(Verificatiecode.id)))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


def test_a_generated_code_meets_the_handbook_rule() -> None:
    code = generate_code("27zx01")
    assert code.startswith("27ZX01") and 20 <= len(code) <= 50 and " " not in code


def test_mandate_states() -> None:
    today = dt.date(2025, 9, 1)

    def m(start: str, end: str | None) -> Mandaat:
        return Mandaat(
            brin4="14SS",
            systeem="ParnasSys",
            service="x",
            start_date=dt.date.fromisoformat(start),
            end_date=dt.date.fromisoformat(end) if end else None,
        )

    assert mandate_state("ParnasSys", [m("2024-01-01", None)], today).state == "geldig"
    assert mandate_state("ParnasSys", [m("2024-01-01", "2025-01-01")], today).state == "verlopen"
    assert mandate_state("ParnasSys", [m("2026-01-01", None)], today).state == "toekomstig"
    assert mandate_state("Kindkans", [m("2024-01-01", None)], today).state == "ontbreekt"


async def test_a_school_registers_a_code_shown_once_and_the_secretariaat_activates_it(
    client: TestClient, web_components: Components
) -> None:
    school = await make_account(web_components, Role.SCHOOLBEHEERDER, brin4="27ZX")
    assert await login(client, school) == 303
    code = "27ZX01-onze-eigen-code-2025"
    resp = await post_form(
        client,
        "/verificatiecodes",
        {"brin6": "27ZX01", "omgeving": "productie", "code": code, "email": "ict@dewilg.example"},
        page="/verificatiecodes",
    )
    html = await resp.text()
    assert resp.status == 200 and code in html
    (row,) = await _codes(web_components)
    assert row.state == CodeState.AANGEMELD.value and code not in row.code_hash
    later = await (await client.get("/verificatiecodes")).text()
    assert code not in later and row.fingerprint in later
    assert "Activeren" not in later  # a school cannot activate
    other = await post_form(
        client, "/verificatiecodes", {"brin6": "14SS00", "code": "14SS00-niet-van-ons-123"}, page="/verificatiecodes"
    )
    assert other.status == 400 and len(await _codes(web_components)) == 1
    assert (await post_form(client, f"/verificatiecodes/{row.id}/activeren", page="/verificatiecodes")).status == 403
    await post_form(client, "/uitloggen", page="/verificatiecodes")

    assert await login(client, await make_account(web_components, Role.SECRETARIAAT)) == 303
    listing = await (await client.get("/verificatiecodes")).text()
    assert row.fingerprint in listing and code not in listing
    resp = await post_form(
        client, f"/verificatiecodes/{row.id}/activeren", {"bevestigd": "ja"}, page="/verificatiecodes"
    )
    assert resp.status == 303
    assert (await _codes(web_components))[0].state == CodeState.ACTIEF.value


async def test_an_invalid_code_is_refused_with_the_rule_in_dutch(
    client: TestClient, web_components: Components
) -> None:
    assert await login(client, await make_account(web_components, Role.SCHOOLBEHEERDER, brin4="27ZX")) == 303
    resp = await post_form(
        client, "/verificatiecodes", {"brin6": "27ZX00", "code": "27ZX00-kort"}, page="/verificatiecodes"
    )
    assert resp.status == 400 and "20" in await resp.text()
    assert await _codes(web_components) == []


async def test_the_secretariaat_rotates_an_active_code_and_sees_the_new_one_once(
    client: TestClient, web_components: Components
) -> None:
    assert await login(client, await make_account(web_components, Role.SECRETARIAAT)) == 303
    await post_form(client, "/verificatiecodes", {"brin6": "09QA00", "code": ""}, page="/verificatiecodes")
    (first,) = await _codes(web_components)
    await post_form(client, f"/verificatiecodes/{first.id}/activeren", {"bevestigd": "ja"}, page="/verificatiecodes")
    resp = await post_form(client, f"/verificatiecodes/{first.id}/vervangen", {"code": ""}, page="/verificatiecodes")
    html = await resp.text()
    shown = re.search(r'data-testid="code">([^<]+)<', html)
    assert shown and shown.group(1).startswith("09QA00")
    old, new = await _codes(web_components)
    assert old.state == CodeState.INGETROKKEN.value and new.state == CodeState.ACTIEF.value


async def test_a_school_sees_only_its_own_vestigingen_in_registry_and_koppelcheck(
    client: TestClient, web_components: Components
) -> None:
    assert await login(client, await make_account(web_components, Role.SCHOOLBEHEERDER, brin4="14SS")) == 303
    registry = await (await client.get("/scholen")).text()
    assert "14SS01" in registry and "27ZX00" not in registry and "Eline Hansen" in registry
    overview = await (await client.get("/koppelcheck")).text()
    assert "/koppelcheck/14SS00" in overview and "/koppelcheck/27ZX00" not in overview
    assert (await client.get("/koppelcheck/14SS00")).status == 200
    assert (await client.get("/koppelcheck/27ZX00")).status == 404


async def test_the_secretariaat_sees_every_vestiging_with_mandates(
    client: TestClient, web_components: Components
) -> None:
    async with web_components.db.session() as s:
        s.add(Mandaat(brin4="14SS", systeem="ParnasSys", service="urn:oso-swv", start_date=dt.date(2020, 1, 1)))
    assert await login(client, await make_account(web_components, Role.SECRETARIAAT)) == 303
    html = await (await client.get("/scholen")).text()
    for brin6 in ("14SS00", "14SS01", "21KL00", "27ZX00", "27ZX01", "30TV00", "09QA00"):
        assert brin6 in html
    assert "ParnasSys: Geldig" in html and "Kindkans: Ontbreekt" in html
    assert (await client.get("/koppelcheck/27ZX00")).status == 200


async def test_the_koppelcheck_page_renders_the_report_with_what_to_do_next(
    client: TestClient, web_components: Components
) -> None:
    from gateway.registry.koppelcheck import koppelcheck

    assert await login(client, await make_account(web_components, Role.SCHOOLBEHEERDER, brin4="14SS")) == 303
    html = await (await client.get("/koppelcheck/14ss00")).text()
    report = await koppelcheck(web_components, "14SS00")
    assert ("Klaar:" in html) is report.ready
    for line in report.lines:
        assert line.check in html
        if line.action:
            assert line.action.split(".")[0].replace("'", "&#39;").replace('"', "&#34;") in html


async def test_fetching_mandates_when_the_osr_does_not_answer_keeps_the_stored_ones_and_says_so(
    client: TestClient, web_components: Components
) -> None:
    from gateway.errors import Transient

    class DownOsr:
        async def mandates_for(self, brin4: str, reference_date: dt.date, *, force: bool = False) -> object:
            raise Transient("OSR onbereikbaar", waiting_for="osr")

    assert await login(client, await make_account(web_components, Role.SECRETARIAAT)) == 303
    missing = await post_form(client, "/koppelcheck/14SS00/mandaten-ophalen", page="/koppelcheck")
    assert missing.status == 503 and "niet ingesteld" in await missing.text()
    web_components.extras["mandate_lookup"] = DownOsr()
    page = await (await client.get("/koppelcheck/14SS00")).text()
    assert "Mandaten nu ophalen" in page
    down = await post_form(client, "/koppelcheck/14SS00/mandaten-ophalen", page="/koppelcheck")
    html = await down.text()
    assert down.status == 503 and "Het OSR antwoordde niet" in html
    async with web_components.db.reader() as s:
        assert list((await s.exec(select(Mandaat))).scalars()) == []  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
