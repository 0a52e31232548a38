"""Hostile input is refused with a code, in bounded memory, never with an exception."""

from __future__ import annotations

import io

import pytest

from adapters.parnassys.dossier_factory import build_dossier
from gateway.dossier import DossierLimits, read_dossier


@pytest.mark.parametrize("mutation", ["doctype", "xxe", "billion_laughs"])
def test_dtds_and_entities_are_refused(mutation: str, limits) -> None:
    report = read_dossier(build_dossier(mutation=mutation), limits=limits)
    assert [f.code for f in report.findings] == ["XML_DTD_NIET_TOEGESTAAN"]


def test_an_external_entity_is_never_resolved(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("GEHEIM-123")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<dossier xmlns="http://www.edustandaard.nl/oso_gegevensset/2019/dossier">&x;</dossier>'
    ).encode()
    report = read_dossier(data)
    assert not report.valid and "GEHEIM-123" not in repr(report.to_dict())


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "DOSSIER_GEEN_XML"),
        (b"%PDF-1.7 not xml", "DOSSIER_GEEN_XML"),
        (b"<dossier", "DOSSIER_GEEN_XML"),
        (b"<a>" * 100 + b"</a>" * 100, "DOSSIER_TE_DIEP"),
        (b'<r xmlns="urn:x"/>', "DOSSIER_GEEN_OSO_DOSSIER"),
    ],
    ids=["empty", "pdf", "truncated", "deep", "other-root"],
)
def test_unusable_xml(data: bytes, code: str, limits) -> None:
    report = read_dossier(data, limits=limits)
    assert not report.valid and code in [f.code for f in report.findings]


@pytest.mark.parametrize("fast_path_bytes", [0, 2**20])
def test_too_many_elements(fast_path_bytes: int) -> None:
    limits = DossierLimits(max_elements=100, fast_path_bytes=fast_path_bytes)
    report = read_dossier(b"<a>" + b"<b/>" * 200 + b"</a>", limits=limits)
    assert [f.code for f in report.findings] == ["DOSSIER_TE_VEEL_ELEMENTEN"]


@pytest.mark.parametrize("fast_path_bytes", [0, 4 * 2**20])
def test_a_huge_text_node_is_refused(fast_path_bytes: int) -> None:
    limits = DossierLimits(fast_path_bytes=fast_path_bytes)
    report = read_dossier(build_dossier(mutation="grote_tekstnode"), limits=limits)
    assert [f.code for f in report.findings] == ["DOSSIER_TEKST_TE_GROOT"]


@pytest.mark.parametrize("as_", ["bytes", "path", "stream"])
def test_a_dossier_over_the_size_limit_is_not_read(as_: str, tmp_path) -> None:
    data = build_dossier()
    limits = DossierLimits(max_dossier_bytes=len(data) - 1)
    path = tmp_path / "d.xml"
    path.write_bytes(data)
    source = {"bytes": data, "path": path, "stream": io.BytesIO(data)}[as_]
    assert [f.code for f in read_dossier(source, limits=limits).findings] == ["DOSSIER_TE_GROOT"]


def test_too_many_attachments(limits: DossierLimits) -> None:
    from adapters.parnassys.dossier_factory import AttachmentSpec

    specs = [AttachmentSpec(role="overig", bestandsnaam=f"Verslag{i}.pdf", size=500) for i in range(4)]
    limits = DossierLimits(max_attachments=3, fast_path_bytes=limits.fast_path_bytes)
    report = read_dossier(build_dossier(attachments=specs), limits=limits)
    assert "DOSSIER_TE_VEEL_BIJLAGEN" in [f.code for f in report.errors]
    assert len(report.attachments) == 3
