"""Finding locations (``path_of``) are the official XPath form — local names, a position on every step — and
the C-assisted computation gives exactly what counting siblings one by one gives."""

from __future__ import annotations

import pytest
from lxml import etree

from adapters.parnassys.dossier_factory import MUTATIONS, build_dossier
from gateway.dossier.small import _Places
from tests.dossier.conftest import OV_EXAMPLES, SWV_EXAMPLES
from tests.support.official import examples, official
from verification.dossier import NS
from verification.dossier._tree import _path_by_counting, path_of

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


def _all_agree(root: etree._Element) -> int:
    n = 0
    for el in root.iter(etree.Element):
        assert path_of(el) == _path_by_counting(el)
        n += 1
    places = _Places()  # the fast path's locations of bijlagen: asked of every document, in document order
    for document in root.iter(f"{{{NS}}}document"):
        assert places.of(document) == _path_by_counting(document)
    return n


@official
@pytest.mark.parametrize("path", examples(SWV_EXAMPLES + OV_EXAMPLES), ids=lambda p: p.name)
def test_every_element_of_the_official_examples(path) -> None:
    assert _all_agree(etree.parse(str(path), _PARSER).getroot()) > 100


def test_every_element_of_the_generated_dossiers() -> None:
    compared = {
        mutation: _all_agree(etree.fromstring(build_dossier(mutation=mutation), _PARSER))
        for mutation in sorted(MUTATIONS)
        if mutation not in ("doctype", "xxe", "billion_laughs", "afgekapt")
    }
    assert len(compared) > 10 and all(n > 50 for n in compared.values()), compared


@pytest.mark.parametrize(
    ("xml", "elements"),
    [
        (f'<dossier xmlns="{NS}"><a/><a><b xmlns=""/><b xmlns=""/><q:b xmlns:q="urn:x/y"/></a><a/></dossier>', 7),
        (f'<r><d:x xmlns:d="{NS}"/><x/><d:x xmlns:d="{NS}"><y/><y/></d:x></r>', 6),
        ('<r xmlns:p="urn:a/b" xmlns:q="urn:a/b"><p:x/><q:x/><x/><p:x><q:x/></p:x></r>', 6),
        ("<a><a><a/><a><a/></a></a></a>", 5),
        (
            f'<document xmlns="{NS}"><document/><x/><document><document/><y/><document/></document>'
            "<document/></document>",
            8,
        ),
        (f'<dossier xmlns="{NS}"><l><document/><document xmlns="urn:x"/><document/></l><document/></dossier>', 6),
    ],
    ids=[
        "mixed-namespaces",
        "no-namespace-root",
        "same-uri-two-prefixes",
        "nested-same-name",
        "nested-documents",
        "documents-among-foreign-ones",
    ],
)
def test_mixed_and_foreign_namespaces(xml: str, elements: int) -> None:
    assert _all_agree(etree.fromstring(xml.encode())) == elements  # every element compared


def test_the_official_form() -> None:
    root = etree.fromstring(f'<dossier xmlns="{NS}"><m/><l><d/><d><x/></d></l></dossier>'.encode())
    x = root.find(f"{{{NS}}}l/{{{NS}}}d[2]/{{{NS}}}x")
    assert path_of(x) == "/dossier[1]/l[1]/d[2]/x[1]"
    assert path_of(root) == "/dossier[1]"


def test_an_element_of_a_tree_still_being_built() -> None:
    builder = etree.TreeBuilder()
    builder.start(f"{{{NS}}}dossier", {})
    builder.start(f"{{{NS}}}a", {})
    builder.end(f"{{{NS}}}a")
    second = builder.start(f"{{{NS}}}a", {})
    assert path_of(second) == _path_by_counting(second) == "/dossier[1]/a[2]"
