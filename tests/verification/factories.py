"""Factories for the sender rules: mandates, registered vestigingen and koppelcheck facts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from verification.koppelcheck import KoppelcheckFacts, MandateFacts, VestigingFacts
from verification.mandates import Mandaat, OsoSwvParties
from verification.routering import Vestiging

PARTIES = OsoSwvParties()
TODAY = dt.date(2025, 9, 1)


def mandaat(
    system: str = "ParnasSys",
    *,
    school: str = "14SS",
    start: dt.date = dt.date(2022, 8, 15),
    end: dt.date | None = None,
    namespace: str | None = None,
    supplier_oin: str | None = None,
) -> Mandaat:
    return Mandaat(
        school_oin=school,
        service_namespace=namespace or PARTIES.service_namespace,
        system=system,
        supplier_oin=supplier_oin,
        start_date=start,
        end_date=end,
    )


def both_mandates(school: str = "14SS", **kwargs: Any) -> tuple[Mandaat, Mandaat]:
    return (mandaat("ParnasSys", school=school, **kwargs), mandaat("Kindkans", school=school, **kwargs))


def vestiging(brin6: str = "14SS00", kenmerk: str | None = "auto", naam: str | None = None) -> Vestiging:
    if kenmerk == "auto":
        kenmerk = str(500 + int(brin6[4:]))
    return Vestiging(brin6=brin6, routeringskenmerk=kenmerk, naam=naam)


def koppelcheck_facts(
    brin6: str = "14SS00",
    *,
    registered: bool = True,
    kenmerk: str | None = "auto",
    mandates: tuple[Mandaat, ...] | None = None,
    mandate_facts: MandateFacts | None = None,
    **kwargs: Any,
) -> KoppelcheckFacts:
    if kenmerk == "auto":
        kenmerk = str(500 + int(brin6[4:]))
    vest = (
        VestigingFacts(
            brin6, True, naam="Basisschool De Zonnewijzer", scholenkring="Helmond", routeringskenmerk=kenmerk
        )
        if registered
        else None
    )
    return KoppelcheckFacts(
        brin6=brin6,
        reference_date=TODAY,
        vestiging=vest,
        mandates=mandate_facts or MandateFacts(mandates if mandates is not None else both_mandates(brin6[:4])),
        **kwargs,
    )
