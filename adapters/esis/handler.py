"""The ESIS exchange handler: turns a stored intake into a `HulpvraagDraft` for the core pipeline.

A new request becomes a draft with ``external_keys["esis_request_key"]``; the core's "same request" rule
finds the hulpvraag by that key, so every later update lands on the same hulpvraag. An update carries only
what changes: new bijlagen, withdrawn ones (`remove_bijlagen`, by SHA-256) and a new omschrijving; the
core keeps the history (audit, statushistorie, the exchange timeline), and the previous omschrijving is
kept as a note on the hulpvraag.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlmodel import col

from adapters.esis.handoff import KIND_WIJZIGING, EsisAanvraagHandoff, EsisWijzigingHandoff, HandoffDocument
from gateway.components import Components
from gateway.errors import Refusal, Transient
from gateway.pipeline.contracts import BijlageDraft, ClaimedExchange, HulpvraagDraft, PupilIdentity, StepRecorder
from gateway.store.models import Bijlage, Exchange, ExchangeState, Hulpvraag
from verification.findings import Finding, fout, waarschuwing

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
                raise Refusal(
                    [
                        fout(
                            "ESIS_DOCUMENT_KWIJT",
                            f"Het document '{d.bestandsnaam}' is niet meer aanwezig. Verstuur de aanvraag opnieuw.",
                            "documenten",
                        )
                    ]
                )
        if isinstance(handoff, EsisWijzigingHandoff):
            return await self._wijziging(exchange, handoff, steps)
        return await self._aanvraag(exchange, handoff, steps)

    async def _aanvraag(
        self, exchange: ClaimedExchange, handoff: EsisAanvraagHandoff, steps: StepRecorder
    ) -> HulpvraagDraft:
        a = handoff.aanvraag
        leerling = a.leerling
        await steps.step("esis_aanvraag", f"ESIS-aanvraag {a.aanvraag_id} omgezet naar een hulpvraag.")
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
            contact=dict(a.contact),
            opp_expected=a.opp,
        )

    async def _wijziging(
        self, exchange: ClaimedExchange, handoff: EsisWijzigingHandoff, steps: StepRecorder
    ) -> HulpvraagDraft:
        key = handoff.request_key
        async with self.c.db.reader() as s:
            hv = (await s.exec(select(Hulpvraag).where(col(Hulpvraag.esis_request_key) == key))).scalars().first()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            if hv is None:
                original = (await s.exec(select(Exchange).where(col(Exchange.key) == "esis:" + key))).scalars().first()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                if original is not None and original.state not in (
                    ExchangeState.GEWEIGERD.value,
                    ExchangeState.VERWERKT.value,
                ):
                    raise Transient("de oorspronkelijke aanvraag is nog niet verwerkt", waiting_for="esis_aanvraag")
                raise Refusal(
                    [
                        fout(
                            "ESIS_AANVRAAG_NIET_VERWERKT",
                            f"De wijziging hoort bij aanvraag {handoff.aanvraag_id}, maar die aanvraag is niet "
                            "verwerkt (zie de status). Verstuur de aanvraag opnieuw als nieuwe aanvraag.",
                            "aanvraag_id",
                        )
                    ]
                )
            if hv.brin6 != exchange.brin6:
                raise Refusal(
                    [fout("ESIS_VESTIGING_HOORT_NIET_BIJ_CODE", "De aanvraag hoort bij een andere vestiging.")]
                )
            current = list((await s.exec(select(Bijlage).where(col(Bijlage.hulpvraag_id) == hv.id))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        notes: list[Finding] = []
        remove: list[str] = []
        live = [b for b in current if not b.removed]
        for r in handoff.verwijder:
            hits = [b for b in live if (r.sha256 and b.sha256 == r.sha256) or b.bestandsnaam == r.bestandsnaam]
            if not hits:
                label = r.bestandsnaam or r.sha256
                notes.append(
                    waarschuwing(
                        "ESIS_DOCUMENT_NIET_GEVONDEN",
                        f"De school wilde het document '{label}' intrekken, maar dat zit niet (meer) in de hulpvraag.",
                        "verwijder_documenten",
                    )
                )
            remove += [b.sha256 for b in hits]
        withdrawn = {b.sha256 for b in current if b.removed} | set(remove)
        documenten = []
        for d in handoff.documenten:
            if d.sha256 in withdrawn:
                notes.append(
                    waarschuwing(
                        "ESIS_DOCUMENT_EERDER_INGETROKKEN",
                        f"Het document '{d.bestandsnaam}' is eerder ingetrokken en nu opnieuw gestuurd; het is niet "
                        "opnieuw toegevoegd. Het secretariaat beoordeelt of het document erbij hoort.",
                        "documenten",
                    )
                )
            else:
                documenten.append(d)
        omschrijving = handoff.omschrijving
        if omschrijving is not None and omschrijving != hv.omschrijving:
            notes.append(
                waarschuwing(
                    "ESIS_OMSCHRIJVING_GEWIJZIGD",
                    f"De school heeft de omschrijving gewijzigd via ESIS. Vorige omschrijving: {hv.omschrijving!r}.",
                    "omschrijving",
                )
            )
        await steps.step(
            "esis_wijziging",
            f"ESIS-wijziging: {len(documenten)} document(en) toegevoegd, {len(remove)} ingetrokken"
            + (", omschrijving gewijzigd." if omschrijving is not None else "."),
        )
        return HulpvraagDraft(
            swv_code=exchange.swv_code,
            brin6=hv.brin6,
            pupil=PupilIdentity(hv.leerlingid, hv.voornaam, hv.achternaam, hv.geboortedatum, hv.tussenvoegsel),
            aanvraagtype=hv.aanvraagtype,
            omschrijving=omschrijving,
            source_system="esis",
            external_keys={"esis_request_key": key},
            bijlagen=_bijlagen(documenten),
            remove_bijlagen=tuple(dict.fromkeys(remove)),
            findings=tuple(notes),
        )
