"""The shortcuts of the fast path change no verdict: limits on texts and elements at their exact edges, in
several encodings, on both readers; a document sniffed from memory is typed and hashed as from the store."""

from __future__ import annotations

import pytest

from adapters.parnassys.dossier_factory import AttachmentSpec, build_dossier
from gateway.dossier import DossierLimits, read_dossier

NS = "http://www.edustandaard.nl/oso_gegevensset/2019/dossier"


def _codes(report) -> list[str]:
    return [f.code for f in report.findings]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "iso-8859-1", "windows-1252", "ascii"])
@pytest.mark.parametrize("extra", [0, 1])
def test_a_text_is_refused_exactly_when_it_exceeds_the_limit(encoding: str, extra: int, limits) -> None:
    text = "x" * 40 + "é" * 10 if encoding != "ascii" else "x" * 50
    xml = f'<?xml version="1.0" encoding="{encoding}"?><r xmlns="urn:x"><t>{text}</t></r>'
    data = xml.encode(encoding)
    tight = DossierLimits(max_text_bytes=50 - extra, fast_path_bytes=limits.fast_path_bytes)
    assert ("DOSSIER_TEKST_TE_GROOT" in _codes(read_dossier(data, limits=tight))) == bool(extra)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_document_no_larger_than_the_text_limit_is_not_searched_but_cannot_hold_a_longer_text(
    encoding: str, limits
) -> None:
    data = f'<r xmlns="urn:x"><t>{"y" * 30}</t><u a="{"z" * 30}"/></r>'.encode(encoding)
    at_size = DossierLimits(max_text_bytes=len(data), fast_path_bytes=limits.fast_path_bytes)
    assert "DOSSIER_TEKST_TE_GROOT" not in _codes(read_dossier(data, limits=at_size))
    small = DossierLimits(max_text_bytes=29, fast_path_bytes=limits.fast_path_bytes)
    assert "DOSSIER_TEKST_TE_GROOT" in _codes(read_dossier(data, limits=small))


@pytest.mark.parametrize("padding", [0, 2000], ids=["small-document", "padded-document"])
@pytest.mark.parametrize("extra", [0, 1])
def test_elements_are_refused_exactly_over_the_limit(padding: int, extra: int, limits) -> None:
    # 1 root + 20 children (+1); the padding makes the document larger than 4 bytes per allowed element
    data = f'<r xmlns="urn:x">{"<c/>" * (20 + extra)}<!--{"p" * padding}--></r>'.encode()
    tight = DossierLimits(max_elements=21, fast_path_bytes=limits.fast_path_bytes)
    assert ("DOSSIER_TE_VEEL_ELEMENTEN" in _codes(read_dossier(data, limits=tight))) == bool(extra)


KINDS = ["pdf", "jpg", "png", "doc", "docx", "odt", "ods", "xls", "xlsx", "txt", "ppt", "pptx", "zip", "exe", "gif"]


def test_documents_are_typed_and_hashed_the_same_with_and_without_a_store(blobs, limits) -> None:
    specs = [AttachmentSpec(role="overig", kind=k, bestandsnaam=f"Verslag.{k}", size=3000) for k in KINDS]
    big = AttachmentSpec(role="overig", kind="pdf", bestandsnaam="Groot.pdf", size=limits.spool_bytes + 10)
    data = build_dossier(attachments=[*specs, big])
    with_store = read_dossier(data, blobs=blobs, limits=limits)
    without = read_dossier(data, limits=limits)
    assert [(a.detected_type, a.sha256, a.size, a.findings) for a in with_store.attachments] == [
        (a.detected_type, a.sha256, a.size, a.findings) for a in without.attachments
    ]
    assert {a.bestandsnaam: a.detected_type for a in without.attachments}["Verslag.docx"] == "docx"
    for draft in with_store.attachments:
        if any(f.blocking for f in draft.findings):
            assert draft.blob_key is None  # a refused document is not kept
        elif draft.detected_type is not None:
            assert draft.blob_key == draft.sha256
