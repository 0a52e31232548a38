"""The ESIS exchange handler: turns a stored intake into a `HulpvraagDraft` for the core pipeline.

A new request becomes a draft with ``request_key`` = the ESIS request key; the core keeps it opaquely with
the hulpvraag and its "same request" rule finds the hulpvraag by it, so every later update lands on the same
hulpvraag. An update (`adapters.esis.wijziging`) carries only what changes: new bijlagen, withdrawn ones and
a new omschrijving, decided against the stored request in the transaction that stores it; the core keeps
the history (audit, statushistorie, the exchange timeline), and the previous omschrijving is kept as a note
on the hulpvraag.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from adapters.esis.handoff import KIND_WIJZIGING, EsisAanvraagHandoff, EsisWijzigingHandoff, HandoffDocument
from adapters.esis.refusals import refusal
from adapters.esis.wijziging import EsisWijziging
from gateway.components import Components
from gateway.errors import Refusal
from gateway.pipeline.contracts import BijlageDraft, ClaimedExchange, HulpvraagDraft, PupilIdentity, StepRecorder

__all__ = ["EsisExchangeHandler"]


def _bijlagen(documenten: Iterable[HandoffDocument]) -> tuple[BijlageDraft, ...]:
    return tuple(
        BijlageDraft(
            bestandsnaam=d.bestandsnaam,
            role=d.soort,
            blob_key=d.blob_key,
            size=d.size,
            sha256=d.sha256,
            detected_type=d.detected_type,
            omschrijving=d.omschrijving,
            findings=d.findings,
        )
        for d in documenten
    )


class EsisExchangeHandler:
    def __init__(self, c: Components) -> None:
        self.c = c

    async def handle(self, exchange: ClaimedExchange, steps: StepRecorder) -> HulpvraagDraft:
        handoff: EsisAanvraagHandoff | EsisWijzigingHandoff
        if exchange.kind == KIND_WIJZIGING:
            handoff = exchange.handoff(EsisWijzigingHandoff)
        else:
            handoff = exchange.handoff(EsisAanvraagHandoff)
        for d in handoff.documenten:
            if not self.c.blobs.exists(d.blob_key):
                raise Refusal([refusal("ESIS_DOCUMENT_KWIJT", "documenten", naam=d.bestandsnaam)])
        if isinstance(handoff, EsisWijzigingHandoff):
            return await self._wijziging(exchange, handoff, steps)
        return await self._aanvraag(exchange, handoff, steps)

    async def _aanvraag(
        self, exchange: ClaimedExchange, handoff: EsisAanvraagHandoff, steps: StepRecorder
    ) -> HulpvraagDraft:
        a = handoff.aanvraag
        leerling = a.leerling
        await steps.step(
            "esis_aanvraag", f"ESIS-aanvraag {a.aanvraag_id} omgezet naar een hulpvraag.", with_outcome=True
        )
        return HulpvraagDraft(
            swv_code=exchange.swv_code,
            brin6=str(exchange.brin6),
            pupil=PupilIdentity(
                leerlingid=leerling.get("leerlingid"),
                voornaam=leerling.get("voornaam"),
                achternaam=leerling.get("achternaam"),
                geboortedatum=dt.date.fromisoformat(str(leerling["geboortedatum"])),
                tussenvoegsel=leerling.get("tussenvoegsel"),
            ),
            aanvraagtype=a.korte_omschrijving,
            omschrijving=a.omschrijving,
            source_system="esis",
            external_keys={
                "esis_request_key": handoff.request_key,
                "esis_aanvraag_id": a.aanvraag_id,
                "esis_omgeving": handoff.omgeving,
            },
            bijlagen=_bijlagen(handoff.documenten),
            request_key=handoff.request_key,
            contact=dict(a.contact),
            opp_expected=a.opp,
        )

    async def _wijziging(
        self, exchange: ClaimedExchange, handoff: EsisWijzigingHandoff, steps: StepRecorder
    ) -> HulpvraagDraft:
        """A draft whose ``amend`` the core decides against the stored request, in the storing transaction."""
        key = handoff.request_key
        amend = EsisWijziging(
            swv_code=exchange.swv_code,
            brin6=str(exchange.brin6),
            request_key=key,
            aanvraag_id=handoff.aanvraag_id,
            first_exchange_key="esis:" + key,
            external_keys={"esis_request_key": key},
            omschrijving=handoff.omschrijving,
            withdraw=handoff.verwijder,
            documenten=_bijlagen(handoff.documenten),
        )
        await steps.step(
            "esis_wijziging",
            f"ESIS-wijziging: {len(amend.documenten)} document(en) aangeboden, {len(amend.withdraw)} om in te "
            "trekken" + (", omschrijving gewijzigd." if amend.omschrijving is not None else "."),
            with_outcome=True,
        )
        return HulpvraagDraft(
            swv_code=exchange.swv_code,
            brin6=str(exchange.brin6),
            pupil=PupilIdentity(None, None, None, None),  # the stored request's (decided by `amend`)
            aanvraagtype=None,
            omschrijving=amend.omschrijving,
            source_system="esis",
            request_key=key,
            amend=amend,
        )
