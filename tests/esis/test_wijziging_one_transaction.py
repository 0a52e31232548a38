"""An ESIS wijziging is decided in the transaction that stores it (adapters/esis/wijziging.py).

Two updates of one request are processed side by side: the first one's handler has run (before the split,
it had decided there what to withdraw and what to add, on the request as it was then), and before its
outcome is stored the second update is processed entirely. The first one must still be decided on the
request as stored when it is written — otherwise a document the school withdrew comes back without the
warning the rules ask for, or a withdrawal is counted twice.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from adapters.esis.simulator import Document, aanvraag, docx_document, pdf_document
from gateway.app import WORKERS
from gateway.errors import Transient
from gateway.pipeline.contracts import ClaimedExchange, HulpvraagDraft, StepRecorder
from gateway.store.models import AuditEntry, Bijlage, Exchange, Hulpvraag
from tests.esis.conftest import BRIN6, Gateway

OPP = Document("OPP-2025-ondertekend.pdf", pdf_document(), soort="opp")
PLAN = Document("Handelingsplan-rekenen.docx", docx_document(), omschrijving="Handelingsplan rekenen")


class _SecondUpdateFirst:
    """The ESIS handler, except that right after the first update's handler returns — before its outcome is
    stored — every other due exchange is processed to the end."""

    def __init__(self, gateway: Gateway, inner: Any) -> None:
        self.gateway, self.inner, self.interleaved = gateway, inner, 0

    async def handle(self, exchange: ClaimedExchange, steps: StepRecorder) -> HulpvraagDraft:
        draft: HulpvraagDraft = await self.inner.handle(exchange, steps)
        if not self.interleaved:
            self.interleaved = 1
            self.interleaved += await self.gateway.drain()
        return draft

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def _interleaved(gateway: Gateway) -> _SecondUpdateFirst:
    workers = gateway.app[WORKERS]
    wrapped = _SecondUpdateFirst(gateway, workers.handlers["esis_wijziging"])
    workers.handlers["esis_wijziging"] = wrapped  # a test double around the real handler
    return wrapped


async def _findings(gateway: Gateway, key_part: str) -> list[str]:
    async with gateway.c.db.reader() as s:
        rows = (await s.exec(select(Exchange).where(col(Exchange.key).contains(key_part)))).all()
        return [f["code"] for e in rows for f in e.findings]


async def test_a_document_withdrawn_meanwhile_is_not_taken_back_by_an_update_decided_before(gateway: Gateway) -> None:
    body = aanvraag(BRIN6, documenten=[OPP, PLAN])
    async with gateway.esis() as esis:
        assert (await esis.create(body, [OPP, PLAN])).status == 202
        assert await gateway.drain() == 1
        wrapped = await _interleaved(gateway)
        resend = await esis.update(body["esis_aanvraag_id"], add=[PLAN], idempotency_key="opnieuw")
        withdraw = await esis.update(
            body["esis_aanvraag_id"], remove=[{"bestandsnaam": PLAN.bestandsnaam}], idempotency_key="intrekken"
        )
        assert resend.status == withdraw.status == 202
        assert await gateway.drain() == 1  # the re-send; the withdrawal went in between
        st = await esis.status(body["esis_aanvraag_id"])
    assert wrapped.interleaved == 2
    assert [u["status"] for u in st.body["uitwisselingen"]] == ["verwerkt", "verwerkt", "verwerkt"]
    documenten = {d["bestandsnaam"]: d["ingetrokken"] for d in st.body["hulpvraag"]["documenten"]}
    assert documenten == {OPP.bestandsnaam: False, PLAN.bestandsnaam: True}
    assert "ESIS_DOCUMENT_EERDER_INGETROKKEN" in await _findings(gateway, ":w:")


async def test_a_withdrawal_done_meanwhile_is_not_done_twice(gateway: Gateway) -> None:
    body = aanvraag(BRIN6, documenten=[OPP, PLAN])
    async with gateway.esis() as esis:
        assert (await esis.create(body, [OPP, PLAN])).status == 202
        assert await gateway.drain() == 1
        await _interleaved(gateway)
        for key in ("eerste", "tweede"):
            r = await esis.update(
                body["esis_aanvraag_id"], remove=[{"bestandsnaam": PLAN.bestandsnaam}], idempotency_key=key
            )
            assert r.status == 202
        assert await gateway.drain() == 1
    async with gateway.c.db.reader() as s:
        audits = (await s.exec(select(AuditEntry).where(col(AuditEntry.action) == "hulpvraag_bijgewerkt"))).all()
        withdrawn = sorted(a.details["bijlagen_ingetrokken"] for a in audits)
        plan = (await s.exec(select(Bijlage).where(col(Bijlage.bestandsnaam) == PLAN.bestandsnaam))).one()
    assert withdrawn == [0, 1]  # withdrawn once; the update decided later found it gone
    assert plan.removed is True
    assert (await _findings(gateway, ":w:")).count("ESIS_DOCUMENT_NIET_GEVONDEN") == 1


class _WaitsOnce:
    def __init__(self, inner: Any) -> None:
        self.inner, self.calls = inner, 0

    async def handle(self, exchange: ClaimedExchange, steps: StepRecorder) -> HulpvraagDraft:
        self.calls += 1
        if self.calls == 1:
            raise Transient("het LAS is even weg", waiting_for="las")
        draft: HulpvraagDraft = await self.inner.handle(exchange, steps)
        return draft

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_an_update_of_a_request_not_stored_yet_waits_and_leaves_nothing_then_lands(gateway: Gateway) -> None:
    workers = gateway.app[WORKERS]
    workers.handlers["esis_aanvraag"] = _WaitsOnce(workers.handlers["esis_aanvraag"])
    body = aanvraag(BRIN6, documenten=[OPP, PLAN])
    async with gateway.esis() as esis:
        created = await esis.create(body, [OPP, PLAN])
        update = await esis.update(body["esis_aanvraag_id"], omschrijving="Nieuw", idempotency_key="vroeg")
        assert await gateway.drain() == 2  # the request waits for its LAS, so the update finds no hulpvraag
        async with gateway.c.db.reader() as s:
            waiting = (await s.exec(select(Exchange).where(col(Exchange.id) == update.body["uitwisseling_id"]))).one()
            assert (waiting.state, waiting.waiting_for) == ("wacht_op_herhaling", "esis_aanvraag")
            assert (await s.exec(select(Hulpvraag))).all() == []
            assert (await s.exec(select(AuditEntry).where(col(AuditEntry.object_type) == "hulpvraag"))).all() == []
        ids = [created.body["uitwisseling_id"], update.body["uitwisseling_id"]]
        assert await gateway.c.inbox.retry_now(ids, "test") == 2
        assert await gateway.drain() == 2
        st = await esis.status(body["esis_aanvraag_id"])
    assert [u["status"] for u in st.body["uitwisselingen"]] == ["verwerkt", "verwerkt"]
    assert st.body["hulpvraag"]["omschrijving"] == "Nieuw"
