"""The vestigingen registry of one SWV: schools (BRIN4), vestigingen (BRIN6) with their gemeente (→ scholenkring
→ coördinator) and the routeringskenmerk recorded for each.

Every change goes through the routering rules of `verification.routering` (one kenmerk per vestiging, in
the 500-range, the vestiging's own) and is refused with findings (`gateway.errors.Refusal`) when they say
no; every accepted change is audited in the same transaction. The session-level functions
(`upsert_school_in`, `upsert_vestiging_in`) let the CSV importer apply many lines in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.errors import Refusal
from gateway.store.audit import audit
from gateway.store.db import Database
from gateway.store.models import Gemeente, Scholenkring, School, Swv, Vestiging
from verification.findings import Finding, fout, waarschuwing
from verification.identifiers import OngeldigeIdentificatie, parse_brin4, parse_brin6
from verification.routering import (
    PARNASSYS_SCHERM,
    check_configured_kenmerk,
    check_vestigingen,
    kenmerk_for_vestiging,
    parse_routeringskenmerk,
)
from verification.routering import Vestiging as RoutingVestiging

__all__ = [
    "KNOWN_LAS",
    "Change",
    "SchoolSaved",
    "SchoolView",
    "VestigingSaved",
    "VestigingView",
    "get_vestiging",
    "list_vestigingen",
    "register_school",
    "register_vestiging",
    "registered_brin4s",
    "set_routeringskenmerk",
    "swv_in",
    "upsert_school_in",
    "upsert_vestiging_in",
]

KNOWN_LAS = ("ParnasSys", "ESIS")
MAX_NAME = 200


class Change(StrEnum):
    TOEGEVOEGD = "toegevoegd"
    BIJGEWERKT = "bijgewerkt"
    ONGEWIJZIGD = "ongewijzigd"


@dataclass(frozen=True, slots=True)
class SchoolView:
    brin4: str
    naam: str
    bestuur: str | None
    las: str | None


@dataclass(frozen=True, slots=True)
class VestigingView:
    brin6: str
    naam: str
    gemeente: str
    routeringskenmerk: str | None
    school_naam: str
    las: str | None
    scholenkring: str | None
    coordinator: str | None
    actief: bool = True


@dataclass(frozen=True, slots=True)
class SchoolSaved:
    change: Change
    school: SchoolView


@dataclass(frozen=True, slots=True)
class VestigingSaved:
    change: Change
    vestiging: VestigingView
    warnings: tuple[Finding, ...] = ()


def _refuse(code: str, message: str, location: str | None = None) -> Refusal:
    return Refusal([fout(code, message, location)])


def _text(value: object, name: str, location: str, *, required: bool = True) -> str | None:
    text = " ".join(str(value or "").split())
    if not text:
        if required:
            raise _refuse(f"{name.upper()}_ONTBREEKT", f"Vul de {name} in.", location)
        return None
    if len(text) > MAX_NAME:
        raise _refuse(f"{name.upper()}_TE_LANG", f"De {name} is langer dan {MAX_NAME} tekens.", location)
    return text


def _las(value: object, location: str) -> str | None:
    text = _text(value, "las", location, required=False)
    if text is None:
        return None
    for known in KNOWN_LAS:
        if text.casefold() == known.casefold():
            return known
    raise _refuse(
        "LAS_ONBEKEND",
        f"'{text}' is geen bekend leerlingadministratiesysteem: kies {' of '.join(KNOWN_LAS)}, of laat het leeg.",
        location,
    )


async def swv_in(s: AsyncSession, swv_code: str) -> Swv:
    swv = (await s.exec(select(Swv).where(col(Swv.code) == swv_code))).scalars().first()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    if swv is None:
        known = sorted((await s.exec(select(col(Swv.code)))).scalars().all())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        if known:
            hint = f"de database kent {', '.join(known)}; controleer de instelling swv_code."
        else:
            hint = (
                "er staat nog geen samenwerkingsverband in. Controleer de instelling swv_code en of dit de "
                "goede database is; 'gateway db seed' legt het samenwerkingsverband uit swv_code aan."
            )
        raise _refuse("SWV_ONBEKEND", f"Samenwerkingsverband {swv_code} staat niet in de database: {hint}", "swv_code")
    return swv


def _school_view(row: School) -> SchoolView:
    return SchoolView(row.brin4, row.naam, row.bestuur, row.las)


async def _school(s: AsyncSession, swv: Swv, brin4: str) -> School | None:
    stmt = select(School).where(col(School.swv_id) == swv.id, col(School.brin4) == brin4)
    return (await s.exec(stmt)).scalars().first()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def upsert_school_in(
    s: AsyncSession,
    swv: Swv,
    brin4: object,
    naam: object,
    *,
    bestuur: object = None,
    las: object = None,
    naam_if_new: object = None,
    actor: str,
) -> SchoolSaved:
    """Add the school, or update its naam/bestuur/las (an empty naam, bestuur or las keeps the recorded one;
    ``naam_if_new`` names a new school when ``naam`` is empty)."""
    try:
        code = parse_brin4(brin4, "brin4")
    except OngeldigeIdentificatie as exc:
        raise Refusal([exc.finding]) from None
    board = _text(bestuur, "bestuur", "bestuur", required=False)
    system = _las(las, "las")
    row = await _school(s, swv, code)
    name = _text(naam or (naam_if_new if row is None else row.naam), "schoolnaam", "schoolnaam")
    if row is None:
        row = School(swv_id=swv.id, brin4=code, naam=name, bestuur=board, las=system)  # type: ignore[arg-type]  # debt (issue 17): Optional not narrowed
        s.add(row)
        await s.flush()
        audit(s, actor=actor, action="school_geregistreerd", object_type="school", object_id=code, swv_code=swv.code)
        return SchoolSaved(Change.TOEGEVOEGD, _school_view(row))
    wanted = {"naam": name, "bestuur": board or row.bestuur, "las": system or row.las}
    changed = {k: v for k, v in wanted.items() if getattr(row, k) != v}
    if not changed:
        return SchoolSaved(Change.ONGEWIJZIGD, _school_view(row))
    for key, value in changed.items():
        setattr(row, key, value)
    s.add(row)
    await s.flush()
    audit(
        s,
        actor=actor,
        action="school_bijgewerkt",
        object_type="school",
        object_id=code,
        swv_code=swv.code,
        velden=sorted(changed),
    )
    return SchoolSaved(Change.BIJGEWERKT, _school_view(row))


async def _gemeente(s: AsyncSession, swv: Swv, naam: str) -> tuple[Gemeente, Scholenkring]:
    stmt = (
        select(Gemeente, Scholenkring)
        .join(Scholenkring, col(Scholenkring.id) == col(Gemeente.scholenkring_id))
        .where(col(Gemeente.swv_id) == swv.id, func.lower(col(Gemeente.naam)) == naam.casefold())
    )
    found = (await s.exec(stmt)).first()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    if found is not None:
        return found[0], found[1]
    stmt_known = select(col(Gemeente.naam)).where(col(Gemeente.swv_id) == swv.id).order_by(col(Gemeente.naam))
    names = ", ".join(str(k) for k in (await s.exec(stmt_known)).scalars()) or "(nog geen)"  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    raise _refuse(
        "GEMEENTE_ONBEKEND",
        f"Gemeente '{naam}' hoort bij geen scholenkring van dit samenwerkingsverband, dus er is geen "
        f"coördinator voor te vinden. Kies een van: {names}.",
        "gemeente",
    )


def _normalise_kenmerk(raw: object, brin6: str) -> str:
    """The kenmerk as the registry stores it ("501"), after every routering rule for this vestiging."""
    where = f"vestiging {brin6}"
    try:
        kenmerk = parse_routeringskenmerk(raw, where)
    except OngeldigeIdentificatie as exc:
        raise Refusal([exc.finding]) from None
    verdict = check_configured_kenmerk(RoutingVestiging(brin6, str(raw).strip().upper()), where)
    if not verdict.ok:
        raise Refusal(verdict.errors)
    return str(kenmerk.nummer)


async def _check_school_kenmerken(s: AsyncSession, swv: Swv, school: School, changed: Vestiging) -> None:
    stmt = select(Vestiging).where(col(Vestiging.swv_id) == swv.id, col(Vestiging.school_id) == school.id)
    rows = [v for v in (await s.exec(stmt)).scalars() if v.id != changed.id]  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    rows.append(changed)
    verdict = check_vestigingen(RoutingVestiging(v.brin6, v.routeringskenmerk) for v in rows if v.routeringskenmerk)
    if not verdict.ok:
        raise Refusal(verdict.errors)


def _missing_kenmerk_warning(brin6: str) -> Finding:
    juist = kenmerk_for_vestiging(brin6[4:]).nummer
    return waarschuwing(
        "ROUTERING_NIET_INGESTELD",
        f"Voor vestiging {brin6} is nog geen routeringskenmerk vastgelegd; hulpvragen uit ParnasSys worden "
        f"geweigerd tot dat gebeurt. Vraag de school om in ParnasSys ('{PARNASSYS_SCHERM}') {juist} aan te "
        f"vinken en leg {juist} hier vast.",
        f"vestiging {brin6}",
    )


async def upsert_vestiging_in(
    s: AsyncSession,
    swv: Swv,
    brin6: object,
    naam: object,
    gemeente: object,
    *,
    routeringskenmerk: object = None,
    actor: str,
) -> VestigingSaved:
    """Add or update a vestiging of a registered school. An empty routeringskenmerk keeps the recorded one."""
    try:
        code = str(parse_brin6(brin6, "brin6"))
    except OngeldigeIdentificatie as exc:
        raise Refusal([exc.finding]) from None
    name = _text(naam, "vestigingsnaam", "naam")
    gemeente_naam = _text(gemeente, "gemeente", "gemeente")
    assert name is not None and gemeente_naam is not None
    school = await _school(s, swv, code[:4])
    if school is None:
        raise _refuse(
            "SCHOOL_NIET_GEREGISTREERD",
            f"School {code[:4]} is niet geregistreerd bij het samenwerkingsverband; registreer eerst de school "
            f"(schoolnaam, bestuur en LAS), daarna vestiging {code}.",
            "brin6",
        )
    gemeente_row, kring = await _gemeente(s, swv, gemeente_naam)
    kenmerk_text = str(routeringskenmerk).strip() if routeringskenmerk is not None else ""
    kenmerk = _normalise_kenmerk(kenmerk_text, code) if kenmerk_text else None
    stmt = select(Vestiging).where(col(Vestiging.swv_id) == swv.id, col(Vestiging.brin6) == code)
    row = (await s.exec(stmt)).scalars().first()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    change = Change.TOEGEVOEGD
    if row is None:
        row = Vestiging(
            swv_id=swv.id,  # type: ignore[arg-type]  # debt (issue 17): Optional not narrowed
            school_id=school.id,  # type: ignore[arg-type]  # debt (issue 17): Optional not narrowed
            brin6=code,
            naam=name,
            gemeente=gemeente_row.naam,
            routeringskenmerk=kenmerk,
        )
        fields = ["naam", "gemeente", *(["routeringskenmerk"] if kenmerk else [])]
    else:
        wanted = {"naam": name, "gemeente": gemeente_row.naam, "routeringskenmerk": kenmerk or row.routeringskenmerk}
        fields = sorted(k for k, v in wanted.items() if getattr(row, k) != v)
        change = Change.BIJGEWERKT if fields else Change.ONGEWIJZIGD
        for key in fields:
            setattr(row, key, wanted[key])
    if change is not Change.ONGEWIJZIGD:
        await _check_school_kenmerken(s, swv, school, row)
        s.add(row)
        await s.flush()
        audit(
            s,
            actor=actor,
            action="vestiging_geregistreerd" if change is Change.TOEGEVOEGD else "vestiging_bijgewerkt",
            object_type="vestiging",
            object_id=code,
            swv_code=swv.code,
            velden=fields,
            routeringskenmerk=row.routeringskenmerk,
        )
    warnings = (_missing_kenmerk_warning(code),) if not row.routeringskenmerk and school.las != "ESIS" else ()
    view = VestigingView(
        code, row.naam, row.gemeente, row.routeringskenmerk, school.naam, school.las, kring.naam, kring.coordinator
    )
    return VestigingSaved(change, view, warnings)


async def register_school(
    db: Database,
    swv_code: str,
    brin4: str,
    naam: str,
    *,
    bestuur: str | None = None,
    las: str | None = None,
    actor: str,
) -> SchoolSaved:
    async with db.session() as s:
        return await upsert_school_in(s, await swv_in(s, swv_code), brin4, naam, bestuur=bestuur, las=las, actor=actor)


async def register_vestiging(
    db: Database,
    swv_code: str,
    brin6: str,
    naam: str,
    gemeente: str,
    *,
    routeringskenmerk: str | None = None,
    actor: str,
) -> VestigingSaved:
    async with db.session() as s:
        swv = await swv_in(s, swv_code)
        return await upsert_vestiging_in(
            s, swv, brin6, naam, gemeente, routeringskenmerk=routeringskenmerk, actor=actor
        )


async def set_routeringskenmerk(
    db: Database, swv_code: str, brin6: str, kenmerk: str | None, *, actor: str
) -> VestigingSaved:
    """Record (or, with ``None``, clear) the routeringskenmerk of a registered vestiging."""
    try:
        code = str(parse_brin6(brin6, "brin6"))
    except OngeldigeIdentificatie as exc:
        raise Refusal([exc.finding]) from None
    async with db.session() as s:
        swv = await swv_in(s, swv_code)
        stmt = select(Vestiging).where(col(Vestiging.swv_id) == swv.id, col(Vestiging.brin6) == code)
        row = (await s.exec(stmt)).scalars().first()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        if row is None:
            raise _refuse(
                "VESTIGING_NIET_GEREGISTREERD",
                f"Vestiging {code} is niet geregistreerd bij het samenwerkingsverband; registreer de vestiging "
                "eerst (met naam en gemeente).",
                "brin6",
            )
        if kenmerk is None:
            if row.routeringskenmerk is None:
                view = await _view_in(s, swv, row)
                return VestigingSaved(Change.ONGEWIJZIGD, view, (_missing_kenmerk_warning(code),))
            old, row.routeringskenmerk = row.routeringskenmerk, None
            s.add(row)
            audit(
                s,
                actor=actor,
                action="routeringskenmerk_gewist",
                object_type="vestiging",
                object_id=code,
                swv_code=swv.code,
                was=old,
            )
            return VestigingSaved(Change.BIJGEWERKT, await _view_in(s, swv, row), (_missing_kenmerk_warning(code),))
        school = await s.get(School, row.school_id)
        assert school is not None
        value = _normalise_kenmerk(kenmerk, code)
        if value == row.routeringskenmerk:
            return VestigingSaved(Change.ONGEWIJZIGD, await _view_in(s, swv, row))
        old, row.routeringskenmerk = row.routeringskenmerk, value
        await _check_school_kenmerken(s, swv, school, row)
        s.add(row)
        audit(
            s,
            actor=actor,
            action="routeringskenmerk_gewijzigd",
            object_type="vestiging",
            object_id=code,
            swv_code=swv.code,
            was=old,
            wordt=value,
        )
        return VestigingSaved(Change.BIJGEWERKT, await _view_in(s, swv, row))


def _views_stmt(swv_code: str):
    return (
        select(Vestiging, School, Scholenkring)
        .join(School, col(School.id) == col(Vestiging.school_id))
        .join(Swv, col(Swv.id) == col(Vestiging.swv_id))
        .outerjoin(
            Gemeente,
            (col(Gemeente.swv_id) == col(Vestiging.swv_id)) & (col(Gemeente.naam) == col(Vestiging.gemeente)),
        )
        .outerjoin(Scholenkring, col(Scholenkring.id) == col(Gemeente.scholenkring_id))
        .where(col(Swv.code) == swv_code)
        .order_by(Vestiging.brin6)
    )


def _as_view(v: Vestiging, school: School, kring: Scholenkring | None) -> VestigingView:
    return VestigingView(
        v.brin6,
        v.naam,
        v.gemeente,
        v.routeringskenmerk,
        school.naam,
        school.las,
        kring.naam if kring else None,
        kring.coordinator if kring else None,
        v.actief,
    )


async def _view_in(s: AsyncSession, swv: Swv, row: Vestiging) -> VestigingView:
    found = (await s.exec(_views_stmt(swv.code).where(col(Vestiging.id) == row.id))).first()
    assert found is not None
    return _as_view(*found)


async def list_vestigingen(db: Database, swv_code: str, brin4: str | None = None) -> list[VestigingView]:
    async with db.reader() as s:
        stmt = _views_stmt(swv_code)
        if brin4:
            stmt = stmt.where(School.brin4 == brin4.strip().upper())
        return [_as_view(*row) for row in (await s.exec(stmt)).all()]


async def get_vestiging(db: Database, swv_code: str, brin6: str) -> VestigingView | None:
    async with db.reader() as s:
        found = (await s.exec(_views_stmt(swv_code).where(col(Vestiging.brin6) == brin6))).first()
        return _as_view(*found) if found is not None else None


async def registered_brin4s(db: Database, swv_code: str) -> list[str]:
    """Every school (BRIN4) registered with the SWV, sorted — the schools `gateway osr sync` refreshes."""
    async with db.reader() as s:
        stmt = select(col(School.brin4)).join(Swv, col(Swv.id) == col(School.swv_id)).where(col(Swv.code) == swv_code)
        return sorted({str(b) for b in (await s.exec(stmt)).scalars()})  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
