"""Derive the project's own SWV dossier schema from the official OSO gegevensset 2019.1 XSD.

Run once (and again only when the standard changes); the output is committed, the official file is not:

    .venv/bin/python schemas/dossier/generate_schema.py

What the rewrite does, and why the content model stays the same:
- drops every ``xs:annotation`` and comment (documentation only, no effect on validation);
- drops occurrence attributes that equal their default (``minOccurs="1"``, ``maxOccurs="1"``);
- orders the global components by kind (elements, groups, complex types, simple types) and by name,
  which XSD allows because global components are referenced by name, not by position;
- adds a header that says where it comes from.
Nothing else changes: every particle, type, facet and ``final`` attribute is kept as it is, so a document
is valid against this schema exactly when it is valid against the official one. The test suite checks
that on the official examples and on the factory's mutation corpus (tests/dossier/test_schema_agrees.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

from lxml import etree

XS = "http://www.w3.org/2001/XMLSchema"
ROOT = Path(__file__).resolve().parents[2]
OFFICIAL = ROOT / ".." / "shared" / "oso-gegevensset-2019.1" / "OSO_gegevensset.xsd"
OUTPUT = Path(__file__).resolve().parent / "oso_gegevensset_2019_1_swv.xsd"

HEADER = """
  SWV intake gateway: schema for the OSO gegevensset 2019.1 dossier (namespace
  http://www.edustandaard.nl/oso_gegevensset/2019/dossier), as used for SWV dossiers (PaO/SWV profiles).
  Derived by schemas/dossier/generate_schema.py from the Edustandaard XSD of release 2019.1
  (edustandaard/oso-gegevensset, tag 2019.1): documentation stripped, defaults dropped, global
  components reordered. Same content model: a dossier is valid here exactly when it is valid there.
  The SWV profile rules (PaO.*) are not schema rules; they live in verification/dossier/.
"""

_KIND_ORDER = {"element": 0, "group": 1, "complexType": 2, "simpleType": 3}


def rewrite(official: bytes) -> bytes:
    parser = etree.XMLParser(remove_comments=True, remove_blank_text=True, resolve_entities=False, no_network=True)
    schema = etree.fromstring(official, parser)
    for annotation in list(schema.iter(f"{{{XS}}}annotation")):
        annotation.getparent().remove(annotation)
    for el in schema.iter(etree.Element):
        for attr in ("minOccurs", "maxOccurs"):
            if el.get(attr) == "1":
                del el.attrib[attr]
        if el.text is not None and not el.text.strip():
            el.text = None
    globals_ = list(schema)
    for el in globals_:
        schema.remove(el)

    def key(el: etree._Element) -> tuple[int, str]:
        return (_KIND_ORDER.get(etree.QName(el).localname, 9), el.get("name", ""))

    schema.append(etree.Comment(HEADER))
    for el in sorted(globals_, key=key):
        schema.append(el)
    etree.indent(schema, space="  ")
    return etree.tostring(schema, xml_declaration=True, encoding="UTF-8") + b"\n"


def main() -> int:
    OUTPUT.write_bytes(rewrite(OFFICIAL.read_bytes()))
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
