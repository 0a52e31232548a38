"""Routeringskenmerken in the 500-range (DOMAIN.md §2.4, handbook §8.2.3).

A school's ICT'er ticks, per vestiging, exactly one routeringskenmerk in ParnasSys: 500 for the
hoofdvestiging (``14SS`` / ``14SS00``), 501 for ``14SS01``, and so on. We generalise: **5NN belongs to
vestiging NN** (500–599 ↔ 00–99), a one-to-one mapping. On the wire (OSO'21) the kenmerk is 20 positions:
``00000007000`` + BRIN4 + a 5-digit suffix; ASSUMPTION: the suffix is ParnasSys's number (``00501``).

The rules take plain facts: the kenmerk as sent, the sender's BRIN and the vestigingen registered with
our SWV (each with the kenmerk the SWV recorded for it). Every refusal tells the ICT'er what to change.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from verification.findings import Finding, Verdict, fout
from verification.identifiers import (
    SCHOOL_OIN_STEM,
    Brin6,
    OngeldigeIdentificatie,
    parse_brin4,
    parse_brin6,
    parse_vestigingscode,
)

__all__ = [
    "PARNASSYS_SCHERM",
    "RoutedVestiging",
    "Routeringskenmerk",
    "Vestiging",
    "check_configured_kenmerk",
    "check_routeringskenmerk",
    "check_vestigingen",
    "kenmerk_for_vestiging",
    "parse_routeringskenmerk",
    "read_routeringskenmerk",
    "routeringskenmerk_syntax_ok",
]

PARNASSYS_SCHERM = "Beheer > Koppelingen > Configuratie routeringskenmerken Kindkans (OSO)"
_LONG = re.compile(SCHOOL_OIN_STEM + r"([0-9]{2}[A-Z]{2})([0-9]{5})")
_SHORT = re.compile(r"[0-9]{1,5}")  # as ParnasSys shows it (500) or as its 5-digit suffix (00500)
_ANY_LONG = re.compile(r"[0-9A-Z]{20}")  # the 20-position OSO'21 form of any party (an OIN for the SWV)
LOWEST, HIGHEST = 500, 599


def _in_parnassys(action: str) -> str:
    return f"Ga in ParnasSys naar '{PARNASSYS_SCHERM}' en {action}"


@dataclass(frozen=True, slots=True)
class Routeringskenmerk:
    """A normalised routeringskenmerk: its number (500–599) and, from the long form, the BRIN4 in it."""

    nummer: int
    brin4: str | None = None

    @property
    def vestigingscode(self) -> str:
        return f"{self.nummer - LOWEST:02d}"

    def long_form(self, brin4: str | None = None) -> str:
        """The 20-position OSO'21 form, e.g. ``0000000700014SS00501``."""
        brin = self.brin4 or (parse_brin4(brin4) if brin4 is not None else None)
        if brin is None:
            raise ValueError("the long form needs a BRIN4")
        return f"{SCHOOL_OIN_STEM}{brin}{self.nummer:05d}"

    def __str__(self) -> str:
        return str(self.nummer)


def kenmerk_for_vestiging(vestigingscode: str) -> Routeringskenmerk:
    """Vestiging ``00`` → 500, ``01`` → 501, …, ``99`` → 599."""
    return Routeringskenmerk(LOWEST + int(vestigingscode))


def routeringskenmerk_syntax_ok(value: str) -> bool:
    """Whether ``value`` has the form of a routeringskenmerk of any party (``schemas/oso`` agrees):
    1–5 digits, or 20 digits and capitals."""
    return bool(_SHORT.fullmatch(value) or _ANY_LONG.fullmatch(value))


def read_routeringskenmerk(value: object) -> tuple[str | None, int] | None:
    """The one reading of a school's routeringskenmerk: (BRIN4 from the long form or None, number), or None
    when it has neither form. Says nothing about the 500-range; `parse_routeringskenmerk` does."""
    text = "" if value is None else str(value).strip().upper()
    if len(text) == 20 and (long := _LONG.fullmatch(text)) is not None:
        return long.group(1), int(long.group(2))
    if _SHORT.fullmatch(text):
        return None, int(text)
    return None


