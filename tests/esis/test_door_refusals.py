"""Refusals at the ESIS door of an authenticated sender appear in the queue (vestiging, reason, no payload);
refusals of an unknown or missing code do not (they name no school we can trust). And the ESIS side reads the
status the secretariaat chose from the catalogue."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from adapters.esis.door import DOOR_KIND
from adapters.esis.simulator import Document, aanvraag, pdf_document
from gateway.store.models import Exchange
from tests.esis.conftest import BRIN6, CODE, OTHER_BRIN6, Gateway

OPP = Document("OPP-2025-ondertekend.pdf", pdf_document(), soort="opp")


async def _exchanges(gateway: Gateway) -> list[Exchange]:
    async with gateway.c.db.reader() as s:
        return list((await s.exec(select(Exchange).order_by(col(Exchange.id)))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def test_an_authenticated_refusal_is_recorded_without_payload(gateway: Gateway) -> None:
    async with gateway.esis(CODE) as esis:
        wrong_vestiging = await esis.create(aanvraag(OTHER_BRIN6, documenten=[OPP]), [OPP])
        wrong_swv = await esis.create(aanvraag(BRIN6, swv_code="PO9999", documenten=[OPP]), [OPP])
    assert (wrong_vestiging.status, wrong_swv.status) == (403, 422)
    first, second = await _exchanges(gateway)
    assert first.kind == DOOR_KIND and first.source == "esis" and first.brin6 == BRIN6
    assert first.state == "geweigerd" and first.payload == b"" and first.payload_purged
    assert first.findings[0]["code"] == "ESIS_VESTIGING_HOORT_NIET_BIJ_CODE"
    assert first.meta["http_status"] == 403 and "aanvraag" not in first.meta
    assert first.meta["aanvraagtype"] == "Aanvraag TLV"  # what the request named, no pupil data
    assert second.findings[0]["code"] == "ESIS_SWV_ONBEKEND"


async def test_an_unknown_code_leaves_nothing_in_the_queue(gateway: Gateway) -> None:
    async with gateway.esis("27ZX00-deze-code-bestaat-niet") as esis:
        r = await esis.create(aanvraag(BRIN6, documenten=[OPP]), [OPP])
    assert r.status == 401
    assert await _exchanges(gateway) == []


async def test_the_esis_side_reads_a_catalogue_status_change_through_its_status_endpoint(gateway: Gateway) -> None:
    from gateway.pipeline.status import change_status

    body = aanvraag(BRIN6, documenten=[OPP])
    async with gateway.esis(CODE) as esis:
        assert (await esis.create(body, [OPP])).status == 202
        await gateway.drain()
        async with gateway.c.db.reader() as s:
            hv_id = (await s.exec(select(col(Exchange.hulpvraag_id)))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        await change_status(
            gateway.c.db, hv_id, "TLV>aanvraag", actor="test:secretariaat", hooks=gateway.c.status_hooks
        )
        st = await esis.status(body["esis_aanvraag_id"])
    assert st.status == 200 and st.body["hulpvraag"]["status"] == "TLV>aanvraag"
