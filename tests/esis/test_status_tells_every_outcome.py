"""The ESIS status endpoint tells how every accepted request ended — also a refusal after the 202 answer (by
the worker, or by the secretariaat after it was held) and a request held for the secretariaat."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlmodel import col

from adapters.esis.simulator import Document, aanvraag, pdf_document
from gateway.app import WORKERS
from gateway.pipeline.store_draft import clear_catalogue_cache
from gateway.store.models import Aanvraagtype, Exchange
from gateway.web.pages.actions import refuse_exchange
from tests.esis.conftest import BRIN6, Gateway

OPP = Document("OPP-2025-ondertekend.pdf", pdf_document(), soort="opp")


async def _accepted(gateway: Gateway) -> str:
    body = aanvraag(BRIN6, documenten=[OPP])
    async with gateway.esis() as esis:
        r = await esis.create(body, [OPP])
    assert r.status == 202, r.body
    return str(body["esis_aanvraag_id"])


async def _uitkomst(gateway: Gateway, aanvraag_id: str) -> dict[str, Any]:
    async with gateway.esis() as esis:
        st = await esis.status(aanvraag_id)
    assert st.status == 200, st.body
    return st.body["uitkomst"]


async def test_a_processed_request_says_verwerkt_with_its_hulpvraag(gateway: Gateway) -> None:
    aanvraag_id = await _accepted(gateway)
    assert (await _uitkomst(gateway, aanvraag_id))["status"] == "in_behandeling"
    await gateway.drain()
    u = await _uitkomst(gateway, aanvraag_id)
    assert (
        u["status"] == "verwerkt" and u["afgerond"] is True and str(u["bericht"]).startswith("Verwerkt als hulpvraag")
    )


async def test_a_request_refused_by_the_worker_after_the_202_says_geweigerd_and_why(gateway: Gateway) -> None:
    aanvraag_id = await _accepted(gateway)
    async with gateway.c.db.session() as s:  # the SWV's catalogue changed between intake and processing
        await s.exec(update(Aanvraagtype).where(col(Aanvraagtype.naam) == "Aanvraag TLV").values(via_las=False))
    clear_catalogue_cache()
    await gateway.drain()
    u = await _uitkomst(gateway, aanvraag_id)
    assert u["status"] == "geweigerd" and u["afgerond"] is True
    assert u["bevindingen"] and u["bericht"] == u["bevindingen"][0]["message"]


async def test_a_request_given_up_is_held_and_a_refusal_by_the_secretariaat_is_told(gateway: Gateway) -> None:
    aanvraag_id = await _accepted(gateway)
    gateway.app[WORKERS].max_attempts = 0  # the first attempt is already one too many: given up
    await gateway.drain()
    u = await _uitkomst(gateway, aanvraag_id)
    assert u["status"] == "vastgehouden" and u["afgerond"] is False
    assert "secretariaat" in str(u["bericht"])
    async with gateway.c.db.reader() as s:
        ex = (await s.exec(select(Exchange))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    await refuse_exchange(
        gateway.c, ex.id, "Deze leerling staat niet bij ons ingeschreven.", actor="secretariaat", swv_code="PO3008"
    )
    u = await _uitkomst(gateway, aanvraag_id)
    assert u["status"] == "geweigerd" and u["afgerond"] is True
    assert "niet bij ons ingeschreven" in str(u["bericht"])
