"""OSO-SWV mandates in the store: the durable copy of what the OSR said (``bron="osr"``, `gateway osr sync`)
or what an export of the OSR portal said (``bron="csv"``, `gateway osr import`).

Mapping: a stored row ↔ `verification.mandates.Mandaat`. The stored ``systeem`` is normalised to the
configured names of the two OSO-SWV systems (ParnasSys, Kindkans) when the mandate is theirs.

Saving replaces, per school, what was stored: the newest answer is the truth. A sync also leaves an audit
entry per school (``osr_mandaten_opgehaald``) so "asked, and the OSR has none" differs from "never asked".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.errors import ConfigError
from gateway.store.audit import audit
from gateway.store.db import Database
from gateway.store.models import AuditEntry
from gateway.store.models import Mandaat as MandaatRow
from gateway.store.types import utcnow
from verification.identifiers import OngeldigeIdentificatie, parse_oin
from verification.mandates import DEFAULT_SERVICE_NAMESPACE, Mandaat, OsoSwvParties, System

__all__ = [
    "SYNC_ACTION",
    "StoredMandates",
    "from_row",
    "group_by_school",
    "parties_from_settings",
    "replace_mandates",
    "replace_mandates_in",
    "stored_mandates",
    "system_name",
    "to_row",
]

SYNC_ACTION = "osr_mandaten_opgehaald"
IMPORT_ACTION = "osr_mandaten_geimporteerd"


def parties_from_settings(section: Mapping[str, Any]) -> OsoSwvParties:
    """`OsoSwvParties` from the ``[osr]`` settings: ``service_namespace``, ``parnassys_oin``, ``kindkans_oin``,
    ``parnassys_system``, ``kindkans_system`` (defaults: the test values of `OsoSwvParties`)."""
    default = OsoSwvParties()

    def system(prefix: str, fallback: System) -> System:
        raw_oin = section.get(f"{prefix}_oin")
        try:
            oin = parse_oin(raw_oin, f"osr.{prefix}_oin") if raw_oin not in (None, "") else fallback.supplier_oin
        except OngeldigeIdentificatie as exc:
            raise ConfigError(f"Ongeldige instelling [osr] {prefix}_oin: {exc.finding.message}") from None
        name = str(section.get(f"{prefix}_system") or fallback.name).strip()
        return System(name, oin)

    namespace = str(section.get("service_namespace") or DEFAULT_SERVICE_NAMESPACE).strip()
    return OsoSwvParties(
        service_namespace=namespace,
        parnassys=system("parnassys", default.parnassys),
        kindkans=system("kindkans", default.kindkans),
    )


def system_name(mandaat: Mandaat, parties: OsoSwvParties) -> str:
    """The configured name of the mandate's OSO-SWV system, or the name as given for any other system."""
    for system in parties.systems:
        if mandaat.is_for(system, mandaat.service_namespace):
            return system.name
    return mandaat.system


def from_row(row: MandaatRow) -> Mandaat:
    return Mandaat(
        school_oin=row.brin4,
        service_namespace=row.service,
        system=row.systeem,
        supplier_oin=row.supplier_oin,
        start_date=row.start_date,
        end_date=row.end_date,
    )


def to_row(mandaat: Mandaat, *, bron: str, parties: OsoSwvParties, at: dt.datetime | None = None) -> MandaatRow:
    return MandaatRow(
        brin4=mandaat.brin4,
        systeem=system_name(mandaat, parties),
        supplier_oin=mandaat.supplier_oin,
        service=mandaat.service_namespace,
        start_date=mandaat.start_date,
        end_date=mandaat.end_date,
        bron=bron,
        opgehaald_op=at or utcnow(),
    )


def _dedupe(rows: Iterable[MandaatRow]) -> list[MandaatRow]:
    """One row per (brin4, systeem, service, start_date) — the table's unique key; the last one wins."""
    unique: dict[tuple[object, ...], MandaatRow] = {}
    for row in rows:
        unique[(row.brin4, row.systeem.casefold(), row.service, row.start_date)] = row
    return list(unique.values())


async def replace_mandates_in(
    s: AsyncSession,
    per_school: Mapping[str, Iterable[Mandaat]],
    *,
    bron: str,
    parties: OsoSwvParties,
    actor: str,
    swv_code: str | None = None,
) -> int:
    """Replace the stored mandates of each school in ``per_school`` (any source) by the given ones."""
    at = utcnow()
    stored = 0
    for brin4, mandates in per_school.items():
        await s.exec(delete(MandaatRow).where(MandaatRow.brin4 == brin4))  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
        rows = _dedupe(to_row(m, bron=bron, parties=parties, at=at) for m in mandates)
        s.add_all(rows)
        stored += len(rows)
        audit(
            s,
            actor=actor,
            action=SYNC_ACTION if bron == "osr" else IMPORT_ACTION,
            object_type="school",
            object_id=brin4,
            swv_code=swv_code,
            bron=bron,
            systemen=sorted(r.systeem for r in rows),
        )
    await s.flush()
    return stored


async def replace_mandates(
    db: Database,
    mandates_by_school: Mapping[str, Iterable[Mandaat]],
    *,
    bron: str,
    parties: OsoSwvParties,
    actor: str,
    swv_code: str | None = None,
) -> int:
    """`replace_mandates_in` in its own transaction. Returns the number of rows stored."""
    async with db.session() as s:
        return await replace_mandates_in(
            s, mandates_by_school, bron=bron, parties=parties, actor=actor, swv_code=swv_code
        )


def group_by_school(mandates: Iterable[Mandaat]) -> dict[str, list[Mandaat]]:
    grouped: dict[str, list[Mandaat]] = defaultdict(list)
    for m in mandates:
        grouped[m.brin4].append(m)
    return dict(grouped)


@dataclass(frozen=True, slots=True)
class StoredMandates:
    """What the store knows about one school's mandates. ``fetched_at`` None: never synced or imported."""

    mandates: tuple[Mandaat, ...]
    fetched_at: dt.datetime | None
    bron: str | None


async def stored_mandates(db: Database, brin4: str) -> StoredMandates:
    async with db.reader() as s:
        rows = list((await s.exec(select(MandaatRow).where(MandaatRow.brin4 == brin4))).scalars())  # type: ignore[arg-type,call-overload]  # SQLModel types a column attribute as its Python value
        synced = (
            (
                await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                    select(AuditEntry)
                    .where(
                        col(AuditEntry.action).in_((SYNC_ACTION, IMPORT_ACTION)),
                        col(AuditEntry.object_type) == "school",
                        col(AuditEntry.object_id) == brin4,
                    )
                    .order_by(col(AuditEntry.at).desc())
                    .limit(1)
                )
            )
            .scalars()
            .first()
        )
    mandates = []
    for row in rows:
        try:
            mandates.append(from_row(row))
        except ValueError:  # OngeldigeIdentificatie too: a row we cannot read counts as no mandate
            continue
    if synced is not None:
        return StoredMandates(tuple(mandates), synced.at, str(synced.details.get("bron") or "osr"))
    if not rows:
        return StoredMandates((), None, None)
    oldest = min(rows, key=lambda r: r.opgehaald_op)
    return StoredMandates(tuple(mandates), oldest.opgehaald_op, oldest.bron)
