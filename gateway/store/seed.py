"""Seed data: the aanvraagtype catalogue and statuses (handbook §2.1, DOMAIN.md §5), and the demo SWV.

`seed_swv` is idempotent: running it again changes nothing that is already there. The catalogue is
per-SWV configuration; this is the starting set for PO3008 SWV Helmond-Peelland PO.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.store.db import Database
from gateway.store.models import Aanvraagtype, Gemeente, Scholenkring, School, Status, StatusOvergang, Swv, Vestiging
from gateway.store.status_seed import status_rows, transition_rows

__all__ = ["CATALOGUE", "DEMO_SCHOOLS", "SCHOLENKRINGEN", "seed_demo_registry", "seed_swv"]

# (naam, via LAS, verplichte bijlage, eerste status) — wording exactly as the handbook's §2.1 table
CATALOGUE: tuple[tuple[str, bool, str | None, str | None], ...] = (
    ("Ondersteuningsaanvraag schoolgaand kind", True, "opp", "Ondersteuningsaanvraag"),
    ("Aanvraag Kans!overleg", True, "opp_of_document", "Kans!overleg>aanvraag"),
    ("Aanvraag TLV", True, "opp", "TLV>voorlopige aanvraag"),
    ("Verlenging TLV", True, "opp", "TLV verlenging>voorlopige aanvraag"),
    ("Herbeoordeling TLV", True, "opp", "TLV>voorlopige aanvraag"),
    ("(Gedeeltelijke) thuiszitter of geen schoolinschrijving", True, None, "Thuiszitter>aanvraag"),
    ("Ondersteuningsaanvraag voorschools kind", False, None, "Ondersteuningsaanvraag"),
    ("Kans!overleg + (thuiszitters)", True, None, "Kans!overleg>aanvraag"),
    ("Aanmelding residentiële leerling", True, None, "Residentieel>aanmelding"),
    ("Ondersteuning op bestuursniveau: algemeen", True, None, None),
    ("Ondersteuning op bestuursniveau Eenbes: aanvraag arrangement", True, None, None),
    ("Ondersteuning op bestuursniveau Eenbes: aanvraag onderzoek", True, None, None),
    ("Ondersteuningsaanvraag groep", False, "formulier", None),
    ("Aanvraag arrangement categorie midden en hoog", False, "formulier", "Aanvraag aanvullende bekostiging"),
    ("Verlenging arrangement", True, "opp", None),
)

STATUSES: tuple[tuple[str, bool], ...] = tuple(status_rows())  # handbook flows: gateway/store/status_seed.py

# scholenkring -> (coördinator passend onderwijs, gemeenten); handbook §7.1
SCHOLENKRINGEN: dict[str, tuple[str, tuple[str, ...]]] = {
    "Geldrop-Mierlo, Heeze, Nuenen": ("Kristel Bohte", ("Geldrop-Mierlo", "Heeze-Leende", "Nuenen")),
    "Laarbeek, Gemert-Bakel, Boekel": ("Wendy Hensing", ("Laarbeek", "Gemert-Bakel", "Boekel")),
    "Helmond": ("Eline Hansen", ("Helmond",)),
    "Asten, Someren, Deurne": ("Manon de Groot", ("Asten", "Someren", "Deurne")),
}


@dataclass(frozen=True)
class DemoSchool:
    brin4: str
    naam: str
    bestuur: str
    las: str
    vestigingen: tuple[tuple[str, str, str], ...]  # (vestigingscode, naam, gemeente)


# Fictitious schools (the BRIN codes are made up for the demo and the tests).
DEMO_SCHOOLS: tuple[DemoSchool, ...] = (
    DemoSchool(
        "14SS",
        "Basisschool De Regenboog",
        "Stichting Primair Peelland",
        "ParnasSys",
        (("00", "De Regenboog", "Helmond"), ("01", "De Regenboog dependance Brandevoort", "Helmond")),
    ),
    DemoSchool(
        "21KL",
        "Kindcentrum Het Klaverblad",
        "Stichting Primair Peelland",
        "ParnasSys",
        (("00", "Het Klaverblad", "Deurne"),),
    ),
    DemoSchool(
        "27ZX",
        "Basisschool De Wilg",
        "Eenbes Basisonderwijs",
        "ESIS",
        (("00", "De Wilg", "Geldrop-Mierlo"), ("01", "De Wilg locatie Coevering", "Geldrop-Mierlo")),
    ),
    DemoSchool(
        "30TV",
        "Basisschool Sint Jozef",
        "Stichting Onderwijs Laarbeek",
        "ParnasSys",
        (("00", "Sint Jozef", "Laarbeek"),),
    ),
    DemoSchool(
        "09QA", "Montessorischool De Bongerd", "Eenbes Basisonderwijs", "ESIS", (("00", "De Bongerd", "Nuenen"),)
    ),
)


async def _get_or_add(session: AsyncSession, model: type, where: dict[str, object], **values: object) -> object:
    stmt = select(model).filter_by(**where)  # type: ignore[var-annotated]  # debt (issue 17): generic over the model class
    found = (await session.exec(stmt)).scalars().first()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    if found is not None:
        return found
    row = model(**where, **values)
    session.add(row)
    await session.flush()
    return row


async def seed_swv(db: Database, code: str = "PO3008", naam: str = "SWV Helmond-Peelland PO") -> int:
    """The SWV, its catalogue, statuses, scholenkringen and gemeenten. Returns the SWV id."""
    async with db.session() as s:
        swv = await _get_or_add(s, Swv, {"code": code}, naam=naam)
        assert isinstance(swv, Swv) and swv.id is not None
        for i, (at_naam, via_las, bijlage, status) in enumerate(CATALOGUE):
            await _get_or_add(
                s,
                Aanvraagtype,
                {"swv_id": swv.id, "naam": at_naam},
                via_las=via_las,
                verplichte_bijlage=bijlage,
                eerste_status=status,
                volgorde=i,
            )
        for st_naam, closed in STATUSES:
            await _get_or_add(s, Status, {"swv_id": swv.id, "naam": st_naam}, afgesloten=closed)
        have = set(
            (
                await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                    select(col(StatusOvergang.van), col(StatusOvergang.naar)).where(
                        col(StatusOvergang.swv_id) == swv.id
                    )
                )
            ).all()
        )
        s.add_all(
            StatusOvergang(swv_id=swv.id, van=van, naar=naar)
            for van, naar in transition_rows()
            if (van, naar) not in have
        )
        for kring, (coordinator, gemeenten) in SCHOLENKRINGEN.items():
            k = await _get_or_add(s, Scholenkring, {"swv_id": swv.id, "naam": kring}, coordinator=coordinator)
            assert isinstance(k, Scholenkring)
            for g in gemeenten:
                await _get_or_add(s, Gemeente, {"swv_id": swv.id, "naam": g}, scholenkring_id=k.id)
        return swv.id


async def seed_demo_registry(db: Database, swv_id: int) -> None:
    """The demo schools and vestigingen, with routeringskenmerk 500 + vestigingscode for ParnasSys schools."""
    async with db.session() as s:
        for school in DEMO_SCHOOLS:
            row = await _get_or_add(
                s,
                School,
                {"swv_id": swv_id, "brin4": school.brin4},
                naam=school.naam,
                bestuur=school.bestuur,
                las=school.las,
            )
            assert isinstance(row, School)
            for code, v_naam, gemeente in school.vestigingen:
                kenmerk = str(500 + int(code)) if school.las == "ParnasSys" else None
                await _get_or_add(
                    s,
                    Vestiging,
                    {"swv_id": swv_id, "brin6": school.brin4 + code},
                    school_id=row.id,
                    naam=v_naam,
                    gemeente=gemeente,
                    routeringskenmerk=kenmerk,
                )
