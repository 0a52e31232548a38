"""Identifiers of schools and suppliers: BRIN4, vestigingscode, BRIN6 and OIN (DOMAIN.md §2.5).

Every ``parse_*`` function normalises its input (trims, upper-cases) and returns the value, or raises
`OngeldigeIdentificatie`, a `ValueError` that carries a `Finding` with a stable code and a Dutch reason.
None of these identifiers has a check digit: the pattern is all we can check; looking the school up is
the registry's job.

OIN (Logius OIN-stelsel): 20 positions; the first 8 name the source register.
``00000007`` BRIN-based (a school: ``00000007000`` + BRIN4 + ``00000``), ``00000003`` KvK-based
(suppliers such as Topicus), ``00000099`` test OINs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from verification.findings import Finding, fout

__all__ = [
    "SCHOOL_OIN_STEM",
    "SCHOOL_OIN_SUFFIX",
    "Brin6",
    "OinSoort",
    "OngeldigeIdentificatie",
    "brin4_from_school_oin",
    "oin_soort",
    "parse_brin4",
    "parse_brin6",
    "parse_oin",
    "parse_vestigingscode",
    "school_oin",
]

SCHOOL_OIN_STEM = "00000007000"
SCHOOL_OIN_SUFFIX = "00000"

_BRIN4 = re.compile(r"[0-9]{2}[A-Z]{2}")
_VESTIGING = re.compile(r"[0-9]{2}")
_BRIN6 = re.compile(r"([0-9]{2}[A-Z]{2})([0-9]{2})")
_OIN = re.compile(r"[0-9]{8}[0-9A-Z]{12}")
_SCHOOL_OIN = re.compile(SCHOOL_OIN_STEM + r"([0-9]{2}[A-Z]{2})" + SCHOOL_OIN_SUFFIX)


class OngeldigeIdentificatie(ValueError):
    """A malformed identifier. ``finding`` says which, why, and what to use instead."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(f"{finding.code}: {finding.message}")
        self.finding = finding


class OinSoort(StrEnum):
    BRIN = "brin"  # 00000007: BRIN-based (schools)
    KVK = "kvk"  # 00000003: KvK-based (suppliers)
    TEST = "test"  # 00000099: test OINs
    OVERIG = "overig"  # another register (RSIN, Logius-issued, ...)


_OIN_PREFIXES = {"00000007": OinSoort.BRIN, "00000003": OinSoort.KVK, "00000099": OinSoort.TEST}


def _clean(value: object) -> str:
    return str(value).strip().upper() if value is not None else ""


def _shown(value: object) -> str:
    text = "" if value is None else str(value)
    return repr(text[:40] + ("…" if len(text) > 40 else ""))


def parse_brin4(value: object, location: str | None = "brin") -> str:
    """``'14ss '`` → ``'14SS'``; anything else than two digits and two letters is refused."""
    text = _clean(value)
    if not _BRIN4.fullmatch(text):
        raise OngeldigeIdentificatie(
            fout(
                "BRIN4_ONGELDIG",
                f"{_shown(value)} is geen geldige BRIN-code: een BRIN-code bestaat uit twee cijfers en twee "
                "letters, bijvoorbeeld 14SS.",
                location,
            )
        )
    return text


def parse_vestigingscode(value: object, location: str | None = "vestigingscode") -> str:
    """Two digits; ``00`` is in practice the hoofdvestiging."""
    text = _clean(value)
    if not _VESTIGING.fullmatch(text):
        raise OngeldigeIdentificatie(
            fout(
                "VESTIGINGSCODE_ONGELDIG",
                f"{_shown(value)} is geen geldige vestigingscode: gebruik twee cijfers, bijvoorbeeld 00 voor "
                "de hoofdvestiging of 01 voor de eerste nevenvestiging.",
                location,
            )
        )
    return text


@dataclass(frozen=True, slots=True, order=True)
class Brin6:
    """A vestiging: BRIN4 + vestigingscode, written ``14SS01``."""

    brin4: str
    vestigingscode: str

    def __post_init__(self) -> None:
        parse_brin4(self.brin4)
        parse_vestigingscode(self.vestigingscode)

    @property
    def is_hoofdvestiging(self) -> bool:
        return self.vestigingscode == "00"

    def __str__(self) -> str:
        return self.brin4 + self.vestigingscode


def parse_brin6(value: object, location: str | None = "brin6") -> Brin6:
    """``'14ss01'`` → ``Brin6('14SS', '01')``. A bare BRIN4 is refused: say which vestiging."""
    text = _clean(value)
    match = _BRIN6.fullmatch(text)
    if match is None:
        hint = (
            f" Vul ook de vestigingscode in, bijvoorbeeld {text}00 voor de hoofdvestiging."
            if _BRIN4.fullmatch(text)
            else ""
        )
        raise OngeldigeIdentificatie(
            fout(
                "BRIN6_ONGELDIG",
                f"{_shown(value)} is geen geldige BRIN6-code: gebruik de BRIN-code met de twee cijfers van "
                f"de vestiging, bijvoorbeeld 14SS01.{hint}",
                location,
            )
        )
    return Brin6(match.group(1), match.group(2))


def oin_soort(oin: str) -> OinSoort:
    return _OIN_PREFIXES.get(oin[:8], OinSoort.OVERIG)


def parse_oin(
    value: object,
    location: str | None = "oin",
    *,
    allowed: frozenset[OinSoort] | None = None,
) -> str:
    """A 20-position OIN. ``allowed`` restricts the register (e.g. KvK or test for a supplier)."""
    text = _clean(value)
    if not _OIN.fullmatch(text):
        raise OngeldigeIdentificatie(
            fout(
                "OIN_ONGELDIG",
                f"{_shown(value)} is geen geldig OIN: een OIN heeft 20 posities, waarvan de eerste 8 cijfers "
                "zijn (bijvoorbeeld 0000000700014SS00000 voor school 14SS).",
                location,
            )
        )
    if allowed is not None and oin_soort(text) not in allowed:
        soorten = ", ".join(sorted(s.value for s in allowed))
        raise OngeldigeIdentificatie(
            fout(
                "OIN_SOORT_ONVERWACHT",
                f"OIN {text} is van de soort '{oin_soort(text).value}', hier wordt verwacht: {soorten}. "
                "Controleer of het OIN van de juiste organisatie is overgenomen.",
                location,
            )
        )
    return text


def school_oin(brin4: object) -> str:
    """``'14SS'`` → ``'0000000700014SS00000'``."""
    return SCHOOL_OIN_STEM + parse_brin4(brin4) + SCHOOL_OIN_SUFFIX


def brin4_from_school_oin(oin: object, location: str | None = "school_oin") -> str:
    """``'0000000700014SS00000'`` → ``'14SS'``; refuses OINs that are not a school's."""
    text = parse_oin(oin, location)
    match = _SCHOOL_OIN.fullmatch(text)
    if match is None:
        raise OngeldigeIdentificatie(
            fout(
                "OIN_GEEN_SCHOOL",
                f"OIN {text} is geen OIN van een school: dat is {SCHOOL_OIN_STEM} + de BRIN-code + "
                f"{SCHOOL_OIN_SUFFIX}, bijvoorbeeld 0000000700014SS00000.",
                location,
            )
        )
    return match.group(1)
