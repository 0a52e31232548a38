"""The rules of an ESIS wijziging, decided on the stored request (adapters/esis/wijziging.py), without I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

from adapters.esis.wijziging import EsisWijziging, Withdrawal
from gateway.errors import Refusal, Transient
from gateway.pipeline.contracts import BijlageDraft, PupilIdentity
from gateway.pipeline.ports.requests import RequestReads, StoredBijlage, StoredRequest
from verification.findings import Finding

KEY = "27ZX00/esis-eenbes:A-1"


class _Reads(RequestReads):
    def __init__(self, states: dict[str, str]) -> None:
        self.states = states

    def exchange_state(self, key: str) -> str | None:
        return self.states.get(key)


def _stored(*bijlagen: StoredBijlage, brin6: str = "27ZX00") -> StoredRequest:
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    return StoredRequest(
        hulpvraag_id=7,
        swv_id=1,
        brin6=brin6,
        pupil=PupilIdentity("LL-1", "Sanne", "Jansen", dt.date(2016, 3, 14)),
        aanvraagtype="Aanvraag TLV",
        omschrijving="Oud",
        status="Nieuw",
        coordinator=None,
        created_at=now,
        updated_at=now,
        bijlagen=bijlagen,
    )


def _bijlage(naam: str, sha: str, *, removed: bool = False) -> StoredBijlage:
    return StoredBijlage(naam, sha, "overig", 10, "pdf", removed)


def _document(naam: str, sha: str) -> BijlageDraft:
    return BijlageDraft(naam, "overig", "blob-" + sha, 10, sha, "pdf")


def _wijziging(**changes: object) -> EsisWijziging:
    values: dict[str, object] = {
        "swv_code": "PO3008",
        "brin6": "27ZX00",
        "request_key": KEY,
        "aanvraag_id": "A-1",
        "first_exchange_key": "esis:" + KEY,
        "external_keys": {"esis_request_key": KEY},
        "omschrijving": None,
        "withdraw": (),
        "documenten": (),
    }
    return EsisWijziging(**{**values, **changes})  # type: ignore[arg-type]  # a test factory over the fields


def _codes(findings: Sequence[Finding]) -> list[str]:
    return [f.code for f in findings]


def test_the_update_keeps_the_stored_pupil_and_aanvraagtype() -> None:
    draft = _wijziging(omschrijving="Nieuw")(_stored(), _Reads({}))
    assert (draft.pupil.leerlingid, draft.aanvraagtype, draft.request_key) == ("LL-1", "Aanvraag TLV", KEY)
    assert draft.amend is None
    assert _codes(draft.findings) == ["ESIS_OMSCHRIJVING_GEWIJZIGD"]


def test_a_document_is_withdrawn_by_name_or_by_sha256_and_a_missing_one_is_a_warning() -> None:
    stored = _stored(_bijlage("plan.pdf", "a"), _bijlage("verslag.pdf", "b"))
    withdraw = (Withdrawal(None, "plan.pdf"), Withdrawal("b", None), Withdrawal(None, "weg.pdf"))
    draft = _wijziging(withdraw=withdraw)(stored, _Reads({}))
    assert draft.remove_bijlagen == ("a", "b")
    assert _codes(draft.findings) == ["ESIS_DOCUMENT_NIET_GEVONDEN"]


def test_a_document_withdrawn_before_and_sent_again_is_not_added() -> None:
    stored = _stored(_bijlage("plan.pdf", "a", removed=True))
    draft = _wijziging(documenten=(_document("plan.pdf", "a"), _document("nieuw.pdf", "c")))(stored, _Reads({}))
    assert [b.sha256 for b in draft.bijlagen] == ["c"]
    assert _codes(draft.findings) == ["ESIS_DOCUMENT_EERDER_INGETROKKEN"]


def test_an_update_waits_while_its_request_is_still_on_its_way() -> None:
    with pytest.raises(Transient) as caught:
        _wijziging()(None, _Reads({"esis:" + KEY: "wacht_op_herhaling"}))
    assert caught.value.waiting_for == "esis_aanvraag"


@pytest.mark.parametrize("state", ["geweigerd", "verwerkt", None])
def test_an_update_of_a_request_that_ended_without_a_hulpvraag_is_refused(state: str | None) -> None:
    reads = _Reads({"esis:" + KEY: state} if state else {})
    with pytest.raises(Refusal) as caught:
        _wijziging()(None, reads)
    assert caught.value.first.code == "ESIS_AANVRAAG_NIET_VERWERKT"


def test_an_update_from_another_vestiging_is_refused() -> None:
    with pytest.raises(Refusal) as caught:
        _wijziging(brin6="09QA00")(_stored(), _Reads({}))
    assert caught.value.first.code == "ESIS_VESTIGING_HOORT_NIET_BIJ_CODE"
