"""Writing the audit log. Entries are only ever added, inside the transaction of what they record.

`audit` adds an entry to an ORM session (flushed with the session's other changes); `audit_now` writes it
at once with one prebuilt INSERT on the session's connection — for units of work on the hot path, where
building an ORM object costs more than the statement.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.store.models import AuditEntry
from gateway.store.prepared import Prepared
from gateway.store.types import utcnow

__all__ = ["audit", "audit_now"]

_INSERT = Prepared(insert(AuditEntry.__table__))  # type: ignore[attr-defined]  # built once; executed with a dict


def audit(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: object = None,
    swv_code: str | None = None,
    **details: Any,
) -> None:
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            swv_code=swv_code,
            details=details,
        )
    )


def audit_now(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: object = None,
    swv_code: str | None = None,
    **details: Any,
) -> None:
    """The same entry as `audit`, inserted now in the session's transaction (a synchronous `Session`)."""
    _INSERT.execute(
        session.connection(),
        {
            "at": utcnow(),
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": None if object_id is None else str(object_id),
            "swv_code": swv_code,
            "details": details,
        },
    )
