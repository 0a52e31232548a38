"""Aanvraagtype rules: is this request type known, may it come through a LAS, does it carry what it must?

Pure: the catalogue comes in as plain values (`AanvraagtypeRegel`), the verdict goes out as findings.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from verification.findings import Finding, fout, waarschuwing

__all__ = ["AanvraagtypeRegel", "check_aanvraag", "find_aanvraagtype", "suggest_aanvraagtypes"]

ROLE_OPP = "opp"
ROLE_TOELICHTING = "toelichting_onderwijsbehoeften"


@dataclass(frozen=True, slots=True)
class AanvraagtypeRegel:
    naam: str
    via_las: bool
    verplichte_bijlage: str | None  # None | "opp" | "opp_of_document" | "formulier"
    eerste_status: str | None


def find_aanvraagtype(naam: str | None, catalogue: Iterable[AanvraagtypeRegel]) -> AanvraagtypeRegel | None:
    """Exact match on the SWV's wording (the handbook: 'exact de bewoording van het SWV')."""
    if naam is None:
        return None
    return next((r for r in catalogue if r.naam == naam), None)


def suggest_aanvraagtypes(naam: str, catalogue: Iterable[AanvraagtypeRegel], n: int = 3) -> list[str]:
    """The closest valid wordings for a near miss (case and spacing differences first)."""
    allowed = [r.naam for r in catalogue if r.via_las]
    folded = " ".join(naam.split()).casefold()
    exactish = [a for a in allowed if " ".join(a.split()).casefold() == folded]
    close = difflib.get_close_matches(naam, allowed, n=n, cutoff=0.5)
    lowered = {a.casefold(): a for a in allowed}
    close += [lowered[c] for c in difflib.get_close_matches(folded, list(lowered), n=n, cutoff=0.5)]
    out: list[str] = []
    for s in exactish + close:
        if s not in out:
            out.append(s)
    return out[:n]


def check_aanvraag(
    naam: str | None,
    catalogue: Sequence[AanvraagtypeRegel],
    *,
    bijlage_roles: Iterable[str],
    source_system: str,
) -> list[Finding]:
    """Findings for a request of type `naam` with bijlagen of the given roles (existing + new together).

    An unknown or missing aanvraagtype is a warning: the hulpvraag is made and the secretariaat classifies
    it. A type that may not come through a LAS, or a missing required document, is a refusal.
    """
    roles = set(bijlage_roles)
    findings: list[Finding] = []
    if source_system == "parnassys" and ROLE_TOELICHTING not in roles:
        findings.append(
            fout(
                "TOELICHTING_ONDERWIJSBEHOEFTEN_ONTBREEKT",
                "De aanvraag bevat geen toelichting onderwijsbehoeften. Voeg in ParnasSys bij de aanvraag het "
                "document 'Toelichting onderwijsbehoeften' toe en verstuur de aanvraag opnieuw.",
                "onderwijsondersteuning/toelichting_onderwijsbehoeften",
            )
        )
    if naam is None:
        findings.append(
            waarschuwing(
                "AANVRAAGTYPE_ONTBREEKT",
                "De aanvraag noemt geen aanvraagtype. Het secretariaat kiest het juiste aanvraagtype.",
                "aanvraag/aanvraagtype",
            )
        )
        return findings
    regel = find_aanvraagtype(naam, catalogue)
    if regel is None:
        hint = suggest_aanvraagtypes(naam, catalogue)
        extra = f" Bedoelde u: {', '.join(repr(h) for h in hint)}?" if hint else ""
        findings.append(
            waarschuwing(
                "AANVRAAGTYPE_ONBEKEND",
                f"Het aanvraagtype {naam!r} komt niet voor in de lijst van het samenwerkingsverband.{extra} "
                "Het secretariaat kiest het juiste aanvraagtype.",
                "aanvraag/aanvraagtype",
            )
        )
        return findings
    if not regel.via_las:
        findings.append(
            fout(
                "AANVRAAGTYPE_NIET_VIA_LAS",
                f"Een '{regel.naam}' kan niet via het leerlingadministratiesysteem worden verstuurd. Dien deze "
                "aanvraag rechtstreeks in bij het samenwerkingsverband (in Kindkans).",
                "aanvraag/aanvraagtype",
            )
        )
    if regel.verplichte_bijlage == "opp" and ROLE_OPP not in roles:
        findings.append(
            fout(
                "OPP_ONTBREEKT",
                f"Bij een '{regel.naam}' hoort een ontwikkelingsperspectiefplan (OPP). Voeg het OPP toe en "
                "verstuur de aanvraag opnieuw.",
                "bijlagen",
            )
        )
    if regel.verplichte_bijlage == "opp_of_document" and not roles:
        findings.append(
            fout(
                "DOCUMENT_ONTBREEKT",
                f"Bij een '{regel.naam}' hoort een OPP of een ander document dat de hulpvraag beschrijft. Voeg "
                "het document toe en verstuur de aanvraag opnieuw.",
                "bijlagen",
            )
        )
    return findings