def parse_routeringskenmerk(value: object, location: str | None = "routeringskenmerk") -> Routeringskenmerk:
    """Accept ``'501'`` or ``'0000000700014SS00501'``; refuse anything outside the 500-range."""
    text = "" if value is None else str(value).strip().upper()
    if not text:
        raise OngeldigeIdentificatie(
            fout(
                "ROUTERING_ONTBREEKT",
                "Er is geen routeringskenmerk meegestuurd. "
                + _in_parnassys("vink voor deze vestiging het juiste nummer in de 500-reeks aan."),
                location,
            )
        )
    read = read_routeringskenmerk(text)
    if read is None:
        raise OngeldigeIdentificatie(
            fout(
                "ROUTERING_ONGELDIG",
                f"'{text[:40]}' is geen routeringskenmerk: verwacht een nummer in de 500-reeks (zoals 501) of "
                "de lange vorm van 20 posities (zoals 0000000700014SS00501). "
                + _in_parnassys("vink voor deze vestiging het juiste nummer in de 500-reeks aan."),
                location,
            )
        )
    brin4, nummer = read
    if not LOWEST <= nummer <= HIGHEST:
        raise OngeldigeIdentificatie(
            fout(
                "ROUTERING_BUITEN_500_REEKS",
                f"Routeringskenmerk {nummer} ligt buiten de 500-reeks. "
                + _in_parnassys(
                    f"haal het vinkje bij {nummer} weg; vink 500 aan voor de hoofdvestiging, 501 voor "
                    "nevenvestiging 01, 502 voor 02 enzovoort. Activeer nooit een nummer buiten de 500-reeks."
                ),
                location,
            )
        )
    return Routeringskenmerk(nummer, brin4)


@dataclass(frozen=True, slots=True)
class Vestiging:
    """A vestiging as registered with our SWV, with the routeringskenmerk the SWV recorded for it."""

    brin6: str
    routeringskenmerk: str | None = None
    naam: str | None = None


@dataclass(frozen=True, slots=True)
class RoutedVestiging:
    """The result of checking an incoming kenmerk: the verdict and, when it is ok, the vestiging."""

    verdict: Verdict
    vestiging: Brin6 | None = None
    kenmerk: Routeringskenmerk | None = None


def _wrong_vestiging(kenmerk: int, brin6: Brin6, location: str | None) -> Finding:
    juist = kenmerk_for_vestiging(brin6.vestigingscode).nummer
    return fout(
        "ROUTERING_VESTIGING_WIJKT_AF",
        f"Routeringskenmerk {kenmerk} hoort niet bij vestiging {brin6}: voor {brin6} is dat {juist}. "
        + _in_parnassys(f"vink bij {brin6} routeringskenmerk {juist} aan en haal het vinkje bij {kenmerk} weg."),
        location,
    )


def _not_set(brin6: Brin6, location: str | None) -> Finding:
    juist = kenmerk_for_vestiging(brin6.vestigingscode).nummer
    return fout(
        "ROUTERING_NIET_INGESTELD",
        f"Voor vestiging {brin6} is bij het samenwerkingsverband nog geen routeringskenmerk vastgelegd. "
        + _in_parnassys(
            f"vink bij {brin6} routeringskenmerk {juist} aan, en geef dit door aan het secretariaat van het "
            "samenwerkingsverband zodat het daar wordt vastgelegd."
        ),
        location,
    )


def _not_registered(brin6: Brin6, location: str | None) -> Finding:
    return fout(
        "VESTIGING_NIET_GEREGISTREERD",
        f"Vestiging {brin6} is niet geregistreerd bij het samenwerkingsverband. Vraag het secretariaat van "
        f"het samenwerkingsverband om vestiging {brin6} te registreren, en controleer in ParnasSys "
        f"('{PARNASSYS_SCHERM}') dat het vinkje staat bij de vestiging waarvoor je verstuurt.",
        location,
    )


def check_configured_kenmerk(vestiging: Vestiging, location: str | None = None) -> Verdict:
    """Is the kenmerk recorded for this vestiging set, in the 500-range and the vestiging's own?"""
    where = location or f"vestiging {vestiging.brin6}"
    try:
        brin6 = parse_brin6(vestiging.brin6, where)
        if vestiging.routeringskenmerk is None or not str(vestiging.routeringskenmerk).strip():
            return Verdict.of([_not_set(brin6, where)])
        kenmerk = parse_routeringskenmerk(vestiging.routeringskenmerk, where)
    except OngeldigeIdentificatie as exc:
        return Verdict.of([exc.finding])
    findings: list[Finding] = []
    if kenmerk.brin4 is not None and kenmerk.brin4 != brin6.brin4:
        findings.append(_brin_differs(kenmerk, brin6.brin4, where))
    if kenmerk.vestigingscode != brin6.vestigingscode:
        findings.append(_wrong_vestiging(kenmerk.nummer, brin6, where))
    return Verdict.of(findings)


def _brin_differs(kenmerk: Routeringskenmerk, brin4: str, location: str | None) -> Finding:
    return fout(
        "ROUTERING_BRIN_WIJKT_AF",
        f"Het routeringskenmerk {kenmerk.long_form()} bevat BRIN-code {kenmerk.brin4}, maar de school is "
        f"{brin4}. "
        + _in_parnassys(
            f"vink het routeringskenmerk aan dat achter BRIN-code {brin4} staat, en haal het vinkje bij "
            f"{kenmerk.brin4} weg."
        ),
        location,
    )


