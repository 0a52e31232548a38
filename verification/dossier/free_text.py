"""PaO.LL12 beyond the identity fields: a BSN or onderwijsnummer typed into any text of the dossier.

The profile refuses the ``bsn`` and ``onderwijsnummer`` elements (PaO.LL12); this rule looks at every
other text node and attribute value (an omschrijving, a toelichting, a label, a file name) for nine digits
that pass the elfproef (`verification.bsn`). The finding carries the same rule identifier and names the
field, never the number.
"""

from __future__ import annotations

from verification.bsn import contains_bsn
from verification.findings import Finding, fout

from ._tree import Element, path_of

__all__ = ["check_free_text", "free_text_message"]

_SKIPPED = frozenset({"bsn", "onderwijsnummer", "bestandsinhoud"})  # masked or refused by name; Base64


def free_text_message(field: str) -> str:
    return (
        f"Het veld '{field}' bevat een nummer van negen cijfers dat een BSN of onderwijsnummer kan zijn. Een "
        "SWV-dossier mag nergens een BSN of onderwijsnummer bevatten. Het dossier is niet verwerkt en het nummer "
        "is niet bewaard; haal het nummer weg en verstuur het dossier opnieuw."
    )


def check_free_text(root: Element) -> list[Finding]:
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
