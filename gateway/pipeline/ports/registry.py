"""The registry as a sender check reads it, and what the OSR taught us about mandates.

- `vestigingen_of_school`: our SWV's active vestigingen of one school (BRIN4) with their routeringskenmerk;
- `replace_osr_mandates`: the OSR's answer for a school kept in the ``mandaat`` table (koppelcheck, Scholen
  page), replacing earlier OSR rows; rows from a CSV import stay;
- `CodeState`: the states of an ESIS verificatiecode (part of the codes' contract, `gateway.registry.codes`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from gateway.store.db import Database
from gateway.store.models import Mandaat, Swv, Vestiging
from gateway.store.models.codes import CodeState
from verification.routering import Vestiging as RegisteredVestiging

__all__ = ["CodeState", "OsrMandate", "replace_osr_mandates", "vestigingen_of_school"]

# (systeem, supplier OIN, service, start, end)
OsrMandate = tuple[str, str | None, str, dt.date, dt.date | None]

_VESTIGINGEN = (
    select(col(Vestiging.brin6), col(Vestiging.routeringskenmerk), col(Vestiging.naam))
    .join(Swv, col(Swv.id) == col(Vestiging.swv_id))
    .where(col(Swv.code) == bindparam("b_swv"), col(Vestiging.actief) == True)  # noqa: E712
    # the range lets the (swv_id, brin6) index find the school's few rows (a LIKE with a bound prefix cannot:
    # at national scale that was a scan of every vestiging); the LIKE keeps the meaning exact
    .where(col(Vestiging.brin6) >= bindparam("b_brin4"), col(Vestiging.brin6) <= bindparam("b_brin4_last"))
    .where(col(Vestiging.brin6).startswith(bindparam("b_brin4")))
)  # built once; executed with bindparams


async def vestigingen_of_school(db: Database, swv_code: str, brin4: str) -> list[RegisteredVestiging]:
    """A school's BRIN6 codes are its BRIN4 and a vestigingscode of two digits: all lie between ``brin4`` and
    ``brin4 + "ZZ"`` (in binary order and in the linguistic ones alike)."""
    params = {"b_swv": swv_code, "b_brin4": brin4, "b_brin4_last": brin4 + "ZZ"}
    async with db.reader() as s:
        rows = (await (await s.connection()).execute(_VESTIGINGEN, params)).all()
    return [RegisteredVestiging(brin6=b, routeringskenmerk=rk, naam=naam) for b, rk, naam in rows]


async def replace_osr_mandates(db: Database, brin4: str, mandates: Sequence[OsrMandate], now: dt.datetime) -> bool:
    """One transaction. False when another worker (or process) stored this school's answer at the same moment:
    theirs stands."""
    try:
        await _replace(db, brin4, mandates, now)
    except IntegrityError:
        return False
    return True


async def _replace(db: Database, brin4: str, mandates: Sequence[OsrMandate], now: dt.datetime) -> None:
    async with db.session() as s:
        await s.run_sync(_replace_rows, brin4, mandates, now)


def _replace_rows(session: Session, brin4: str, mandates: Sequence[OsrMandate], now: dt.datetime) -> None:
    session.execute(delete(Mandaat).where(col(Mandaat.brin4) == brin4, col(Mandaat.bron) == "osr"))
    others = session.execute(select(Mandaat).where(col(Mandaat.brin4) == brin4)).scalars().all()
    taken = {(o.systeem, o.service, o.start_date) for o in others}
    for systeem, supplier, service, start, end in mandates:
        if (systeem, service, start) in taken:
            continue
        session.add(
            Mandaat(
                brin4=brin4,
                systeem=systeem,
                supplier_oin=supplier,
                service=service,
                start_date=start,
                end_date=end,
                bron="osr",
                opgehaald_op=now,
            )
        )
