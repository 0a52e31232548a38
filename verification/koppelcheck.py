"""The koppelcheck: a self-service diagnosis of one vestiging's link with the SWV.

`build_koppelcheck` turns plain facts (registry, mandates, routeringskenmerk, ESIS codes, last exchanges)
into a `KoppelcheckReport`: one line per check with a status, a Dutch message and a Dutch action
("wat te doen"). The same report feeds the CLI (`koppelcheck_text.render_text`), ``--json`` and the web
pages. The link is *ready* when no line is ``fout`` and no required line is ``onbekend``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from verification.findings import Finding
from verification.identifiers import Brin6, OngeldigeIdentificatie, parse_brin6
from verification.mandates import (
    Mandaat,
    OsoSwvParties,
    check_mandate_for_system,
    check_vestiging_covered,
)
from verification.routering import PARNASSYS_SCHERM, Vestiging, check_configured_kenmerk

__all__ = [
    "CheckStatus",
    "EsisCodeFacts",
    "ExchangeFact",
    "KoppelcheckFacts",
    "KoppelcheckLine",
    "KoppelcheckReport",
    "MandateFacts",
    "VestigingFacts",
    "build_koppelcheck",
    "format_age",
]

MAX_EXCHANGE_LINES = 5


class CheckStatus(StrEnum):
    OK = "ok"
    FOUT = "fout"
    WAARSCHUWING = "waarschuwing"
    ONBEKEND = "onbekend"


@dataclass(frozen=True, slots=True)
class VestigingFacts:
    """What the registry knows about the vestiging (``registered=False`` when it is unknown)."""

    brin6: str
    registered: bool
    naam: str | None = None
    scholenkring: str | None = None
    routeringskenmerk: str | None = None


@dataclass(frozen=True, slots=True)
class MandateFacts:
    """The mandates found for the school. ``osr_reachable=False`` with ``age`` set: a cached answer of
    that age was used; without ``age``: nothing is known. ``source`` is osr, cache or import (or csv,
    the store's word for an import)."""

    mandates: tuple[Mandaat, ...] = ()
    osr_reachable: bool = True
    age: dt.timedelta | None = None
    source: str = "osr"

    @property
    def known(self) -> bool:
        return self.osr_reachable or self.age is not None or self.from_import

    @property
    def from_import(self) -> bool:
        return self.source in ("import", "csv")


@dataclass(frozen=True, slots=True)
class EsisCodeFacts:
    aangemeld: int
    actief: int


@dataclass(frozen=True, slots=True)
class ExchangeFact:
    received_at: dt.datetime
    source: str
    outcome: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class KoppelcheckFacts:
    brin6: str
    reference_date: dt.date
    vestiging: VestigingFacts | None
    mandates: MandateFacts
    esis: EsisCodeFacts | None = None
    exchanges: tuple[ExchangeFact, ...] = ()
    parties: OsoSwvParties = field(default_factory=OsoSwvParties)
    # how the vestiging delivers: "parnassys" and/or "esis" (registration, codes, exchanges); empty: not known
    channels: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class KoppelcheckLine:
    key: str  # stable machine name: registratie, mandaat_parnassys, mandaat_kindkans, ...
    check: str  # Dutch label
    status: CheckStatus
    message: str
    action: str | None = None  # "wat te doen"; None when nothing needs doing
    code: str | None = None  # the finding's code when the line is a finding
    required: bool = True  # an onbekend required line blocks readiness

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "check": self.check,
            "status": self.status.value,
            "message": self.message,
            "action": self.action,
            "code": self.code,
        }


@dataclass(frozen=True, slots=True)
class KoppelcheckReport:
    brin6: str
    reference_date: dt.date
    lines: tuple[KoppelcheckLine, ...]
    naam: str | None = None
    scholenkring: str | None = None

    @property
    def ready(self) -> bool:
        return not any(
            line.status is CheckStatus.FOUT or (line.required and line.status is CheckStatus.ONBEKEND)
            for line in self.lines
        )

    def codes(self) -> list[str]:
        return [line.code for line in self.lines if line.code]

    def line(self, key: str) -> KoppelcheckLine:
        return next(line for line in self.lines if line.key == key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "brin6": self.brin6,
            "naam": self.naam,
            "scholenkring": self.scholenkring,
            "reference_date": self.reference_date.isoformat(),
            "ready": self.ready,
            "lines": [line.to_dict() for line in self.lines],
        }


