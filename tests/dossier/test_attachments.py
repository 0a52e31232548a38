"""Attachments are unpacked defensively; a bad one gets its own finding and its original bytes are kept."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from adapters.parnassys.dossier_documents import HOSTILE_CONTAINERS
from adapters.parnassys.dossier_factory import ATTACHMENT_BREAKS, AttachmentSpec, build_dossier, document_bytes
from gateway.dossier import DossierLimits, read_dossier
from verification import attachments as rules


@pytest.mark.parametrize(("broken", "code"), sorted(ATTACHMENT_BREAKS.items()))
def test_each_broken_attachment_gets_its_code_and_the_dossier_stays_valid(
    broken: str, code: str, blobs, limits
) -> None:
    report = read_dossier(build_dossier(attachments=[AttachmentSpec(broken=broken)]), blobs=blobs, limits=limits)
    assert report.valid
    (draft,) = report.attachments
    assert code in [f.code for f in draft.findings]
    assert all(f.location and f.location.endswith("/document[1]") for f in draft.findings)


@pytest.mark.parametrize("broken", ["truncated", "not_zip", "bomb", "traversal", "multiple", "encrypted"])
def test_a_bad_attachment_leaves_nothing_in_the_blob_store(broken: str, blobs) -> None:
    report = read_dossier(build_dossier(attachments=[AttachmentSpec(broken=broken)]), blobs=blobs)
    (draft,) = report.attachments
    assert any(f.blocking for f in draft.findings)
    assert draft.blob_key is None and draft.detected_type is None
    assert list(blobs.keys()) == []


@pytest.mark.parametrize("kind", ["docx_bom", "docx_versleuteld", "docx_pad", "docx_genest", "zip_exe"])
def test_a_hostile_office_document_is_refused_by_the_inspector_and_not_kept(kind: str, blobs) -> None:
    spec = AttachmentSpec(kind=kind, bestandsnaam="OPP.docx")
    report = read_dossier(build_dossier(attachments=[spec]), blobs=blobs)
    (draft,) = report.attachments
    wanted = HOSTILE_CONTAINERS.get(kind, "BIJLAGE_TYPE_NIET_TOEGESTAAN")
    assert wanted in [f.code for f in draft.findings if f.blocking]
    assert draft.blob_key is None and list(blobs.keys()) == []


def test_a_good_attachment_is_stored_as_the_document_itself(blobs) -> None:
    report = read_dossier(build_dossier(), blobs=blobs)
    for draft in report.attachments:
        assert draft.findings == ()
        with blobs.open(draft.blob_key) as f:
            content = f.read()
        assert content.startswith(b"%PDF-") and len(content) == draft.size
        assert hashlib.sha256(content).hexdigest() == draft.sha256 == draft.blob_key


@pytest.mark.parametrize(
    "kind", ["pdf", "jpg", "png", "doc", "docx", "odt", "ods", "odp", "xls", "xlsx", "txt", "ppt", "pptx"]
)
def test_every_allowed_type_is_recognised_from_its_bytes(kind: str, limits) -> None:
    spec = AttachmentSpec(kind=kind, bestandsnaam=f"Verslag.{kind}")
    (draft,) = read_dossier(build_dossier(attachments=[spec]), limits=limits).attachments
    assert draft.detected_type == kind and draft.findings == ()


@pytest.mark.parametrize("kind", ["exe", "zip", "gif"])
def test_other_types_are_refused_per_attachment(kind: str) -> None:
    spec = AttachmentSpec(kind=kind, bestandsnaam="OPP.pdf")
    report = read_dossier(build_dossier(attachments=[spec]))
    (draft,) = report.attachments
    assert "BIJLAGE_TYPE_NIET_TOEGESTAAN" in [f.code for f in draft.findings]
    assert report.valid


def test_an_attachment_over_the_size_limit_is_refused() -> None:
    limits = DossierLimits(max_attachment_bytes=100_000, max_zip_overhead_bytes=10_000)
    spec = AttachmentSpec(size=150_000)
    (draft,) = read_dossier(build_dossier(attachments=[spec]), limits=limits).attachments
    assert [f.code for f in draft.findings] == ["BIJLAGE_TE_GROOT"]
    assert draft.blob_key is None


def test_a_vague_file_name_and_the_pupils_name_in_the_omschrijving_are_warnings() -> None:
    spec = AttachmentSpec(bestandsnaam="scan20230106.pdf", omschrijving="OPP van Sanne")
    report = read_dossier(build_dossier(attachments=[spec]))
    (draft,) = report.attachments
    assert {f.code: f.blocking for f in draft.findings} == {
        "BIJLAGE_NAAM_NIET_BESCHRIJVEND": False,
        "BIJLAGE_OMSCHRIJVING_BEVAT_NAAM": False,
    }


@pytest.mark.parametrize("name", ["scan20230106.pdf", "IMG_2041.jpg", "document1.docx", "20230106.pdf", "Scan.pdf"])
def test_names_that_do_not_say_what_they_are(name: str) -> None:
    assert [f.code for f in rules.check_bestandsnaam(name, None)] == ["BIJLAGE_NAAM_NIET_BESCHRIJVEND"]


@pytest.mark.parametrize(
    "name", ["OPPondertekening.pdf", "Toelichting onderwijsbehoeften.pdf", "Groepsplan rekenen.docx"]
)
def test_names_that_do(name: str) -> None:
    assert rules.check_bestandsnaam(name, None) == []


@pytest.mark.parametrize("entry", ["../x.pdf", "a/../../x.pdf", "/etc/x.pdf", "C:x.pdf", "a\\..\\x.pdf"])
def test_unsafe_entry_names(entry: str) -> None:
    assert [f.code for f in rules.check_entry_name(entry, "x.pdf", None)] == ["BIJLAGE_PAD_ONVEILIG"]


def test_ooxml_odf_and_plain_zip_are_told_apart_by_their_contents() -> None:
    def names(data: bytes) -> tuple[list[str], bytes | None]:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return z.namelist(), (z.read("mimetype") if "mimetype" in z.namelist() else None)

    for kind in ("docx", "xlsx", "pptx", "odt", "zip"):
        data = document_bytes(kind, 5_000)
        zip_names, mimetype = names(data)
        assert rules.sniff(data[:8192], zip_names=zip_names, odf_mimetype=mimetype) == kind
