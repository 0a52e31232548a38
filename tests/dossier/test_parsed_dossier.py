"""A dossier handed over parsed — as the OSO-SWV client parses it inside its documentResponse and passes it on
(`ParsedDossier`), instead of serialising it for the reader to parse again — gets the report its bytes get:
every mutation, the valid variants, the official examples and the limits at their edges. One too big for
the fast path is read as bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adapters.parnassys.client import Answer, LasClient
from adapters.parnassys.dossier_factory import MUTATIONS, AttachmentSpec, build_dossier
from adapters.parnassys.soap import NS, SOAP_ENV, SoapRejected, parse_xml
from gateway.dossier import DossierLimits, DossierReport, ParsedDossier, read_dossier
from gateway.store.blobs_local import LocalBlobStore
from tests.support.official import SWV_EXAMPLES, examples, official


def _in_an_answer(data: bytes) -> ParsedDossier:
    """The dossier as the client hands it over: sent inside a documentResponse, parsed with it, taken out."""
    text = data.decode("utf-8")
    if text.startswith("<?xml"):
        text = text.split("?>", 1)[1]
    answer = (
        f'<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{SOAP_ENV}"><s:Body>'
        f'<o:documentResponse xmlns:o="{NS}"><o:aanvraag><o:aanvraagtype>Arrangement</o:aanvraagtype></o:aanvraag>'
        f"<o:dossier>{text}</o:dossier></o:documentResponse></s:Body></s:Envelope>"
    ).encode()
    response = parse_xml(answer).find(f"{{{SOAP_ENV}}}Body/{{{NS}}}documentResponse")
    got = LasClient._document(Answer(response, None, len(answer)))
    assert isinstance(got.dossier_xml, ParsedDossier) and got.dossier_size == len(answer)
    return got.dossier_xml


def _seen(report: DossierReport) -> dict[str, Any]:
    return {
        "valid": report.valid,
        "findings": [(f.code, f.location, f.message) for f in report.findings],
        "bijlagen": [
            (a.bestandsnaam, a.role, a.sha256, a.blob_key, [(f.code, f.location) for f in a.findings])
            for a in report.attachments
        ],
        "school": (report.brin6, report.overstap),
        "pupil": report.pupil,
    }


def _both(data: bytes, tmp_path: Path, limits: DossierLimits = DossierLimits()) -> tuple[dict, dict]:
    as_bytes = read_dossier(data, blobs=LocalBlobStore(tmp_path / "a"), limits=limits)
    parsed = read_dossier(_in_an_answer(data), blobs=LocalBlobStore(tmp_path / "b"), limits=limits)
    return _seen(as_bytes), _seen(parsed)


@pytest.mark.parametrize("mutation", [None, *sorted(MUTATIONS)])
def test_every_mutation_gets_the_report_of_its_bytes(mutation: str | None, tmp_path: Path) -> None:
    data = build_dossier(mutation=mutation)
    try:
        as_bytes, parsed = _both(data, tmp_path)
    except SoapRejected:  # no XML the client takes (a DOCTYPE, cut short): the answer is refused, nothing is read
        assert mutation in {"afgekapt", "doctype", "xxe", "billion_laughs"}
        return
    assert parsed == as_bytes


@pytest.mark.parametrize(
    "options",
    [
        {"overstap": "VOSWV"},
        {"adresgeheim": True},
        {"tussenvoegsel": "van der"},
        {"attachments": []},
        {"wrap_base64": True},
        {
            "attachments": [
                AttachmentSpec(role="opp", bestandsnaam="OPP.pdf", kind="pdf"),
                AttachmentSpec(role="overig", bestandsnaam="Verslag.docx", kind="docx"),
                AttachmentSpec(role="overig", bestandsnaam="Kapot.pdf", kind="pdf", broken="truncated"),
                AttachmentSpec(role="overig", bestandsnaam="Bom.pdf", kind="pdf", broken="bomb"),
                AttachmentSpec(role="overig", bestandsnaam="Fout.pdf", kind="pdf", broken="base64"),
            ]
        },
    ],
    ids=["voswv", "adresgeheim", "tussenvoegsel", "no-attachments", "wrapped", "kinds-and-broken-ones"],
)
def test_valid_variants_and_broken_bijlagen_get_the_report_of_their_bytes(options: dict, tmp_path: Path) -> None:
    as_bytes, parsed = _both(build_dossier(**options), tmp_path)
    assert parsed == as_bytes


@pytest.mark.parametrize(
    "limits",
    [
        DossierLimits(max_text_bytes=20),
        DossierLimits(max_elements=40),
        DossierLimits(max_depth=3),
        DossierLimits(max_attachments=1),
        DossierLimits(max_attachment_bytes=1000),
    ],
    ids=["long-text", "many-elements", "deep", "many-bijlagen", "big-bijlage"],
)
def test_the_limits_stop_a_parsed_dossier_as_they_stop_its_bytes(limits: DossierLimits, tmp_path: Path) -> None:
    as_bytes, parsed = _both(build_dossier(), tmp_path, limits)
    assert not as_bytes["valid"] or as_bytes["bijlagen"] != _seen(read_dossier(build_dossier()))["bijlagen"]
    assert parsed == as_bytes


@pytest.mark.parametrize("fast_path_bytes", [0, 1000])
def test_a_parsed_dossier_too_big_for_the_fast_path_is_read_as_bytes(fast_path_bytes: int, tmp_path: Path) -> None:
    limits = DossierLimits(fast_path_bytes=fast_path_bytes)
    as_bytes, parsed = _both(build_dossier(mutation="bsn"), tmp_path, limits)
    assert parsed == as_bytes and not parsed["valid"]


@official
@pytest.mark.parametrize("path", examples(SWV_EXAMPLES), ids=lambda p: p.stem)
def test_the_official_examples_get_the_report_of_their_bytes(path: Path, tmp_path: Path) -> None:
    as_bytes, parsed = _both(path.read_bytes(), tmp_path)
    assert parsed == as_bytes
