"""The append-only audit log: who did or read what, when. Rows are only ever inserted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from gateway.store.types import JSON, UtcDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit"
    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False, index=True))
    actor: str  # "systeem", "parnassys:<oin>", "esis:<brin6>", "gebruiker:<org>/<name>"
    action: str  # snake_case: hulpvraag_aangemaakt, bijlage_gedownload, status_gewijzigd, ...
    object_type: str
    object_id: str | None = None
    swv_code: str | None = None
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
