"""The SWV's status catalogue from the store, as the pure `verification.status_flow.StatusCatalogue`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import col

from gateway.store.models import Status, StatusOvergang
from verification.status_flow import StatusCatalogue

__all__ = ["load_catalogue"]


async def load_catalogue(session: Any, swv_id: int) -> StatusCatalogue:
    statuses = (
        await session.exec(
            select(col(Status.naam), col(Status.afgesloten))
            .where(col(Status.swv_id) == swv_id)
            .order_by(col(Status.id))
        )
    ).all()
    steps = (
        await session.exec(
            select(col(StatusOvergang.van), col(StatusOvergang.naar)).where(col(StatusOvergang.swv_id) == swv_id)
        )
    ).all()
    return StatusCatalogue({n: bool(c) for n, c in statuses}, frozenset((v, n) for v, n in steps))
