"""The ESIS exchange handler: turns a stored intake into a `HulpvraagDraft` for the core pipeline.

A new request becomes a draft with ``external_keys["esis_request_key"]``; the core's "same request" rule
finds the hulpvraag by that key, so every later update lands on the same hulpvraag. An update carries only
what changes: new bijlagen, withdrawn ones (`remove_bijlagen`, by SHA-256) and a new omschrijving; the
core keeps the history (audit, statushistorie, the exchange timeline), and the previous omschrijving is
kept as a note on the hulpvraag.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from adapters.esis.refusals import refusal
from gateway.components import Components
from gateway.errors import Refusal, Transient
from gateway.pipeline.contracts import BijlageDraft, ClaimedExchange, HulpvraagDraft, PupilIdentity, StepRecorder
from gateway.store.models import Bijlage, Exchange, ExchangeState, Hulpvraag
from verification.findings import Finding

__all__ = ["EsisExchangeHandler"]


def _bijlagen(documenten: list[dict[str, Any]]) -> tuple[BijlageDraft, ...]:
    return tuple(
        BijlageDraft(
            bestandsnaam=d["bestandsnaam"],
            role=d.get("soort") or "overig",
            blob_key=d["blob_key"],
            size=int(d["size"]),
            sha256=d["sha256"],
            detected_type=d.get("detected_type"),
            omschrijving=d.get("omschrijving"),
            findings=tuple(Finding.from_dict(f) for f in d.get("findings", [])),
        )
        for d in documenten
    )


class EsisExchangeHandler:
    def __init__(self, c: Components) -> None:
        self.c = c

    async def handle(self, exchange: ClaimedExchange, steps: StepRecorder) -> HulpvraagDraft:
        for d in exchange.meta.get("documenten", []):
            if not self.c.blobs.exists(d["blob_key"]):
                raise Refusal([refusal("ESIS_DOCUMENT_KWIJT", "documenten", naam=d["bestandsnaam"])])
        if exchange.kind == "esis_wijziging":
            return await self._wijziging(exchange, steps)
        return await self._aanvraag(exchange, steps)

    async def _aanvraag(self, exchange: ClaimedExchange, steps: StepRecorder) -> HulpvraagDraft:
        meta = exchange.meta
        a = meta["aanvraag"]
        leerling = a["leerling"]
        await steps.step("esis_aanvraag", f"ESIS-aanvraag {a['aanvraag_id']} omgezet naar een hulpvraag.")
        return HulpvraagDraft(
            swv_code=exchange.swv_code,
            brin6=str(exchange.brin6),
            pupil=PupilIdentity(
                leerlingid=leerling.get("leerlingid"),
                voornaam=leerling.get("voornaam"),
                achternaam=leerling.get("achternaam"),
                geboortedatum=dt.date.fromisoformat(leerling["geboortedatum"]),
                tussenvoegsel=leerling.get("tussenvoegsel"),
            ),
            aanvraagtype=a["korte_omschrijving"],
            omschrijving=a.get("omschrijving"),
            source_system="esis",
            external_keys={
                "esis_request_key": meta["esis_request_key"],
                "esis_aanvraag_id": a["aanvraag_id"],
                "esis_omgeving": meta["omgeving"],
            },
            bijlagen=_bijlagen(meta.get("documenten", [])),
            contact={k: str(v) for k, v in a.get("contact", {}).items()},
            opp_expected=bool(a.get("opp", True)),
        )

    async def _wijziging(self, exchange: ClaimedExchange, steps: StepRecorder) -> HulpvraagDraft:
        meta = exchange.meta
        key = meta["esis_request_key"]
        async with self.c.db.reader() as s:
            hv = (await s.exec(select(Hulpvraag).where(col(Hulpvraag.esis_request_key) == key))).scalars().first()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            if hv is None:
                original = (await s.exec(select(Exchange).where(col(Exchange.key) == "esis:" + key))).scalars().first()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                if original is not None and original.state not in (
                    ExchangeState.GEWEIGERD.value,
                    ExchangeState.VERWERKT.value,
                ):
                    raise Transient("de oorspronkelijke aanvraag is nog niet verwerkt", waiting_for="esis_aanvraag")
                raise Refusal([refusal("ESIS_AANVRAAG_NIET_VERWERKT", "aanvraag_id", aanvraag_id=meta["aanvraag_id"])])
            if hv.brin6 != exchange.brin6:
                raise Refusal([refusal("ESIS_VESTIGING_HOORT_NIET_BIJ_CODE", variant="wijziging")])
            current = list((await s.exec(select(Bijlage).where(col(Bijlage.hulpvraag_id) == hv.id))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        notes: list[Finding] = []
        remove: list[str] = []
        live = [b for b in current if not b.removed]
        for r in meta.get("verwijder", []):
            hits = [
                b
                for b in live
                if (r.get("sha256") and b.sha256 == r["sha256"]) or b.bestandsnaam == r.get("bestandsnaam")
            ]
            if not hits:
                label = r.get("bestandsnaam") or r.get("sha256")
                notes.append(refusal("ESIS_DOCUMENT_NIET_GEVONDEN", "verwijder_documenten", naam=label))
            remove += [b.sha256 for b in hits]
        withdrawn = {b.sha256 for b in current if b.removed} | set(remove)
        documenten = []
        for d in meta.get("documenten", []):
            if d["sha256"] in withdrawn:
                notes.append(refusal("ESIS_DOCUMENT_EERDER_INGETROKKEN", "documenten", naam=d["bestandsnaam"]))
            else:
                documenten.append(d)
        omschrijving = meta.get("omschrijving")
        if omschrijving is not None and omschrijving != hv.omschrijving:
            notes.append(refusal("ESIS_OMSCHRIJVING_GEWIJZIGD", "omschrijving", vorige=hv.omschrijving))
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
