"""The worker's sender check reads the registry through a cache of at most `worker_registry_cache` (5 s): a
deactivated vestiging is refused once that bound has passed, and a vestiging registered a moment ago is never
refused on an older cache entry."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlmodel import col

from adapters.osr.lookup import MandateLookup
from adapters.osr.wire import MandateAnswer
from adapters.parnassys.notificatie import Notificatie
from adapters.parnassys.sender_checks import OsoSenderChecks
from gateway.components import Components
from gateway.store.models import School, Swv, Vestiging


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2025, 9, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


class AllMandates:
    async def mandate(
        self, *, school_oin: str, supplier_oin: str, service_version_namespace: str, reference_date: dt.date
    ) -> MandateAnswer:
        return MandateAnswer(
            school_oin=school_oin,
            supplier_oin=supplier_oin,
            service_version_namespace=service_version_namespace,
            reference_date=reference_date,
            found=True,
            start_date=dt.date(2022, 8, 15),
        )


def notificatie(vestigingscode: str) -> Notificatie:
    return Notificatie(
        bronBrin="14SS",
        bronRouteringsKenmerk=f"0000000700014SS00{500 + int(vestigingscode):03d}",
        doelBrin="14SS",
        doelRouteringsKenmerk="00000007000PO300800000",
        koppelsleutel="6f1c1c9e-4a8e-4c5e-9d7e-2b1f0c8a9e11",
        doel="SWV",
    )


def checks_for(c: Components, clock: Clock) -> OsoSenderChecks:
    return OsoSenderChecks(c.db, MandateLookup(AllMandates()), swv_code="PO3008", clock=clock)  # type: ignore[arg-type]  # AllMandates: an OSR client double


async def test_a_deactivated_vestiging_is_refused_once_the_bound_has_passed(components: Components) -> None:
    clock = Clock()
    checks = checks_for(components, clock)
    assert not [f for f in await checks.in_worker(notificatie("00")) if f.blocking]
    async with components.db.session() as s:
        await s.exec(update(Vestiging).where(col(Vestiging.brin6) == "14SS00").values(actief=False))
    clock.now += checks.policy.worker_registry_cache + dt.timedelta(milliseconds=1)
    assert [f for f in await checks.in_worker(notificatie("00")) if f.blocking]


async def test_a_vestiging_registered_a_moment_ago_is_accepted_despite_a_fresh_cache_entry(
    components: Components,
) -> None:
    clock = Clock()
    checks = checks_for(components, clock)
    assert not [f for f in await checks.in_worker(notificatie("00")) if f.blocking]  # caches 14SS
    async with components.db.session() as s:
        school = (await s.exec(select(School).where(col(School.brin4) == "14SS"))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        swv = (await s.exec(select(Swv).where(col(Swv.code) == "PO3008"))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        s.add(
            Vestiging(
                swv_id=swv.id, school_id=school.id, brin6="14SS02", naam="Nieuwe vestiging", gemeente="Helmond",
                routeringskenmerk="502",
            )
        )  # fmt: skip
    assert not [f for f in await checks.in_worker(notificatie("02")) if f.blocking]
