"""Writing the audit log. Entries are only ever added, inside the transaction of what they record."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.store.models import AuditEntry

__all__ = ["audit"]


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
