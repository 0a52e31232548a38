"""Factories for core tests: exchanges, drafts, and a scriptable exchange handler (no outside system)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import replace

from gateway.errors import Hold, Refusal, Transient
from gateway.pipeline.contracts import (
    BijlageDraft,
    ClaimedExchange,
    HulpvraagDraft,
    NewExchange,
    OutboundMessage,
    Outcome,
    PupilIdentity,
    StepRecorder,
)
from gateway.store.blobs import BlobStore
from verification.findings import fout


def new_exchange(key: str, **meta: object) -> NewExchange:
    payload = {"brin6": "14SS00", "leerlingid": "LL-1", "aanvraagtype": "Aanvraag TLV", **meta}
    return NewExchange(
        key=key,
        source="test",
        kind="test_aanvraag",
        swv_code="PO3008",
        brin6=str(payload["brin6"]),
        payload=json.dumps(payload).encode(),
        meta=payload,
    )


def bijlage(blobs: BlobStore, content: bytes, role: str = "opp", name: str = "OPP.pdf") -> BijlageDraft:
    w = blobs.writer()
    w.write(content)
    ref = w.commit()
    return BijlageDraft(
        bestandsnaam=name, role=role, blob_key=ref.key, size=ref.size, sha256=ref.key, detected_type="pdf"
    )


class ScriptedHandler:
    """Builds a draft from the exchange's meta; `meta["script"]` can ask for a refusal, hold or outage."""

    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = blobs
        self.calls = 0
        self.on_handle: Callable[[ClaimedExchange], None] | None = None

    async def handle(self, exchange: ClaimedExchange, steps: StepRecorder) -> HulpvraagDraft:
        self.calls += 1
        await steps.step("test", "bezig")
        if self.on_handle:
            self.on_handle(exchange)
        script = exchange.meta.get("script")
        if script == "refuse":
            raise Refusal([fout("TEST_GEWEIGERD", "Geweigerd in de test.")])
        if script == "hold":
            raise Hold([fout("TEST_VASTGEHOUDEN", "Vastgehouden in de test.")])
        if script == "transient" or (script == "transient_once" and exchange.attempts == 1):
            raise Transient("tijdelijk niet bereikbaar", waiting_for="las")
        body = str(exchange.meta.get("content", exchange.key)).encode()
        bijlagen = (
            bijlage(self.blobs, b"%PDF-1.4 " + body, "opp"),
            bijlage(self.blobs, b"%PDF-1.4 toelichting " + body, "toelichting_onderwijsbehoeften", "Toelichting.pdf"),
        )
        draft = HulpvraagDraft(
            swv_code=exchange.swv_code,
            brin6=str(exchange.brin6),
            pupil=PupilIdentity(
                leerlingid=str(exchange.meta["leerlingid"]),
                voornaam="Sanne",
                achternaam="Jansen",
                geboortedatum=dt.date(2016, 3, 14),
            ),
            aanvraagtype=exchange.meta.get("aanvraagtype"),
            omschrijving="Test",
            source_system="parnassys",
            external_keys={"exchange": exchange.key},
            bijlagen=bijlagen,
        )
        if exchange.meta.get("esis_request_key"):  # an ESIS request: "the same request" is the same request key
            draft = replace(
                draft,
                source_system="esis",
                external_keys={**draft.external_keys, "esis_request_key": str(exchange.meta["esis_request_key"])},
                request_key=str(exchange.meta["esis_request_key"]),
            )
        if exchange.meta.get("no_opp"):
            draft = replace(draft, bijlagen=bijlagen[1:])
        if exchange.meta.get("same_content"):  # the toelichting is the OPP's file once more, under its own name
            draft = replace(
                draft,
                bijlagen=(bijlagen[0], replace(bijlagen[0], bestandsnaam="Toelichting.pdf", role=bijlagen[1].role)),
            )
        return draft

    def afterwards(self, exchange: ClaimedExchange, outcome: Outcome) -> list[OutboundMessage]:
        return [
            OutboundMessage(kind="test_afmelding", key=f"afmelding:{exchange.key}", payload={"state": outcome.state})
        ]