def check_vestigingen(vestigingen: Iterable[Vestiging]) -> Verdict:
    """Registry consistency: each kenmerk valid and the vestiging's own; one kenmerk per vestiging; no
    kenmerk shared by two vestigingen of one school."""
    rows = list(vestigingen)
    findings: list[Finding] = []
    per_vestiging: dict[str, set[int]] = defaultdict(set)
    per_kenmerk: dict[tuple[str, int], set[str]] = defaultdict(set)
    for row in rows:
        verdict = check_configured_kenmerk(row)
        findings.extend(verdict.findings)
        try:
            brin6 = parse_brin6(row.brin6)
            kenmerk = parse_routeringskenmerk(row.routeringskenmerk)
        except OngeldigeIdentificatie:
            continue
        per_vestiging[str(brin6)].add(kenmerk.nummer)
        per_kenmerk[(brin6.brin4, kenmerk.nummer)].add(str(brin6))
    for brin6_text, nummers in sorted(per_vestiging.items()):
        if len(nummers) > 1:
            lijst = ", ".join(str(n) for n in sorted(nummers))
            juist = kenmerk_for_vestiging(brin6_text[4:]).nummer
            findings.append(
                fout(
                    "ROUTERING_MEER_DAN_EEN",
                    f"Vestiging {brin6_text} heeft meer dan één routeringskenmerk ({lijst}); per vestiging "
                    "hoort er precies één. "
                    + _in_parnassys(f"laat bij {brin6_text} alleen het vinkje bij {juist} staan."),
                    f"vestiging {brin6_text}",
                )
            )
    for (brin4, nummer), owners in sorted(per_kenmerk.items()):
        if len(owners) > 1:
            findings.append(
                fout(
                    "ROUTERING_DUBBEL",
                    f"Routeringskenmerk {nummer} van school {brin4} is vastgelegd bij meer dan één vestiging "
                    f"({', '.join(sorted(owners))}). Elk routeringskenmerk hoort bij precies één vestiging: "
                    f"{nummer} hoort bij {brin4}{nummer - LOWEST:02d}. Het secretariaat past de registratie "
                    "aan.",
                    f"routeringskenmerk {brin4} {nummer}",
                )
            )
    return Verdict.of(findings)


def check_routeringskenmerk(
    kenmerk: object,
    *,
    sender_brin: object,
    vestigingen: Iterable[Vestiging],
    dossier_vestigingscode: str | None = None,
    location: str | None = "bronRouteringsKenmerk",
) -> RoutedVestiging:
    """Check the kenmerk of an incoming exchange and find the vestiging it routes to.

    ``sender_brin`` is the BRIN the sender gave (BRIN4 or BRIN6); ``dossier_vestigingscode`` the
    vestiging named in the dossier, when known. ``vestigingen`` are those registered with our SWV.
    """
    try:
        parsed = parse_routeringskenmerk(kenmerk, location)
        sender_text = "" if sender_brin is None else str(sender_brin).strip().upper()
        sender = parse_brin6(sender_text, "bronBrin") if len(sender_text) == 6 else None
        brin4 = sender.brin4 if sender is not None else parse_brin4(sender_text, "bronBrin")
        expected_code = sender.vestigingscode if sender is not None else None
        if expected_code is None and dossier_vestigingscode is not None:
            expected_code = parse_vestigingscode(dossier_vestigingscode, "dossier/vestigingscode")
    except OngeldigeIdentificatie as exc:
        return RoutedVestiging(Verdict.of([exc.finding]))
    if parsed.brin4 is not None and parsed.brin4 != brin4:
        return RoutedVestiging(Verdict.of([_brin_differs(parsed, brin4, location)]), kenmerk=parsed)
    target = Brin6(brin4, expected_code or parsed.vestigingscode)
    if parsed.vestigingscode != target.vestigingscode:
        return RoutedVestiging(Verdict.of([_wrong_vestiging(parsed.nummer, target, location)]), kenmerk=parsed)
    registered = [v for v in vestigingen if _same_brin6(v.brin6, target)]
    if not registered:
        return RoutedVestiging(Verdict.of([_not_registered(target, location)]), kenmerk=parsed)
    recorded = {r.routeringskenmerk.strip() for r in registered if r.routeringskenmerk}
    if not recorded:
        return RoutedVestiging(Verdict.of([_not_set(target, location)]), kenmerk=parsed)
    registry = check_vestigingen(registered)
    if not registry.ok:
        return RoutedVestiging(registry, kenmerk=parsed)
    return RoutedVestiging(Verdict(), vestiging=target, kenmerk=parsed)


def _same_brin6(value: str, target: Brin6) -> bool:
    try:
        return parse_brin6(value) == target
    except OngeldigeIdentificatie:
        return False
