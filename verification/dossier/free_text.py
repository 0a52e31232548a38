"""PaO.LL12 beyond the identity fields: a BSN or onderwijsnummer typed into any text of the dossier.

The profile refuses the ``bsn`` and ``onderwijsnummer`` elements (PaO.LL12); this rule looks at every
other text node and attribute value (an omschrijving, a toelichting, a label, a file name) for nine digits
that pass the elfproef (`verification.bsn`). The finding carries the same rule identifier and names the
field, never the number.
"""

from __future__ import annotations

from verification.bsn import contains_bsn
from verification.findings import Finding, fout

from ._tree import Element, path_of, q

__all__ = ["check_free_text", "free_text_message"]

_SKIPPED = frozenset({"bsn", "onderwijsnummer", "bestandsinhoud"})  # masked or refused by name; Base64
_INHOUD = q("bestandsinhoud")


def free_text_message(field: str) -> str:
    return (
        f"Het veld '{field}' bevat een nummer van negen cijfers dat een BSN of onderwijsnummer kan zijn. Een "
        "SWV-dossier mag nergens een BSN of onderwijsnummer bevatten. Het dossier is niet verwerkt en het nummer "
        "is niet bewaard; haal het nummer weg en verstuur het dossier opnieuw."
    )


def check_free_text(root: Element) -> list[Finding]:
    if not contains_bsn("\x00".join(_texts(root))):
        return []  # the usual case: nothing anywhere looks like one, asked of all texts in one scan
    findings: list[Finding] = []
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue  # comments, processing instructions
        name = tag.rpartition("}")[2]
        if name in _SKIPPED:
            continue
        if contains_bsn(el.text) or contains_bsn(el.tail) or any(contains_bsn(v) for v in el.attrib.values()):
            findings.append(fout("PaO.LL12", free_text_message(name), path_of(el)))
    return findings


def _texts(root: Element) -> list[str]:
    """Every text the walk in `check_free_text` reads, and a few more (the tails and attributes of skipped
    elements; those of other kinds of node): the walk runs only when one of them holds a number. The Base64
    of a bijlage is left out — by far the most text, and never read. A text of fewer than nine characters,
    or of white space only, cannot hold a number; the NUL between texts keeps each number within its text."""
    texts: list[str] = []
    keep = texts.append
    for el in root.iter():
        if el.tag != _INHOUD:
            text = el.text
            if text and len(text) > 8 and not text.isspace():
                keep(text)
        tail = el.tail
        if tail and len(tail) > 8 and not tail.isspace():
            keep(tail)
        values = el.values()
        if values:
            texts.extend(values)
    return texts
