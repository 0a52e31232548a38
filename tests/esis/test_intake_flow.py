"""A new ESIS request becomes a hulpvraag with bijlagen; updates land on the same hulpvraag."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from adapters.esis.simulator import Document, aanvraag, doc_document, docx_document, pdf_document
from gateway.store.models import AuditEntry, Bijlage, Exchange, Hulpvraag
from tests.esis.conftest import BRIN6, Gateway

OPP = Document("OPP-2025-ondertekend.pdf", pdf_document(), soort="opp")
PLAN = Document("Handelingsplan-rekenen.docx", docx_document(), omschrijving="Handelingsplan rekenen")


async def _hulpvragen(gw: Gateway) -> list[Hulpvraag]:
    async with gw.c.db.reader() as s:
        return list((await s.exec(select(Hulpvraag))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def _bijlagen(gw: Gateway, hv_id: int) -> list[Bijlage]:
    async with gw.c.db.reader() as s:
        return list(
            (
                await s.exec(select(Bijlage).where(col(Bijlage.hulpvraag_id) == hv_id).order_by(col(Bijlage.id)))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            ).scalars()
        )


async def test_new_request_becomes_hulpvraag_with_bijlagen(gateway: Gateway) -> None:
    body = aanvraag(BRIN6, documenten=[OPP, PLAN])
    async with gateway.esis() as esis:
        r = await esis.create(body, [OPP, PLAN])
        assert r.status == 202, r.body
        assert r.body["status_url"] == f"/esis/v1/aanvragen/{body['esis_aanvraag_id']}"
        assert await gateway.drain() == 1
        st = await esis.status(body["esis_aanvraag_id"])
    [hv] = await _hulpvragen(gateway)
    assert hv.source_system == "esis"
    assert hv.aanvraagtype == "Aanvraag TLV"
    assert hv.status == "TLV>voorlopige aanvraag"
    assert hv.coordinator == "Kristel Bohte"  # Geldrop-Mierlo → kring Geldrop-Mierlo, Heeze, Nuenen
    assert (hv.source_system, hv.request_key) == ("esis", f"{BRIN6}/esis-eenbes:{body['esis_aanvraag_id']}")
    assert hv.leerlingid == "ESIS-LL-4711"
    assert hv.id is not None
    bijlagen = await _bijlagen(gateway, hv.id)
    assert [(b.bestandsnaam, b.role, b.detected_type) for b in bijlagen] == [
        ("OPP-2025-ondertekend.pdf", "opp", "pdf"),
        ("Handelingsplan-rekenen.docx", "overig", "docx"),
    ]
    assert gateway.c.blobs.exists(bijlagen[0].blob_key)
    assert st.status == 200
    assert st.body["uitwisselingen"][0]["status"] == "verwerkt"
    assert st.body["hulpvraag"]["status"] == "TLV>voorlopige aanvraag"
    assert len(st.body["hulpvraag"]["documenten"]) == 2


async def test_update_adds_and_removes_documents_and_changes_omschrijving_on_same_hulpvraag(gateway: Gateway) -> None:
    body = aanvraag(BRIN6, documenten=[OPP, PLAN])
    verslag = Document("Verslag-MDO-2025-03.doc", doc_document(), omschrijving="Verslag MDO")
    async with gateway.esis() as esis:
        assert (await esis.create(body, [OPP, PLAN])).status == 202
        await gateway.drain()
        r = await esis.update(
            body["esis_aanvraag_id"],
            omschrijving="Nieuwe omschrijving",
            add=[verslag],
            remove=[{"bestandsnaam": "Handelingsplan-rekenen.docx"}],
            idempotency_key="wijziging-1",
        )
        assert r.status == 202, r.body
        assert await gateway.drain() == 1
        st = await esis.status(body["esis_aanvraag_id"])
    [hv] = await _hulpvragen(gateway)
    assert hv.omschrijving == "Nieuwe omschrijving"
    assert any(f["code"] == "ESIS_OMSCHRIJVING_GEWIJZIGD" for f in hv.findings)
    assert hv.id is not None
    bijlagen = {b.bestandsnaam: b for b in await _bijlagen(gateway, hv.id)}
    assert bijlagen["Handelingsplan-rekenen.docx"].removed is True
    assert bijlagen["Verslag-MDO-2025-03.doc"].detected_type == "doc"
    assert bijlagen["OPP-2025-ondertekend.pdf"].removed is False
    async with gateway.c.db.reader() as s:
        actions = [
            a.action
            for a in (await s.exec(select(AuditEntry).where(col(AuditEntry.object_type) == "hulpvraag"))).scalars()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        ]
    assert actions == ["hulpvraag_aangemaakt", "hulpvraag_bijgewerkt"]
    assert [u["soort"] for u in st.body["uitwisselingen"]] == ["aanvraag", "wijziging"]
    assert {d["bestandsnaam"]: d["ingetrokken"] for d in st.body["hulpvraag"]["documenten"]} == {
        "OPP-2025-ondertekend.pdf": False,
        "Handelingsplan-rekenen.docx": True,
        "Verslag-MDO-2025-03.doc": False,
    }


async def test_retried_create_returns_first_result_and_makes_one_hulpvraag(gateway: Gateway) -> None:
    body = aanvraag(BRIN6, documenten=[OPP])
    async with gateway.esis() as esis:
        first = await esis.create(body, [OPP])
        again = await esis.create(body, [OPP])
        await gateway.drain()
        after = await esis.create(body, [OPP])
    assert first.status == again.status == after.status == 202
    assert first.body["uitwisseling_id"] == again.body["uitwisseling_id"] == after.body["uitwisseling_id"]
    assert again.body["herhaald"] is True and again.headers.get("Idempotent-Replay") == "true"
    assert after.body["status"] == "verwerkt"
    assert len(await _hulpvragen(gateway)) == 1
    async with gateway.c.db.reader() as s:
        assert len(list((await s.exec(select(Exchange))).scalars())) == 1  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def test_retried_update_with_same_idempotency_key_is_applied_once(gateway: Gateway) -> None:
    body = aanvraag(BRIN6, documenten=[OPP])
    extra = Document("Verslag-MDO.pdf", pdf_document("MDO"))
    async with gateway.esis() as esis:
        await esis.create(body, [OPP])
        await gateway.drain()
        a = await esis.update(body["esis_aanvraag_id"], add=[extra], idempotency_key="k-1")
        b = await esis.update(body["esis_aanvraag_id"], add=[extra], idempotency_key="k-1")
        other = await esis.update(body["esis_aanvraag_id"], omschrijving="iets anders", idempotency_key="k-1")
    assert a.body["uitwisseling_id"] == b.body["uitwisseling_id"]
    assert other.status == 409 and other.code == "ESIS_IDEMPOTENCY_KEY_HERGEBRUIKT"


async def test_same_request_id_with_other_content_is_refused(gateway: Gateway) -> None:
    body = aanvraag(BRIN6, documenten=[OPP])
    async with gateway.esis() as esis:
        await esis.create(body, [OPP])
        r = await esis.create({**body, "omschrijving": "anders"}, [OPP])
    assert r.status == 409 and r.code == "ESIS_AANVRAAG_AL_ONTVANGEN"
