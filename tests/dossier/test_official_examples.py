"""The official examples: the four SWV dossiers are valid, the eight ordinary transfers are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.dossier import read_dossier
from tests.support.official import examples, official

from .conftest import OV_EXAMPLES, SWV_EXAMPLES

pytestmark = official


def test_the_corpus_is_there() -> None:
    assert len(SWV_EXAMPLES) == 4
    assert len(OV_EXAMPLES) == 8


@pytest.mark.parametrize("schema", ["own", "official"])
@pytest.mark.parametrize("path", examples(SWV_EXAMPLES), ids=lambda p: p.stem)
def test_official_swv_examples_are_valid(path: Path, schema: str) -> None:
    report = read_dossier(path, schema=schema)
    assert report.valid, [f.to_dict() for f in report.errors]
    assert report.overstap in ("POSWV", "VOSWV")
    assert report.brin == "00YY" and report.vestigingscode == "00"
    assert report.pupil is not None and report.pupil.leerlingid == "LN094837"
    assert report.pupil.achternaam == "Berg" and report.pupil.tussenvoegsel == "van de"


@pytest.mark.parametrize("path", examples(OV_EXAMPLES), ids=lambda p: p.stem)
def test_ordinary_transfer_dossiers_are_refused_as_not_swv(path: Path) -> None:
    report = read_dossier(path)
    assert not report.valid
    assert [f.code for f in report.errors if not f.code.startswith("BIJLAGE_")] == ["PaO.SO03"]


@pytest.mark.parametrize("path", examples(OV_EXAMPLES), ids=lambda p: p.stem)
def test_the_bsn_of_an_ordinary_dossier_never_reaches_the_report(path: Path) -> None:
    bsn = path.read_text(encoding="utf-8").split("<bsn>")[1].split("</bsn>")[0]
    assert bsn not in json.dumps(read_dossier(path).to_dict())


def test_truncated_placeholder_zips_give_attachment_findings_not_an_invalid_dossier() -> None:
    report = read_dossier(SWV_EXAMPLES[0])
    corrupt = [a for a in report.attachments if any(f.code == "BIJLAGE_ZIP_ONGELDIG" for f in a.findings)]
    assert report.valid and corrupt
    assert all(a.blob_key is None and a.detected_type is None for a in corrupt)
    roles = {a.role for a in report.attachments}
    assert roles == {"opp", "toelichting_onderwijsbehoeften", "overig"}


def test_entry_name_differing_from_bestandsnaam_is_a_warning() -> None:
    vo = next(p for p in SWV_EXAMPLES if "VOSWV_full" in p.name)
    report = read_dossier(vo)
    beschikking = next(a for a in report.attachments if a.bestandsnaam == "beschikking.pdf")
    codes = {f.code: f.blocking for f in beschikking.findings}
    assert codes == {"BIJLAGE_NAAM_WIJKT_AF": False, "BIJLAGE_EXTENSIE_WIJKT_AF": False}
    assert report.valid


def test_attachments_of_an_official_example_are_stored_and_hashed(blobs) -> None:
    report = read_dossier(SWV_EXAMPLES[0], blobs=blobs)
    opp = next(a for a in report.attachments if a.bestandsnaam == "opp.docx")
    assert opp.detected_type == "docx" and opp.blob_key == opp.sha256 and blobs.exists(opp.blob_key)
    corrupt = next(a for a in report.attachments if a.bestandsnaam == "Toelichting.pdf")
    assert corrupt.blob_key is None  # a refused attachment leaves nothing in the blob store
    assert set(blobs.keys()) == {a.blob_key for a in report.attachments if a.blob_key}
