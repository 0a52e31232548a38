"""Every refusal of the ESIS API: a stable code, a Dutch message, the right HTTP status — and nothing stored
but, for an authenticated sender, the refusal itself (no payload) for the queue."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlmodel import col

from adapters.esis.door import DOOR_KIND
from adapters.esis.simulator import Document, aanvraag, pdf_document
from gateway.registry import codes
from gateway.registry.code_events import last_revoked_code_use
from gateway.store.blobs_local import LocalBlobStore
from gateway.store.models import AuditEntry, Bijlage, Exchange, Hulpvraag
from tests.esis.conftest import BRIN6, CODE, OTHER_BRIN6, Gateway

OPP = Document("OPP-2025-ondertekend.pdf", pdf_document(), soort="opp")
MB = 1024 * 1024


@pytest.fixture
async def nothing_stored(gateway: Gateway) -> AsyncIterator[None]:
    yield
    async with gateway.c.db.reader() as s:
        for model in (Hulpvraag, Bijlage):
            assert (await s.exec(select(func.count()).select_from(model))).scalar_one() == 0, model.__name__  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        for ex in (await s.exec(select(Exchange))).scalars():  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            assert ex.kind == DOOR_KIND and ex.state == "geweigerd" and ex.payload == b"" and ex.payload_purged


def _dutch(body: dict) -> None:
    assert body["message"] and body["findings"][0]["code"] == body["code"]
    assert any(w in body["message"] for w in (" de ", " het ", " een ", " is ", " niet ")), body["message"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (None, "ESIS_VERIFICATIECODE_ONTBREEKT"),
        ("27ZX00-deze-code-bestaat-niet", "ESIS_VERIFICATIECODE_ONBEKEND"),
        ("ZZ", "ESIS_VERIFICATIECODE_ONBEKEND"),
    ],
)
async def test_missing_or_unknown_code_is_401(
    gateway: Gateway, nothing_stored: None, code: str | None, expected: str
) -> None:
    async with gateway.esis(code) as esis:
        r = await esis.create(aanvraag(BRIN6, documenten=[OPP]), [OPP])
    assert r.status == 401 and r.code == expected
    assert "WWW-Authenticate" in r.headers
    _dutch(r.body)


async def test_code_not_yet_active_is_401(gateway: Gateway, nothing_stored: None) -> None:
    code = "27ZX00-nog-niet-geactiveerd"
    await codes.register(gateway.c.db, BRIN6, "tweede-omgeving", code, "test")
    async with gateway.esis(code) as esis:
        r = await esis.create(aanvraag(BRIN6, documenten=[OPP]), [OPP])
    assert r.status == 401 and r.code == "ESIS_VERIFICATIECODE_NIET_ACTIEF"


async def test_a_revoked_code_gets_the_same_answer_as_an_unknown_one_and_is_audited(
    gateway: Gateway, nothing_stored: None
) -> None:
    [view] = [v for v in await codes.list_codes(gateway.c.db, "PO3008", "27ZX")]
    await codes.revoke(gateway.c.db, view.id, "test:secretariaat", "school vertrokken")
    async with gateway.esis(CODE) as esis:
        revoked = await esis.status("ESIS-1")
    async with gateway.esis("27ZX00-nooit-aangemeld-code") as esis:
        unknown = await esis.status("ESIS-1")

    assert (revoked.status, revoked.body) == (unknown.status, unknown.body)
    assert revoked.code == "ESIS_VERIFICATIECODE_ONBEKEND"
    assert revoked.headers.get("WWW-Authenticate") == unknown.headers.get("WWW-Authenticate")
    async with gateway.c.db.reader() as s:
        entries = list(
            (
                await s.exec(select(AuditEntry).where(col(AuditEntry.action) == "esis_ingetrokken_code_gebruikt"))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            ).scalars()
        )
    [entry] = entries  # only the revoked code, not the unknown one
    assert entry.object_type == "verificatiecode" and entry.object_id == str(view.id)
    assert entry.details["brin6"] == "27ZX00" and CODE not in str(entry.details)
    seen = await last_revoked_code_use(gateway.c.db, "27zx00")  # for the school's koppelcheck page
    assert seen is not None and seen.code_id == view.id and seen.fingerprint == view.fingerprint
    assert await last_revoked_code_use(gateway.c.db, OTHER_BRIN6) is None


async def test_code_of_another_vestiging_is_403(gateway: Gateway, nothing_stored: None) -> None:
    async with gateway.esis(CODE) as esis:
        r = await esis.create(aanvraag(OTHER_BRIN6, documenten=[OPP]), [OPP])
    assert r.status == 403 and r.code == "ESIS_VESTIGING_HOORT_NIET_BIJ_CODE"
    assert r.body["location"] == "vestiging.brin6"
    _dutch(r.body)


async def test_wrong_swv_is_422(gateway: Gateway, nothing_stored: None) -> None:
    async with gateway.esis() as esis:
        r = await esis.create(aanvraag(BRIN6, swv_code="PO3009", documenten=[OPP]), [OPP])
    assert r.status == 422 and r.code == "ESIS_SWV_ONBEKEND"
    assert "PO3008" in r.body["message"]


async def test_near_miss_aanvraagtype_is_422_with_closest_wordings(gateway: Gateway, nothing_stored: None) -> None:
    async with gateway.esis() as esis:
        r = await esis.create(aanvraag(BRIN6, korte_omschrijving="aanvraag  tlv", documenten=[OPP]), [OPP])
    assert r.status == 422 and r.code == "ESIS_AANVRAAGTYPE_ONBEKEND"
    assert r.body["suggesties"][0] == "Aanvraag TLV"
    assert "Aanvraag TLV" in r.body["message"]


async def test_aanvraagtype_not_via_las_is_422(gateway: Gateway, nothing_stored: None) -> None:
    async with gateway.esis() as esis:
        r = await esis.create(aanvraag(BRIN6, korte_omschrijving="Ondersteuningsaanvraag groep"))
    assert r.status == 422 and r.code == "AANVRAAGTYPE_NIET_VIA_LAS"


async def test_missing_opp_is_422_before_reading_documents(gateway: Gateway, nothing_stored: None) -> None:
    plan = Document("Handelingsplan.pdf", pdf_document())
    async with gateway.esis() as esis:
        r = await esis.create(aanvraag(BRIN6, documenten=[plan]), [plan])
    assert r.status == 422 and r.code == "OPP_ONTBREEKT"


async def test_document_over_10_mb_is_413_without_reading_it_all(gateway: Gateway, nothing_stored: None) -> None:
    huge = Document("OPP-groot.pdf", size=40 * MB, soort="opp")
    async with gateway.esis() as esis:
        r = await esis.create(aanvraag(BRIN6, documenten=[huge]), [huge])
    # the gateway answers and closes as soon as 10 MB are passed; the client could not hand over the rest
    assert r.sent_bytes < 30 * MB
    if r.status:  # the client usually reads the early answer; a reset before it is also a refusal
        assert r.status == 413 and r.code == "ESIS_DOCUMENT_TE_GROOT"
        _dutch(r.body)
    assert isinstance(gateway.c.blobs, LocalBlobStore)
    assert list((gateway.c.blobs.root / "tmp").glob("incoming-*")) == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("OPP.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000),  # an image named .pdf
        ("OPP.docx", b"PK\x03\x04" + b"\x00" * 100),  # a broken ZIP named .docx
        ("OPP.pdf", b"MZ\x90\x00" + b"\x00" * 100),  # a program
        ("OPP.pdf", b"%PD"),  # too short to be anything
    ],
)
async def test_document_that_is_not_pdf_or_word_is_415(
    gateway: Gateway, nothing_stored: None, name: str, content: bytes
) -> None:
    doc = Document(name, content, soort="opp")
    async with gateway.esis() as esis:
        r = await esis.create(aanvraag(BRIN6, documenten=[doc]), [doc])
    assert r.status == 415 and r.code == "ESIS_DOCUMENT_TYPE_NIET_TOEGESTAAN"
    _dutch(r.body)


async def test_zip_without_word_content_is_415(gateway: Gateway, nothing_stored: None) -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("notes.txt", "geen Word")
    doc = Document("OPP.docx", buf.getvalue(), soort="opp")
    async with gateway.esis() as esis:
        r = await esis.create(aanvraag(BRIN6, documenten=[doc]), [doc])
    assert r.status == 415 and r.code == "ESIS_DOCUMENT_TYPE_NIET_TOEGESTAAN"


async def test_malformed_json_is_400(gateway: Gateway, nothing_stored: None) -> None:
    async with gateway.esis() as esis:
        r = await esis.create(b'{"esis_aanvraag_id": "x",', [])
        r2 = await esis.raw("/esis/v1/aanvragen", b"[1, 2", "application/json")
    assert r.status == 400 and r.code == "ESIS_JSON_ONGELDIG"
    assert r2.status == 400 and r2.code == "ESIS_JSON_ONGELDIG"
    _dutch(r.body)


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("multipart/form-data", b"--x\r\n", "ESIS_MULTIPART_ONGELDIG"),  # no boundary parameter
        ("multipart/form-data; boundary=abc", b"geen multipart", "ESIS_MULTIPART_ONGELDIG"),
        (
            "multipart/form-data; boundary=abc",
            b'--abc\r\nContent-Disposition: form-data; name="document"; filename="a.pdf"\r\n\r\n%PDF-\r\n--abc--\r\n',
            "ESIS_MULTIPART_VOLGORDE",
        ),
        (  # found by schemathesis: a part header that is not valid HTTP used to end in a 500
            "multipart/form-data; boundary=abc",
            b'--abc\r\nContent-Disposition: form-data; name="\xc2\xb9\x0b"\r\n\r\n{}\r\n--abc--\r\n',
            "ESIS_MULTIPART_ONGELDIG",
        ),
    ],
)
async def test_malformed_multipart_is_400(
    gateway: Gateway, nothing_stored: None, content_type: str, body: bytes, expected: str
) -> None:
    async with gateway.esis() as esis:
        r = await esis.raw("/esis/v1/aanvragen", body, content_type)
    assert r.status == 400 and r.code == expected


async def test_wrong_content_type_is_415(gateway: Gateway, nothing_stored: None) -> None:
    async with gateway.esis() as esis:
        r = await esis.raw("/esis/v1/aanvragen", b"x=1", "application/x-www-form-urlencoded")
    assert r.status == 415 and r.code == "ESIS_CONTENT_TYPE_ONGELDIG"


async def test_bsn_in_pupil_is_422(gateway: Gateway, nothing_stored: None) -> None:
    body = aanvraag(BRIN6, documenten=[OPP])
    body["leerling"]["bsn"] = "123456782"
    async with gateway.esis() as esis:
        r = await esis.create(body, [OPP])
    assert r.status == 422 and r.code == "ESIS_BSN_NIET_TOEGESTAAN"
    assert "123456782" not in str(r.body)


async def test_missing_fields_are_all_reported(gateway: Gateway, nothing_stored: None) -> None:
    body = aanvraag(BRIN6)
    del body["leerling"]["voornaam"]
    body["leerling"]["geboortedatum"] = "21-09-2015"
    async with gateway.esis() as esis:
        r = await esis.create(body)
    assert r.status == 422
    assert {f["location"] for f in r.body["findings"]} == {"leerling.voornaam", "leerling.geboortedatum"}


async def test_declared_document_that_did_not_arrive_is_422(gateway: Gateway, nothing_stored: None) -> None:
    async with gateway.esis() as esis:
        r = await esis.create(aanvraag(BRIN6, documenten=[OPP]), [])
    assert r.status == 422 and r.code == "ESIS_DOCUMENT_ONTBREEKT"


async def test_status_of_another_schools_request_is_not_found(gateway: Gateway) -> None:
    from tests.esis.conftest import OTHER_CODE

    body = aanvraag(BRIN6, documenten=[OPP])
    async with gateway.esis() as esis:
        assert (await esis.create(body, [OPP])).status == 202
    async with gateway.esis(OTHER_CODE) as other:
        r = await other.status(body["esis_aanvraag_id"])
        u = await other.update(body["esis_aanvraag_id"], omschrijving="overgenomen")
    assert r.status == 404 and r.code == "ESIS_AANVRAAG_ONBEKEND"
    assert u.status == 404 and u.code == "ESIS_AANVRAAG_ONBEKEND"


async def test_update_of_unknown_request_is_404(gateway: Gateway, nothing_stored: None) -> None:
    async with gateway.esis() as esis:
        r = await esis.update("ESIS-bestaat-niet", omschrijving="x")
    assert r.status == 404 and r.code == "ESIS_AANVRAAG_ONBEKEND"


async def test_empty_update_is_422(gateway: Gateway) -> None:
    body = aanvraag(BRIN6, documenten=[OPP])
    async with gateway.esis() as esis:
        await esis.create(body, [OPP])
        r = await esis.update(body["esis_aanvraag_id"])
    assert r.status == 422 and r.code == "ESIS_WIJZIGING_LEEG"


async def test_a_second_code_while_one_waits_for_activation_is_409_and_names_no_code(gateway: Gateway) -> None:
    first = {"brin6": BRIN6, "omgeving": "esis-tweede", "verificatiecode": "27ZX00-eerste-wachtende-code"}
    second = {**first, "verificatiecode": "27ZX00-tweede-wachtende-code"}
    async with aiohttp.ClientSession(headers={"X-Verificatiecode": CODE}) as http:
        async with http.post(f"{gateway.url}/esis/v1/verificatiecodes", json=first) as r:
            assert r.status == 201, await r.text()
        async with http.post(f"{gateway.url}/esis/v1/verificatiecodes", json=second) as r:
            body = await r.json()
            assert r.status == 409 and body["code"] == "VERIFICATIECODE_AL_AANGEMELD"
    _dutch(body)
    assert "eerste-wachtende" not in body["message"] and "tweede-wachtende" not in body["message"]
