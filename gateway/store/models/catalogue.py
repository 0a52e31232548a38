"""The SWV's catalogue of aanvraagtypes (exact wording, channel, required bijlagen, first status)."""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class Aanvraagtype(SQLModel, table=True):
    __tablename__ = "aanvraagtype"
    __table_args__ = (UniqueConstraint("swv_id", "naam"),)
    id: int | None = Field(default=None, primary_key=True)
    swv_id: int = Field(foreign_key="swv.id", index=True)
    naam: str  # the exact wording schools must use (ESIS korte omschrijving)
    via_las: bool = True  # may arrive via ParnasSys/ESIS; False: only directly in the case system
    verplichte_bijlage: str | None = None  # None | "opp" | "opp_of_document" | "formulier"
    eerste_status: str | None = None  # None: the SWV is not yet involved
    volgorde: int = 0


class Status(SQLModel, table=True):
    """Known `Fase>stap` statuses of the SWV (free text is allowed too; this list feeds the pages)."""

    __tablename__ = "status"
    __table_args__ = (UniqueConstraint("swv_id", "naam"),)
    id: int | None = Field(default=None, primary_key=True)
    swv_id: int = Field(foreign_key="swv.id", index=True)
    naam: str
    afgesloten: bool = False  # a hulpvraag in this status is closed: later exchanges make a new one
