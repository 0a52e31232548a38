"""An audit entry written in a transaction of its own (an adapter's security event, e.g. a revoked code used)."""

from __future__ import annotations

from typing import Any

from gateway.store.audit import audit
from gateway.store.db import Database

__all__ = ["record_audit"]


async def record_audit(
    db: Database,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: object = None,
    swv_code: str | None = None,
    **details: Any,
) -> None:
    async with db.session() as s:
        audit(
            s,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            swv_code=swv_code,
            **details,
        )
