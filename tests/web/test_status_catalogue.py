"""Statuses come from the SWV's catalogue: a free-text or out-of-order status is refused with one Dutch
message (the form kept, no success banner), is not stored and is never sent to the school."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlmodel import col

from gateway.components import Components
from gateway.pipeline.status_catalogue import load_catalogue
from gateway.store.models import Hulpvraag, OutboxMessage, Swv
from gateway.store.models.accounts import Role
from gateway.store.seed import CATALOGUE
from gateway.store.status_seed import STATUS_FLOWS, transition_rows
from tests.web.factories import seed_queue
from tests.web.support import login, make_account, post_form
from verification.status_flow import StatusCatalogue


def _catalogue() -> StatusCatalogue:
    return StatusCatalogue({n: c for n, (c, _) in STATUS_FLOWS.items()}, frozenset(transition_rows()))


def test_the_handbook_flows_cover_every_first_status_of_the_aanvraagtypes() -> None:
    first = {status for _, _, _, status in CATALOGUE if status}
    assert first <= set(STATUS_FLOWS)
    for phase in ("TLV>", "TLV verlenging>", "Kans!overleg>", "Residentieel>", "Thuiszitter>", "MKD>"):
        assert any(name.startswith(phase) for name in STATUS_FLOWS), phase
    cat = _catalogue()
    for status in first:  # a new request can always reach its flow's first status
        assert status in cat.allowed_from("Nieuw>te classificeren")


def test_a_status_outside_the_catalogue_or_the_flow_is_refused() -> None:
    cat = _catalogue()
    assert cat.check("TLV>voorlopige aanvraag", "TLV>aanvraag") is None
    assert (f := cat.check("TLV>voorlopige aanvraag", "Onzin status")) and f.code == "STATUS_ONBEKEND"
    assert (f := cat.check("TLV>voorlopige aanvraag", "  ")) and f.code == "STATUS_LEEG"
    skip = cat.check("TLV>voorlopige aanvraag", "TLV>in archief")
    assert skip is not None and skip.code == "STATUS_OVERGANG_NIET_TOEGESTAAN" and "TLV>aanvraag" in skip.message
    assert (f := cat.check("TLV>aanvraag", "TLV>aanvraag")) and f.code == "STATUS_ONGEWIJZIGD"
    assert "Afgesloten" in cat.allowed_from("Residentieel>volgen")
    assert cat.allowed_from("Afgesloten") == []


async def test_the_store_holds_the_seeded_catalogue(web_components: Components) -> None:
    async with web_components.db.reader() as s:
        swv_id = (await s.exec(select(col(Swv.id)).where(col(Swv.code) == "PO3008"))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        cat = await load_catalogue(s, swv_id)
    assert cat.allowed_from("TLV verlenging>aanvraag") == [
        "TLV verlenging>aanvraag aanvulling nodig",
        "TLV verlenging>afgegeven",
        "TLV verlenging>afgewezen",
        "Afgesloten",
    ]


async def test_a_free_text_status_is_refused_on_the_page_and_not_sent(
    client: TestClient, web_components: Components
) -> None:
    await seed_queue(web_components)
    async with web_components.db.reader() as s:
        hv = (await s.exec(select(Hulpvraag).order_by(col(Hulpvraag.id)))).scalars().first()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert await login(client, await make_account(web_components, Role.SECRETARIAAT)) == 303
    page = await (await client.get(f"/hulpvragen/{hv.id}")).text()
    assert '<option value="TLV&gt;aanvraag"' in page and "Onzin" not in page
    for status, expected in (("Onzin status", "staat niet in de statuslijst"), ("", "Kies een nieuwe status")):
        resp = await post_form(
            client, f"/hulpvragen/{hv.id}/status", {"status": status, "toelichting": "bewaard"}, page="/hulpvragen"
        )
        html = await resp.text()
        assert resp.status == 400
        assert html.count(expected) == 1 and 'class="melding"' not in html
        assert ">bewaard</textarea>" in html  # the form is kept
    async with web_components.db.reader() as s:
        row = (await s.exec(select(Hulpvraag).where(Hulpvraag.id == hv.id))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        sent = list(
            (await s.exec(select(OutboxMessage).where(col(OutboxMessage.kind) == "oso_terugkoppeling"))).scalars()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        )
    assert row.status == hv.status and sent == []
