"""A BSN or onderwijsnummer hidden in free text: nine digits that pass the elfproef, with or without separators.

The dossier rule (PaO.LL12) forbids a BSN or onderwijsnummer anywhere in what the SWV receives; the
identity fields are refused by name, but a number typed into an omschrijving, a toelichting, a label or a
file name would slip through. `contains_bsn` finds them:

- nine digits, not part of a longer run of digits, optionally split by single spaces, dots or hyphens
  (``123456782``, ``1234.56.782``, ``123 456 782``, ``12-34-56-782``);
- a **BSN** passes the elfproef: 9·d1 + 8·d2 + … + 2·d8 − 1·d9 ≡ 0 (mod 11), and is not 000000000;
- an **onderwijsnummer** passes its own variant: 9·d1 + … + 2·d8 + 1·d9 ≡ 5 (mod 11)
  (Dienst Uitvoering Onderwijs, "elfproef onderwijsnummer").

Nothing here returns or keeps the number itself: callers name the field, never the value.
"""

from __future__ import annotations

import re

__all__ = ["contains_bsn", "passes_elfproef"]

_CANDIDATE = re.compile(r"(?<![\d])\d(?:[ .\-]?\d){8}(?![\d])")
# A chain of nine digits or more, each pair at most one separator apart: every candidate lies inside one, and
# within the chain it has the same neighbours (a chain starts and ends beside a non-digit). Without a
# look-behind the engine scans text far faster (≈ 15 ×), so the candidates are only looked for inside chains.
_CHAIN = re.compile(r"\d(?:[ .\-]?\d){8,}")
_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)
_NOT_DIGIT = re.compile(r"\D")


def passes_elfproef(digits: str) -> bool:
    """True for nine digits that are a valid BSN or onderwijsnummer by their check digit."""
    if len(digits) != 9 or not digits.isdigit() or digits == "000000000":
        return False
    total = sum(w * int(d) for w, d in zip(_WEIGHTS, digits, strict=False))
    last = int(digits[8])
    return (total - last) % 11 == 0 or (total + last) % 11 == 5


def contains_bsn(text: str | None) -> bool:
    """Whether ``text`` holds a nine-digit number that passes the elfproef (with or without separators)."""
    if not text or len(text) < 9:
        return False
    for chain in _CHAIN.findall(text):
        for match in _CANDIDATE.finditer(chain):
            if passes_elfproef(_NOT_DIGIT.sub("", match.group())):
                return True
    return False
