"""What happened to a vestiging's ESIS verificatiecodes at the door, for the school's koppelcheck page and the
secretariaat: the last time ESIS presented a revoked code (audit action ``esis_ingetrokken_code_gebruikt``,
written by `adapters.esis.auth`). On the wire ESIS hears "unknown code" either way, so a guesser never learns
that a code once existed; the school learns it here, behind its log-in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import col, select

from gateway.store.db import Database
from gateway.store.models import AuditEntry

__all__ = ["REVOKED_CODE_USED", "RevokedCodeUse", "last_revoked_code_use"]

REVOKED_CODE_USED = "esis_ingetrokken_code_gebruikt"


@dataclass(frozen=True, slots=True)
class RevokedCodeUse:
    at: dt.datetime
    code_id: int
    environment: str | None
    fingerprint: str | None  # tells the codes apart; never the code


async def last_revoked_code_use(db: Database, brin6: str, swv_code: str | None = None) -> RevokedCodeUse | None:
    """The latest use of one of this vestiging's revoked codes, or None."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.action == REVOKED_CODE_USED, AuditEntry.object_type == "verificatiecode")
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    )
    if swv_code:
        stmt = stmt.where(AuditEntry.swv_code == swv_code)
    async with db.reader() as s:
        for entry in (await s.exec(stmt.limit(500))).all():
            if str(entry.details.get("brin6", "")).upper() == brin6.upper() and entry.object_id:
                return RevokedCodeUse(
                    at=entry.at,
                    code_id=int(entry.object_id),
                    environment=entry.details.get("omgeving"),
                    fingerprint=entry.details.get("vingerafdruk"),
                )
    return None
