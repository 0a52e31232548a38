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
    """The SWV's `Fase>stap` statuses: only these can be set and sent as terugkoppeling (see StatusOvergang)."""

    __tablename__ = "status"
    __table_args__ = (UniqueConstraint("swv_id", "naam"),)
    id: int | None = Field(default=None, primary_key=True)
    swv_id: int = Field(foreign_key="swv.id", index=True)
    naam: str
    afgesloten: bool = False  # a hulpvraag in this status is closed: later exchanges make a new one


class StatusOvergang(SQLModel, table=True):
    """An allowed step in the SWV's status catalogue: a hulpvraag in ``van`` may get ``naar``."""

    __tablename__ = "statusovergang"
    __table_args__ = (UniqueConstraint("swv_id", "van", "naar"),)
    id: int | None = Field(default=None, primary_key=True)
    swv_id: int = Field(foreign_key="swv.id", index=True)
    van: str
    naar: str
