"""The SWV and who belongs to it: scholenkringen, schools (BRIN4) and vestigingen (BRIN6), mandates."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from gateway.store.types import UtcDateTime, utcnow


class Swv(SQLModel, table=True):
    __tablename__ = "swv"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=6)  # e.g. PO3008
    naam: str
    oin: str | None = Field(default=None, max_length=20)


class Scholenkring(SQLModel, table=True):
    __tablename__ = "scholenkring"
    __table_args__ = (UniqueConstraint("swv_id", "naam"),)
    id: int | None = Field(default=None, primary_key=True)
    swv_id: int = Field(foreign_key="swv.id", index=True)
    naam: str  # e.g. "Helmond"
    coordinator: str  # the CPO (coördinator passend onderwijs) of this kring
    coordinator_email: str | None = None


class Gemeente(SQLModel, table=True):
    """Which scholenkring a gemeente belongs to: the coördinator follows from the school's gemeente."""

    __tablename__ = "gemeente"
    __table_args__ = (UniqueConstraint("swv_id", "naam"),)
    id: int | None = Field(default=None, primary_key=True)
    swv_id: int = Field(foreign_key="swv.id", index=True)
    naam: str
    scholenkring_id: int = Field(foreign_key="scholenkring.id")


class School(SQLModel, table=True):
    __tablename__ = "school"
    __table_args__ = (UniqueConstraint("swv_id", "brin4"),)
    id: int | None = Field(default=None, primary_key=True)
    swv_id: int = Field(foreign_key="swv.id", index=True)
    brin4: str = Field(max_length=4, index=True)
    naam: str
    bestuur: str | None = None
    las: str | None = None  # "ParnasSys" | "ESIS" | other


class Vestiging(SQLModel, table=True):
    __tablename__ = "vestiging"
    __table_args__ = (UniqueConstraint("swv_id", "brin6"),)
    id: int | None = Field(default=None, primary_key=True)
    swv_id: int = Field(foreign_key="swv.id", index=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    brin6: str = Field(max_length=6, index=True)
    naam: str
    gemeente: str
    routeringskenmerk: str | None = None  # normalised short form "500".."599"; editable per vestiging
    actief: bool = True


class Mandaat(SQLModel, table=True):
    """An OSO-SWV mandate as last seen in the OSR (synced) or imported from a CSV export."""

    __tablename__ = "mandaat"
    __table_args__ = (UniqueConstraint("brin4", "systeem", "service", "start_date"),)
    id: int | None = Field(default=None, primary_key=True)
    brin4: str = Field(max_length=4, index=True)
    systeem: str  # "ParnasSys" | "Kindkans"
    supplier_oin: str | None = None
    service: str  # service namespace URI
    start_date: dt.date
    end_date: dt.date | None = None
    bron: str = "osr"  # "osr" | "csv"
    opgehaald_op: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
