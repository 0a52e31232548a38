"""The intake → worker hand-offs: one frozen dataclass per exchange kind, owned by its adapter, stored with a
version. Each reads back what it stored, reads the meta dict rows had before hand-offs were versioned
(``version=None``), and refuses a version newer than itself instead of misreading it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from adapters.esis.handoff import (
    AanvraagFields,
    EsisAanvraagHandoff,
    EsisWijzigingHandoff,
    HandoffDocument,
    Withdrawal,
)
from adapters.parnassys.handoff import NotificatieHandoff
from gateway.pipeline.contracts import ClaimedExchange, Handoff
from verification.findings import waarschuwing

KOPPELSLEUTEL = "6f1f7f8e-3c1b-4c7e-9a57-0e9f3c2d4b11"
NOTIFICATIE = {
    "bronBrin": "14SS",
    "bronRouteringsKenmerk": "0000000700014SS00500",
    "doelBrin": "14SS",
    "doelRouteringsKenmerk": "00000001899999999000",
    "koppelsleutel": KOPPELSLEUTEL,
    "doel": "SWV",
}
DOCUMENT = HandoffDocument(
    bestandsnaam="OPP.pdf",
    soort="opp",
    omschrijving="OPP 2025",
    blob_key="b" * 64,
    sha256="a" * 64,
    size=1234,
    detected_type="pdf",
    findings=(waarschuwing("BIJLAGE_LET_OP", "Let op.", "documenten"),),
)


def _oso() -> NotificatieHandoff:
    return NotificatieHandoff(
        fields=dict(NOTIFICATIE),
        sender_oin="00000001234567890000",
        sender_profile="2W-be-S",
        sender_via="tls",
        wsa_message_id="urn:uuid:1",
        intake_waarschuwingen=({"code": "MANDAAT_VERLOOPT", "message": "Het mandaat verloopt binnenkort."},),
    )


def _aanvraag() -> EsisAanvraagHandoff:
    return EsisAanvraagHandoff(
        request_key="27ZX00/esis-eenbes:A-1",
        omgeving="esis-eenbes",
        code_id=3,
        vingerafdruk="vp",
        inhoud_sha256="c" * 64,
        idempotency_key=None,
        aanvraag=AanvraagFields(
            aanvraag_id="A-1",
            swv_code="PO3008",
            brin6="27ZX00",
            korte_omschrijving="Aanvraag TLV",
            omschrijving="x" * 5000,  # long text stays whole
            opp=True,
            leerling={"leerlingid": "L-1", "voornaam": "Sam", "achternaam": "Jansen", "geboortedatum": "2015-03-01"},
            contact={"naam": "IB'er"},
            vestiging={"brin6": "27ZX00", "naam": "De Wilg"},
        ),
        documenten=(DOCUMENT,),
    )


def _wijziging() -> EsisWijzigingHandoff:
    return EsisWijzigingHandoff(
        request_key="27ZX00/esis-eenbes:A-1",
        aanvraag_id="A-1",
        omgeving="esis-eenbes",
        code_id=3,
        vingerafdruk="vp",
        inhoud_sha256="d" * 64,
        idempotency_key="w-1",
        omschrijving=None,
        verwijder=(Withdrawal("e" * 64, None), Withdrawal(None, "Oud.pdf")),
        documenten=(DOCUMENT,),
    )


HANDOFFS: list[Handoff] = [_oso(), _aanvraag(), _wijziging()]


@pytest.mark.parametrize("handoff", HANDOFFS, ids=["oso_notificatie", "esis_aanvraag", "esis_wijziging"])
def test_a_hand_off_reads_back_what_it_stored(handoff: Handoff) -> None:
    assert dataclasses.is_dataclass(handoff) and type(handoff).__dataclass_params__.frozen
    assert type(handoff).from_stored(handoff.stored(), handoff.version) == handoff


@pytest.mark.parametrize("handoff", HANDOFFS, ids=["oso_notificatie", "esis_aanvraag", "esis_wijziging"])
def test_a_hand_off_refuses_a_version_newer_than_itself(handoff: Handoff) -> None:
    with pytest.raises(ValueError, match="newer"):
        type(handoff).from_stored(handoff.stored(), handoff.version + 1)


def test_the_worker_reads_its_hand_off_from_the_claimed_exchange() -> None:
    handoff = _aanvraag()
    claimed = ClaimedExchange(
        id=1,
        key="esis:27ZX00/esis-eenbes:A-1",
        source="esis",
        kind="esis_aanvraag",
        swv_code="PO3008",
        brin6="27ZX00",
        payload=b"{}",
        meta={**handoff.stored(), "vrijgegeven": True},  # the core's own keys next to it are ignored
        attempts=1,
        correlation_id="c",
        received_at=dt.datetime.now(dt.UTC),
        handoff_version=handoff.version,
    )
    assert claimed.handoff(EsisAanvraagHandoff) == handoff


def test_an_oso_row_from_before_versioning_reads_as_the_same_notificatie() -> None:
    old: dict[str, Any] = {  # the meta dict the endpoint wrote before hand-offs were typed
        **NOTIFICATIE,
        "bron_brin": "14SS",
        "sender_oin": "00000001234567890000",
        "sender_profile": "2W-be-S",
        "sender_via": "tls",
        "wsa_message_id": "urn:uuid:1",
    }
    read = NotificatieHandoff.from_stored(old, None)
    assert read.notificatie().koppelsleutel == KOPPELSLEUTEL and read.sender_profile == "2W-be-S"
    assert read.stored() == old  # version 1 keeps the old keys: the queue and the blob sweep read the same row


def test_esis_rows_from_before_versioning_read_as_the_same_requests() -> None:
    for handoff in (_aanvraag(), _wijziging()):
        old = handoff.stored()  # version 1 stores exactly the keys the intake wrote before
        assert type(handoff).from_stored(old, None) == handoff
    assert _aanvraag().stored()["documenten"][0]["blob_key"] == "b" * 64  # where the blob sweep looks
