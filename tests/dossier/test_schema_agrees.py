"""Our own schema and the official XSD give the same verdict on every case of the corpus."""

from __future__ import annotations

import functools

import pytest
from lxml import etree

from adapters.parnassys.dossier_factory import MUTATIONS, build_dossier
from gateway.dossier import read_dossier
from gateway.dossier.schema import OWN_XSD
from tests.support.official import examples, official

from .conftest import OFFICIAL_XSD, OV_EXAMPLES, STREAMING, SWV_EXAMPLES

pytestmark = official

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
_OWN = etree.XMLSchema(etree.parse(str(OWN_XSD)))


@functools.cache
def _official() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(OFFICIAL_XSD)))


_XML_MUTATIONS = [m for m, code in MUTATIONS.items() if code not in ("XML_DTD_NIET_TOEGESTAAN", "DOSSIER_GEEN_XML")]


def test_own_schema_is_ours_not_a_copy() -> None:
    assert OWN_XSD.read_bytes() != OFFICIAL_XSD.read_bytes()
    assert b"generate_schema.py" in OWN_XSD.read_bytes()


@pytest.mark.parametrize("path", examples(SWV_EXAMPLES + OV_EXAMPLES), ids=lambda p: p.stem)
def test_schemas_agree_on_official_examples(path) -> None:
    doc = etree.parse(str(path), _PARSER)
    assert _OWN.validate(doc) == _official().validate(doc) is True


@pytest.mark.parametrize("mutation", [None, *_XML_MUTATIONS])
def test_schemas_agree_on_the_mutation_corpus(mutation: str | None) -> None:
    data = build_dossier(mutation=mutation)
    doc = etree.fromstring(data, _PARSER)
    assert _OWN.validate(doc) == _official().validate(doc)
    own, official = read_dossier(data, schema="own"), read_dossier(data, schema="official")
    assert (own.valid, [f.code for f in own.findings]) == (official.valid, [f.code for f in official.findings])


@pytest.mark.parametrize("mutation", _XML_MUTATIONS)
def test_streaming_verdict_equals_the_full_document_verdict(mutation: str) -> None:
    """The reader validates a skeleton with placeholders; its XSD verdict must equal the full document's."""
    data = build_dossier(mutation=mutation)
    full_valid = _official().validate(etree.fromstring(data, _PARSER))
    report = read_dossier(data, schema="official", limits=STREAMING)
    assert full_valid == ("XSD_ONGELDIG" not in {f.code for f in report.findings})
