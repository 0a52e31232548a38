"""Rows the ESIS intake wrote before hand-offs were typed and versioned (a ``meta`` dict, no
``handoff_version``) still process after the upgrade: a request and its update."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlmodel import col

from adapters.esis.simulator import Document, aanvraag, doc_document, pdf_document
from gateway.store.models import Bijlage, Exchange, Hulpvraag
from tests.esis.conftest import BRIN6, Gateway

OPP = Document("OPP-2025-ondertekend.pdf", pdf_document(), soort="opp")
VERSLAG = Document("Verslag-MDO-2025-03.doc", doc_document(), omschrijving="Verslag MDO")


async def _as_before_typed_handoffs(gw: Gateway, kind: str, old_meta: Any) -> None:
    async with gw.c.db.session() as s:
        await s.exec(update(Exchange).where(col(Exchange.kind) == kind).values(meta=old_meta, handoff_version=None))


async def _row(gw: Gateway, kind: str) -> Exchange:
    async with gw.c.db.reader() as s:
        return (await s.exec(select(Exchange).where(Exchange.kind == kind))).scalars().one()  # type: ignore[call-overload, arg-type]  # sqlmodel's exec()/select() overloads; SQLModel types a column as its Python value


async def test_an_aanvraag_and_a_wijziging_stored_as_the_old_meta_dict_still_process(gateway: Gateway) -> None:
    body = aanvraag(BRIN6, documenten=[OPP])
    async with gateway.esis() as esis:
        assert (await esis.create(body, [OPP])).status == 202
        new = await _row(gateway, "esis_aanvraag")
        assert new.handoff_version == 1
        # the meta dict exactly as the intake wrote it before this upgrade (its keys, no version)
        await _as_before_typed_handoffs(
            gateway,
            "esis_aanvraag",
            {
                "esis_request_key": new.meta["esis_request_key"],
                "omgeving": new.meta["omgeving"],
                "code_id": new.meta["code_id"],
                "vingerafdruk": new.meta["vingerafdruk"],
                "inhoud_sha256": new.meta["inhoud_sha256"],
                "idempotency_key": None,
                "aanvraag": dict(new.meta["aanvraag"]),
                "documenten": [dict(d) for d in new.meta["documenten"]],
            },
        )
        assert (await _row(gateway, "esis_aanvraag")).handoff_version is None
        assert await gateway.drain() == 1

        r = await esis.update(body["esis_aanvraag_id"], omschrijving="Nieuw", add=[VERSLAG], idempotency_key="w-1")
        assert r.status == 202, r.body
        new = await _row(gateway, "esis_wijziging")
        await _as_before_typed_handoffs(
            gateway,
            "esis_wijziging",
            {
                "esis_request_key": new.meta["esis_request_key"],
                "aanvraag_id": body["esis_aanvraag_id"],
                "omgeving": new.meta["omgeving"],
                "code_id": new.meta["code_id"],
                "vingerafdruk": new.meta["vingerafdruk"],
                "inhoud_sha256": new.meta["inhoud_sha256"],
                "idempotency_key": "w-1",
                "omschrijving": "Nieuw",
                "verwijder": [],
                "documenten": [dict(d) for d in new.meta["documenten"]],
            },
        )
        assert await gateway.drain() == 1
    async with gateway.c.db.reader() as s:
        [hv] = list((await s.exec(select(Hulpvraag))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        bijlagen = [b.bestandsnaam for b in (await s.exec(select(Bijlage).order_by(Bijlage.id))).scalars()]  # type: ignore[call-overload, arg-type]  # sqlmodel's exec()/select() overloads; SQLModel types a column as its Python value
    assert (hv.aanvraagtype, hv.omschrijving, hv.leerlingid) == ("Aanvraag TLV", "Nieuw", "ESIS-LL-4711")
    assert bijlagen == ["OPP-2025-ondertekend.pdf", "Verslag-MDO-2025-03.doc"]
    for kind in ("esis_aanvraag", "esis_wijziging"):
        assert (await _row(gateway, kind)).state == "verwerkt"
