"""The SWV's status catalogue from the store, as the pure `verification.status_flow.StatusCatalogue`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gateway.store.models import Status, StatusOvergang
from verification.status_flow import StatusCatalogue

__all__ = ["load_catalogue"]


async def load_catalogue(session: Any, swv_id: int) -> StatusCatalogue:
    statuses = (
        await session.exec(
            select(Status.naam, Status.afgesloten).where(Status.swv_id == swv_id).order_by(Status.id)  # type: ignore[call-overload,arg-type]
        )
    ).all()
    steps = (
        await session.exec(select(StatusOvergang.van, StatusOvergang.naar).where(StatusOvergang.swv_id == swv_id))  # type: ignore[call-overload]
    ).all()
    return StatusCatalogue({n: bool(c) for n, c in statuses}, frozenset((v, n) for v, n in steps))
