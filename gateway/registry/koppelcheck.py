"""The koppelcheck over the store: gather the facts about one vestiging and let
`verification.koppelcheck.build_koppelcheck` judge them.

Facts: the registry (registered with our SWV? name, scholenkring, routeringskenmerk), the OSO-SWV mandates
(from the ``mandaat`` table with when they were fetched and from where — or, with a `MandateLookup` passed
by the CLI's ``--live``, straight from the OSR), the ESIS verificatiecodes, and the last exchanges with
their outcome and reason. The web pages call ``koppelcheck(c, brin6)``; the CLI adds ``lookup=``.

Store answers are not live: the mandate lines say when they were fetched, turn into a warning when that is
longer ago than ``[osr] stored_max_age_hours`` (default 168), and are *onbekend* (not ready) when the
school's mandates were never fetched or imported. The gateway does not guess.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import col

from gateway.components import Components
from gateway.errors import ConfigError, Transient
from gateway.registry import codes
from gateway.registry.mandates import StoredMandates, parties_from_settings, stored_mandates
from gateway.registry.service import get_vestiging
from gateway.store.models import Exchange
from gateway.store.types import utcnow
from verification.identifiers import OngeldigeIdentificatie, parse_brin6
from verification.koppelcheck import (
    MAX_EXCHANGE_LINES,
    CheckStatus,
    EsisCodeFacts,
    ExchangeFact,
    KoppelcheckFacts,
    KoppelcheckLine,
    KoppelcheckReport,
    MandateFacts,
    VestigingFacts,
    build_koppelcheck,
    format_age,
)

__all__ = ["KoppelcheckPolicy", "MandateSource", "channels_of", "koppelcheck", "policy_from_settings", "today"]

TZ = ZoneInfo("Europe/Amsterdam")
MANDATE_KEYS = ("mandaat_parnassys", "mandaat_kindkans")
MAX_REASON = 300
_WHO = {"osr": "het OSR", "traffic_center": "het Traffic Center", "las": "het LAS van de school"}


class MandateSource(Protocol):
    """What `adapters.osr.MandateLookup` offers; the core does not import the adapter."""

    async def mandates_for(self, brin4: str, reference_date: dt.date, *, force: bool = False) -> MandateFacts: ...


@dataclass(frozen=True, slots=True)
class KoppelcheckPolicy:
    """Knob: stored mandates older than this give a warning (``[osr] stored_max_age_hours``)."""

    stored_max_age: dt.timedelta = dt.timedelta(days=7)


def policy_from_settings(section: Any) -> KoppelcheckPolicy:
    raw = section.get("stored_max_age_hours")
    if raw in (None, ""):
        return KoppelcheckPolicy()
    try:
        hours = float(raw)
        if hours <= 0:
            raise ValueError
    except (TypeError, ValueError):
        raise ConfigError(
            f"Ongeldige instelling [osr] stored_max_age_hours = {raw!r}: verwacht een aantal uren groter dan 0."
        ) from None
    return KoppelcheckPolicy(dt.timedelta(hours=hours))


def today() -> dt.date:
    """The reference date: today in the Netherlands (tests replace this function)."""
    return dt.datetime.now(TZ).date()


async def koppelcheck(c: Components, brin6: str, *, lookup: MandateSource | None = None) -> KoppelcheckReport:
    section = c.settings.section("osr")
    parties = parties_from_settings(section)
    policy = policy_from_settings(section)
    day = today()
    try:
        parsed = parse_brin6(brin6)
    except OngeldigeIdentificatie:
        # build_koppelcheck turns the malformed code into a single refused line
        return build_koppelcheck(KoppelcheckFacts(str(brin6)[:40], day, None, MandateFacts(), parties=parties))
    code = str(parsed)
    view = await get_vestiging(c.db, c.settings.swv_code, code)
    vestiging = (
        VestigingFacts(code, True, view.naam, view.scholenkring, view.routeringskenmerk)
        if view is not None and view.actief
        else VestigingFacts(code, False)
    )
    stored: StoredMandates | None = None
    if lookup is not None:
        mandates = await _live(lookup, parsed.brin4, day)
    else:
        stored = await stored_mandates(c.db, parsed.brin4)
        mandates = _from_store(stored)
    esis = await _esis(c, code) if vestiging.registered else None
    exchanges = await _exchanges(c, code)
    facts = KoppelcheckFacts(
        brin6=code,
        reference_date=day,
        vestiging=vestiging,
        mandates=mandates,
        esis=esis,
        exchanges=tuple(exchanges),
        parties=parties,
        channels=channels_of(view.las if view is not None else None, esis, exchanges),
    )
    report = build_koppelcheck(facts)
    if stored is not None:
        report = _explain_store(report, stored, policy, parsed.brin4)
    return report


def channels_of(las: str | None, esis: EsisCodeFacts | None, exchanges: Iterable[ExchangeFact]) -> frozenset[str]:
    """How the vestiging delivers: the school's registered LAS, its ESIS codes and what it recently sent."""
    found = {e.source for e in exchanges if e.source in ("parnassys", "esis")}
    text = (las or "").casefold()
    found |= {name for name in ("parnassys", "esis") if name in text}
    if esis is not None and (esis.aangemeld or esis.actief):
        found.add("esis")
    return frozenset(found)


