"""OSO-SWV mandates in the OSR (DOMAIN.md §2.3, handbook §8.2.1).

The school's bestuur adds, per school (BRIN4), two mandates for the service OSO-SWV: one with system
ParnasSys and one with system Kindkans (our side). A request from ParnasSys may be accepted only when both
are valid on the reference date. A BRIN4 mandate covers a nevenvestiging only when that vestiging is
registered with our SWV and has its routeringskenmerk.

ASSUMPTIONS (docs/assumptions/osr.md): ``end_date`` is inclusive (the last valid day); the service
namespace and the supplier OINs are configuration (`OsoSwvParties`), with test OINs as defaults; system
names match case- and space-insensitively ("Kind Kans" is "Kindkans").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from verification.findings import Finding, Verdict, fout
from verification.identifiers import (
    OngeldigeIdentificatie,
    brin4_from_school_oin,
    parse_brin4,
    parse_brin6,
    parse_oin,
    school_oin,
)
from verification.routering import Vestiging

__all__ = [
    "DEFAULT_SERVICE_NAMESPACE",
    "Mandaat",
    "OsoSwvParties",
    "System",
    "check_mandate_for_system",
    "check_oso_swv_mandates",
    "check_vestiging_covered",
    "same_system",
]

# ASSUMPTION: the OSR's namespace URI of OSO-SWV is not public here; a knob with this placeholder default.
DEFAULT_SERVICE_NAMESPACE = "http://xml.kennisnet.nl/schemas/osr/services/oso-swv"
OSR_SCHERM = "het Onderwijs Service Register (osr.kennisnet.nl > Mandaten beheren)"


def _system_key(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def same_system(a: str, b: str) -> bool:
    """``'Kind Kans'`` and ``'Kindkans'`` are the same system."""
    return _system_key(a) == _system_key(b)


@dataclass(frozen=True, slots=True)
class System:
    """One party of OSO-SWV: its system name in the OSR and its supplier OIN."""

    name: str
    supplier_oin: str


@dataclass(frozen=True, slots=True)
class OsoSwvParties:
    """Knobs: the OSO-SWV service and the two systems that both need a mandate.

    Defaults are test values (``00000099…``); production settings supply Topicus's and our own OINs.
    """

    service_namespace: str = DEFAULT_SERVICE_NAMESPACE
    parnassys: System = field(default_factory=lambda: System("ParnasSys", "00000099000000000001"))
    kindkans: System = field(default_factory=lambda: System("Kindkans", "00000099000000000002"))

    @property
    def systems(self) -> tuple[System, System]:
        return (self.parnassys, self.kindkans)

    def system_for_supplier(self, supplier_oin: str) -> System | None:
        return next((s for s in self.systems if s.supplier_oin == supplier_oin), None)


@dataclass(frozen=True, slots=True)
class Mandaat:
    """A mandate: school (BRIN4 or school OIN; kept as the OIN), service, system, supplier and dates."""

    school_oin: str
    service_namespace: str
    system: str
    supplier_oin: str | None
    start_date: dt.date
    end_date: dt.date | None = None

    def __post_init__(self) -> None:
        school = str(self.school_oin).strip().upper()
        oin = school_oin(school) if len(school) <= 6 else school  # a BRIN4, or an OIN
        brin4_from_school_oin(oin)
        object.__setattr__(self, "school_oin", oin)
        if self.supplier_oin is not None:
            object.__setattr__(self, "supplier_oin", parse_oin(self.supplier_oin, "supplier_oin"))
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date lies before start_date")

    @property
    def brin4(self) -> str:
        return brin4_from_school_oin(self.school_oin)

    def valid_on(self, day: dt.date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)

    def is_for(self, system: System, service_namespace: str) -> bool:
        if self.service_namespace.strip() != service_namespace.strip():
            return False
        if self.supplier_oin is not None and self.supplier_oin == system.supplier_oin:
            return True
        return same_system(self.system, system.name)


def _fix_in_osr(brin4: str, system: str) -> str:
    return (
        f"Het bestuur van de school stelt dit in via {OSR_SCHERM}: kies school {brin4}, '+mandaat toevoegen', "
        f"dienst OSO-SWV en systeem {system}."
    )


def check_mandate_for_system(
    brin4: str,
    system: System,
    mandates: Iterable[Mandaat],
    reference_date: dt.date,
    *,
    service_namespace: str = DEFAULT_SERVICE_NAMESPACE,
) -> Finding | None:
    """None when a mandate of ``system`` for this school is valid on ``reference_date``; else why not."""
    oin = school_oin(brin4)
    location = f"mandaat OSO-SWV {system.name}"
    relevant = [m for m in mandates if m.school_oin == oin and m.is_for(system, service_namespace)]
    if any(m.valid_on(reference_date) for m in relevant):
        return None
    datum = reference_date.isoformat()
    future = sorted(m.start_date for m in relevant if m.start_date > reference_date)
    if future:
        return fout(
            "MANDAAT_NOG_NIET_GELDIG",
            f"Het mandaat OSO-SWV voor systeem {system.name} van school {brin4} geldt pas vanaf "
            f"{future[0].isoformat()} (gecontroleerd op {datum}). Wacht tot die datum, of laat het bestuur "
            f"de begindatum aanpassen in {OSR_SCHERM}.",
            location,
        )
    ended = sorted(m.end_date for m in relevant if m.end_date is not None and m.end_date < reference_date)
    if ended:
        return fout(
            "MANDAAT_VERLOPEN",
            f"Het mandaat OSO-SWV voor systeem {system.name} van school {brin4} is verlopen op "
            f"{ended[-1].isoformat()}. " + _fix_in_osr(brin4, system.name),
            location,
        )
    return fout(
        "MANDAAT_ONTBREEKT",
        f"Het mandaat OSO-SWV voor systeem {system.name} ontbreekt in het OSR voor school {brin4} (of geldt "
        f"niet op {datum}); "
        "zonder beide mandaten (ParnasSys én Kindkans) kan de school niet vanuit ParnasSys versturen. "
        + _fix_in_osr(brin4, system.name),
        location,
    )


def check_vestiging_covered(brin6: str, vestiging_facts: Iterable[Vestiging]) -> Finding | None:
    """A BRIN4 mandate covers a nevenvestiging only when it is registered here and has its kenmerk."""
    parsed = parse_brin6(brin6)
    if parsed.is_hoofdvestiging:
        return None
    own = [v for v in vestiging_facts if _brin6_equals(v.brin6, str(parsed))]
    location = f"vestiging {parsed}"
    if not own:
        reason = "deze vestiging niet bij het samenwerkingsverband is geregistreerd"
        action = f"Vraag het secretariaat van het samenwerkingsverband om vestiging {parsed} te registreren."
    elif not any(v.routeringskenmerk and str(v.routeringskenmerk).strip() for v in own):
        reason = "er voor deze vestiging nog geen routeringskenmerk is vastgelegd"
        action = (
            f"Laat de ICT'er in ParnasSys bij {parsed} routeringskenmerk {500 + int(parsed.vestigingscode)} "
            "aanvinken en geef dit door aan het secretariaat van het samenwerkingsverband."
        )
    else:
        return None
    return fout(
        "MANDAAT_DEKT_VESTIGING_NIET",
        f"De mandaten van school {parsed.brin4} gelden niet voor nevenvestiging {parsed}, omdat {reason}. " + action,
        location,
    )


def _brin6_equals(value: str, target: str) -> bool:
    try:
        return str(parse_brin6(value)) == target
    except OngeldigeIdentificatie:
        return False


def check_oso_swv_mandates(
    brin6: str,
    mandates: Iterable[Mandaat],
    reference_date: dt.date,
    vestiging_facts: Iterable[Vestiging] = (),
    parties: OsoSwvParties | None = None,
) -> Verdict:
    """Both OSO-SWV mandates (ParnasSys and Kindkans) valid on ``reference_date`` for the school of
    ``brin6``, and, for a nevenvestiging, the vestiging covered by them."""
    parties = parties or OsoSwvParties()
    try:
        vestiging = parse_brin6(brin6)
    except OngeldigeIdentificatie:
        try:
            vestiging = parse_brin6(parse_brin4(brin6) + "00")
        except OngeldigeIdentificatie as exc:
            return Verdict.of([exc.finding])
    mandate_list = list(mandates)
    findings: list[Finding] = []
    for system in parties.systems:
        finding = check_mandate_for_system(
            vestiging.brin4,
            system,
            mandate_list,
            reference_date,
            service_namespace=parties.service_namespace,
        )
        if finding is not None:
            findings.append(finding)
    covered = check_vestiging_covered(str(vestiging), list(vestiging_facts))
    if covered is not None:
        findings.append(covered)
    return Verdict.of(findings)
