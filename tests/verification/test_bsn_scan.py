"""The quick scans for a BSN in free text find exactly what the plain definition finds: `contains_bsn` looks for
candidates only inside chains of digits, and `check_free_text` walks the dossier only when one scan of all its
texts found a number. Both are checked against the rule written out plainly, on generated text and trees."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from verification.bsn import contains_bsn, passes_elfproef
from verification.dossier import NS, path_of
from verification.dossier.free_text import check_free_text, free_text_message
from verification.findings import Finding, fout

BSN = "123456782"
ONDERWIJSNUMMER = "101234567"
_PLAIN = re.compile(r"(?<![\d])\d(?:[ .\-]?\d){8}(?![\d])")


def plain_contains_bsn(text: str | None) -> bool:
    """The rule as written in verification/bsn.py's docstring: one scan of the whole text."""
    return bool(text) and any(passes_elfproef(re.sub(r"\D", "", m.group())) for m in _PLAIN.finditer(text or ""))


def plain_check_free_text(root: etree._Element) -> list[Finding]:
    """Every element's text, tail and attribute values, but for the skipped names."""
    findings = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        name = el.tag.rpartition("}")[2]
        if name in {"bsn", "onderwijsnummer", "bestandsinhoud"}:
            continue
        if any(plain_contains_bsn(t) for t in (el.text, el.tail, *el.attrib.values())):
            findings.append(fout("PaO.LL12", free_text_message(name), path_of(el)))
    return findings


# digits and separators dense enough to make chains, numbers that pass the elfproef, and a non-ASCII digit
_pieces = st.sampled_from(["1", "2", "5", "8", "0", " ", ".", "-", "--", "a", "\n  ", "٣", BSN, ONDERWIJSNUMMER])
texts = st.lists(_pieces, max_size=24).map("".join)


@settings(max_examples=3000, deadline=None)
@given(texts)
def test_a_bsn_is_found_in_text_exactly_where_the_plain_rule_finds_one(text: str) -> None:
    assert contains_bsn(text) == plain_contains_bsn(text)


def test_chains_longer_than_a_number_hide_it_and_separators_do_not() -> None:
    assert contains_bsn(f"nummer {BSN}.") and contains_bsn("12 34 56 782") and contains_bsn(f"5 {BSN}")
    assert not contains_bsn(f"1{BSN}") and not contains_bsn(f"{BSN}0") and not contains_bsn("1234567820123")
    assert contains_bsn(f"12--{BSN}") and not contains_bsn("12-3456789012")


_names = st.sampled_from(["omschrijving", "bestandsnaam", "bestandsinhoud", "bsn", "onderwijsnummer", "toelichting"])
_spaces = st.sampled_from([NS, NS, "urn:other"])


@st.composite
def dossiers(draw: st.DrawFn) -> etree._Element:
    root = etree.Element(f"{{{NS}}}dossier")
    parents = [root]
    for _ in range(draw(st.integers(0, 8))):
        parent = draw(st.sampled_from(parents))
        el = etree.SubElement(parent, f"{{{draw(_spaces)}}}{draw(_names)}")
        el.text = draw(st.none() | texts)
        el.tail = draw(st.none() | texts)
        if draw(st.booleans()):
            el.set("label", draw(texts))
        if draw(st.booleans()):
            el.addnext(etree.Comment(draw(texts).replace("--", "- ").rstrip("-")))
        parents.append(el)
    return root


@settings(max_examples=1500, deadline=None)
@given(dossiers())
def test_free_text_findings_are_those_of_the_plain_walk(root: etree._Element) -> None:
    assert check_free_text(root) == plain_check_free_text(root)


def test_a_number_beside_a_skipped_field_only_is_no_finding() -> None:
    root = etree.Element(f"{{{NS}}}dossier")
    inhoud = etree.SubElement(root, f"{{{NS}}}bestandsinhoud")
    inhoud.text = f"{BSN}{BSN}"  # Base64 is never read
    masked = etree.SubElement(root, f"{{{NS}}}bsn")
    masked.text, masked.tail = BSN, f" {BSN} "  # read by the quick scan, skipped by the walk
    assert check_free_text(root) == []
    etree.SubElement(root, f"{{{NS}}}omschrijving").set("label", f"zie {BSN}")
    assert [(f.code, f.location) for f in check_free_text(root)] == [("PaO.LL12", "/dossier[1]/omschrijving[1]")]