async def _live(lookup: MandateSource, brin4: str, day: dt.date) -> MandateFacts:
    try:
        return await lookup.mandates_for(brin4, day, force=True)
    except Transient:
        return MandateFacts((), osr_reachable=False, age=None, source="osr")


def _from_store(stored: StoredMandates) -> MandateFacts:
    if stored.fetched_at is None:
        return MandateFacts((), osr_reachable=False, age=None, source="store")
    age = max(dt.timedelta(0), utcnow() - stored.fetched_at)
    return MandateFacts(stored.mandates, osr_reachable=True, age=age, source=stored.bron or "osr")


def _when(at: dt.datetime) -> str:
    return at.astimezone(TZ).strftime("%Y-%m-%d %H:%M")


def _explain_store(
    report: KoppelcheckReport, stored: StoredMandates, policy: KoppelcheckPolicy, brin4: str
) -> KoppelcheckReport:
    """Say where the stored mandate answer came from and how old it is."""
    lines: list[KoppelcheckLine] = []
    for line in report.lines:
        if line.key not in MANDATE_KEYS:
            lines.append(line)
        elif stored.fetched_at is None:
            lines.append(
                dataclasses.replace(
                    line,
                    message=f"Van school {brin4} zijn nog geen mandaten opgehaald uit het OSR.",
                    action="Het secretariaat haalt ze op met de knop 'Mandaten nu ophalen' op de koppelcheckpagina. "
                    "Staat er daarna nog geen mandaat, dan regelt het schoolbestuur het mandaat in het OSR-portaal.",
                    code="MANDATEN_NIET_OPGEHAALD",
                )
            )
        else:
            lines.append(_aged(line, stored, policy))
    return dataclasses.replace(report, lines=tuple(lines))


def _aged(line: KoppelcheckLine, stored: StoredMandates, policy: KoppelcheckPolicy) -> KoppelcheckLine:
    assert stored.fetched_at is not None
    age = max(dt.timedelta(0), utcnow() - stored.fetched_at)
    how = "Geïmporteerd" if stored.bron == "csv" else "Opgehaald uit het OSR"
    note = f"{how} op {_when(stored.fetched_at)} ({format_age(age)} geleden)."
    refresh = "Het secretariaat ververst de mandaten met de knop 'Mandaten nu ophalen' op de koppelcheckpagina."
    if line.status is CheckStatus.OK and age > policy.stored_max_age:
        return dataclasses.replace(
            line,
            status=CheckStatus.WAARSCHUWING,
            message=f"{line.message} {note} Dat is langer geleden dan {format_age(policy.stored_max_age)}.",
            action=refresh,
            code="MANDATEN_VEROUDERD",
        )
    if line.status is CheckStatus.OK:
        return dataclasses.replace(line, message=f"{line.message} {note}")
    action = f"{line.action} " if line.action else ""
    return dataclasses.replace(
        line,
        message=f"{line.message} {note}",
        action=f"{action}Is het al aangepast in het OSR? {refresh}",
    )


async def _esis(c: Components, brin6: str) -> EsisCodeFacts:
    views = [v for v in await codes.list_codes(c.db, c.settings.swv_code, brin6[:4]) if v.brin6 == brin6]
    return EsisCodeFacts(
        aangemeld=sum(1 for v in views if v.state == "aangemeld"),
        actief=sum(1 for v in views if v.state == "actief"),
    )


def _reason(row: Exchange) -> str | None:
    messages: Iterable[Any] = (f.get("message") for f in row.findings or () if isinstance(f, dict))
    text = next((str(m) for m in messages if m), None)
    if text is None and row.waiting_for:
        text = f"wacht op {_WHO.get(row.waiting_for, row.waiting_for)}"
    if text is None and row.last_error:
        text = row.last_error
    if text is None:
        return None
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


async def _exchanges(c: Components, brin6: str) -> list[ExchangeFact]:
    async with c.db.reader() as s:
        stmt = (
            select(Exchange)
            .where(col(Exchange.brin6) == brin6, col(Exchange.swv_code) == c.settings.swv_code)
            .order_by(col(Exchange.received_at).desc(), col(Exchange.id).desc())
            .limit(MAX_EXCHANGE_LINES)
        )
        rows = list((await s.exec(stmt)).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    return [ExchangeFact(r.received_at.astimezone(TZ), r.source, r.state, _reason(r)) for r in rows]