def format_age(age: dt.timedelta) -> str:
    """``timedelta(hours=2)`` → ``'2 uur'``."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 120:
        return f"{seconds} seconden"
    if seconds < 7200:
        return f"{seconds // 60} minuten"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} uur"
    return f"{seconds // 86400} dagen"


def _from_finding(key: str, check: str, finding: Finding) -> KoppelcheckLine:
    # Findings carry the reason and the action in one Dutch text; the first sentence is the message.
    message, _, action = finding.message.partition(". ")
    return KoppelcheckLine(
        key=key,
        check=check,
        status=CheckStatus.FOUT if finding.blocking else CheckStatus.WAARSCHUWING,
        message=message.rstrip(".") + ".",
        action=action or None,
        code=finding.code,
    )


def _registration_line(brin6: Brin6, vestiging: VestigingFacts | None) -> KoppelcheckLine:
    check = "Geregistreerd bij het SWV"
    if vestiging is None or not vestiging.registered:
        return KoppelcheckLine(
            "registratie",
            check,
            CheckStatus.FOUT,
            f"Vestiging {brin6} is niet geregistreerd bij het samenwerkingsverband.",
            f"Vraag het secretariaat van het samenwerkingsverband om vestiging {brin6} te registreren "
            "(met naam, gemeente en routeringskenmerk).",
            code="VESTIGING_NIET_GEREGISTREERD",
        )
    details = ", ".join(
        x for x in (vestiging.naam, vestiging.scholenkring and f"scholenkring {vestiging.scholenkring}") if x
    )
    return KoppelcheckLine(
        "registratie",
        check,
        CheckStatus.OK,
        f"Vestiging {brin6} is geregistreerd" + (f" ({details})." if details else "."),
    )


def _mandate_lines(facts: KoppelcheckFacts, brin6: Brin6) -> list[KoppelcheckLine]:
    lines: list[KoppelcheckLine] = []
    known = facts.mandates.known
    for key, system in (("mandaat_parnassys", facts.parties.parnassys), ("mandaat_kindkans", facts.parties.kindkans)):
        check = f"Mandaat OSO-SWV {system.name}"
        if not known:
            lines.append(
                KoppelcheckLine(
                    key,
                    check,
                    CheckStatus.ONBEKEND,
                    "Het OSR is niet bereikbaar en er is geen eerder antwoord bewaard.",
                    "Probeer het later opnieuw; uitwisselingen wachten tot het OSR weer antwoordt.",
                    code="OSR_ONBEREIKBAAR",
                )
            )
            continue
        finding = check_mandate_for_system(
            brin6.brin4,
            system,
            facts.mandates.mandates,
            facts.reference_date,
            service_namespace=facts.parties.service_namespace,
        )
        if finding is not None:
            lines.append(_from_finding(key, check, finding))
            continue
        message = f"Geldig op {facts.reference_date.isoformat()} voor school {brin6.brin4}."
        if not facts.mandates.osr_reachable and facts.mandates.age is not None:
            lines.append(
                KoppelcheckLine(
                    key,
                    check,
                    CheckStatus.WAARSCHUWING,
                    message + " Het OSR is nu niet bereikbaar; dit is het bewaarde antwoord van "
                    f"{format_age(facts.mandates.age)} geleden.",
                    None,
                    code="OSR_ANTWOORD_UIT_CACHE",
                )
            )
        else:
            suffix = " (uit een import van het OSR-portaal)" if facts.mandates.from_import else ""
            lines.append(KoppelcheckLine(key, check, CheckStatus.OK, message.rstrip(".") + suffix + "."))
    if not brin6.is_hoofdvestiging:
        registry = [_as_vestiging(facts.vestiging)] if facts.vestiging and facts.vestiging.registered else []
        covered = check_vestiging_covered(str(brin6), registry)
        check = "Mandaten gelden voor deze nevenvestiging"
        if covered is not None:
            lines.append(_from_finding("mandaat_vestiging", check, covered))
        else:
            lines.append(
                KoppelcheckLine(
                    "mandaat_vestiging",
                    check,
                    CheckStatus.OK,
                    f"De mandaten van {brin6.brin4} gelden ook voor {brin6}: geregistreerd en met routeringskenmerk.",
                )
            )
    return lines


def _as_vestiging(vestiging: VestigingFacts) -> Vestiging:
    return Vestiging(vestiging.brin6, vestiging.routeringskenmerk, vestiging.naam)


def _routering_line(brin6: Brin6, vestiging: VestigingFacts | None) -> KoppelcheckLine:
    key, check = "routeringskenmerk", "Routeringskenmerk (500-reeks)"
    if vestiging is None or not vestiging.registered:
        return KoppelcheckLine(
            key,
            check,
            CheckStatus.ONBEKEND,
            "Niet te controleren: de vestiging is niet geregistreerd.",
            f"Na registratie: vink in ParnasSys ('{PARNASSYS_SCHERM}') bij {brin6} routeringskenmerk "
            f"{500 + int(brin6.vestigingscode)} aan.",
        )
    verdict = check_configured_kenmerk(_as_vestiging(vestiging), f"vestiging {brin6}")
    if verdict.errors:
        return _from_finding(key, check, verdict.errors[0])
    return KoppelcheckLine(
        key,
        check,
        CheckStatus.OK,
        f"Routeringskenmerk {str(vestiging.routeringskenmerk).strip()} is ingesteld en hoort bij {brin6}.",
    )


def _esis_line(esis: EsisCodeFacts | None, *, required: bool = False) -> KoppelcheckLine:
    key, check = "esis_verificatiecodes", "ESIS-verificatiecodes"
    if required and esis is not None and esis.actief == 0:
        if esis.aangemeld:
            return KoppelcheckLine(
                key,
                check,
                CheckStatus.FOUT,
                f"{esis.aangemeld} aangemeld, nog geen enkele actief: ESIS kan nog niets versturen.",
                "Het secretariaat activeert de aangemelde code op de pagina Verificatiecodes; de school krijgt "
                "daarna een mail.",
                code="ESIS_GEEN_ACTIEVE_CODE",
            )
        return KoppelcheckLine(
            key,
            check,
            CheckStatus.FOUT,
            "Er is geen verificatiecode voor deze vestiging: ESIS kan nog niets versturen.",
            "Meld op de pagina Verificatiecodes een code aan voor deze vestiging en ESIS-omgeving en vul hem in "
            "ESIS in; het secretariaat activeert hem.",
            code="ESIS_GEEN_CODE",
        )
    if esis is None:
        return KoppelcheckLine(
            key, check, CheckStatus.ONBEKEND, "Nog niet te controleren in deze versie.", None, required=False
        )
    if esis.actief > 0:
        return KoppelcheckLine(
            key, check, CheckStatus.OK, f"{esis.actief} actief, {esis.aangemeld} aangemeld.", required=False
        )
    if esis.aangemeld > 0:
        return KoppelcheckLine(
            key,
            check,
            CheckStatus.WAARSCHUWING,
            f"{esis.aangemeld} aangemeld, nog geen enkele actief.",
            "Het secretariaat activeert de aangemelde code; de school krijgt daarna een mail.",
            required=False,
        )
    return KoppelcheckLine(
        key,
        check,
        CheckStatus.OK,
        "Geen verificatiecodes geregistreerd (alleen nodig als de vestiging ESIS gebruikt).",
        required=False,
    )


_SOURCE_LABELS = {"parnassys": "ParnasSys", "esis": "ESIS"}
_OUTCOME_LABELS = {
    "verwerkt": "verwerkt",
    "ontvangen": "ontvangen",
    "in_behandeling": "wordt verwerkt",
    "geweigerd": "geweigerd",
    "wacht_op_herhaling": "wacht op een nieuwe poging",
    "vastgehouden": "vastgehouden voor het secretariaat",
}
_CHANNEL_LABELS = {"parnassys": "ParnasSys (OSO-SWV)", "esis": "ESIS"}

_EXCHANGE_STATUS = {
    "verwerkt": CheckStatus.OK,
    "ontvangen": CheckStatus.OK,
    "in_behandeling": CheckStatus.OK,
    "geweigerd": CheckStatus.WAARSCHUWING,
    "wacht_op_herhaling": CheckStatus.WAARSCHUWING,
    "vastgehouden": CheckStatus.WAARSCHUWING,
}


def _exchange_lines(exchanges: tuple[ExchangeFact, ...]) -> list[KoppelcheckLine]:
    if not exchanges:
        return [
            KoppelcheckLine(
                "uitwisselingen",
                "Laatste uitwisselingen",
                CheckStatus.OK,
                "Nog geen uitwisselingen ontvangen van deze vestiging.",
                required=False,
            )
        ]
    latest = sorted(exchanges, key=lambda e: e.received_at, reverse=True)[:MAX_EXCHANGE_LINES]
    lines = []
    for n, exchange in enumerate(latest, start=1):
        status = _EXCHANGE_STATUS.get(exchange.outcome, CheckStatus.ONBEKEND)
        when = exchange.received_at.strftime("%Y-%m-%d %H:%M")
        source = _SOURCE_LABELS.get(exchange.source, exchange.source)
        message = f"{when} via {source}: {_OUTCOME_LABELS.get(exchange.outcome, exchange.outcome)}"
        message += f" — {exchange.reason}" if exchange.reason else ""
        action = None
        las = _SOURCE_LABELS.get(exchange.source, "het LAS")
        if exchange.outcome == "geweigerd":
            action = f"Los de genoemde reden op en verstuur de hulpvraag opnieuw vanuit {las}."
        elif exchange.outcome == "wacht_op_herhaling":
            action = "Niets doen: de gateway probeert het automatisch opnieuw."
        elif exchange.outcome == "vastgehouden":
            action = "Het secretariaat beoordeelt deze uitwisseling."
        lines.append(KoppelcheckLine(f"uitwisseling_{n}", "Uitwisseling", status, message, action, required=False))
    return lines


def _channel_line(channels: frozenset[str]) -> KoppelcheckLine:
    names = " en ".join(_CHANNEL_LABELS.get(c, c) for c in sorted(channels, key=lambda c: c != "parnassys"))
    judged = []
    if "parnassys" in channels:
        judged.append("mandaten en routeringskenmerk")
    if "esis" in channels:
        judged.append("verificatiecodes en ESIS-aanvragen")
    return KoppelcheckLine(
        "kanaal",
        "Kanaal",
        CheckStatus.OK,
        f"Deze vestiging levert via {names}; gecontroleerd: {' en '.join(judged)}.",
        required=False,
    )


def build_koppelcheck(facts: KoppelcheckFacts) -> KoppelcheckReport:
    try:
        brin6 = parse_brin6(facts.brin6)
    except OngeldigeIdentificatie as exc:
        line = _from_finding("brin6", "BRIN6-code", exc.finding)
        return KoppelcheckReport(str(facts.brin6), facts.reference_date, (line,))
    vestiging = facts.vestiging
    esis = "esis" in facts.channels
    parnassys = "parnassys" in facts.channels or not facts.channels  # unknown channel: judged as ParnasSys
    lines = [_registration_line(brin6, vestiging)]
    if parnassys:
        lines += [*_mandate_lines(facts, brin6), _routering_line(brin6, vestiging)]
    if esis or not facts.channels:
        lines.append(_esis_line(facts.esis, required=esis))
    if facts.channels:
        lines.append(_channel_line(facts.channels))
    lines += _exchange_lines(facts.exchanges)
    return KoppelcheckReport(
        str(brin6),
        facts.reference_date,
        tuple(lines),
        naam=vestiging.naam if vestiging else None,
        scholenkring=vestiging.scholenkring if vestiging else None,
    )
