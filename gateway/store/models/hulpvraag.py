"""The hulpvraag, its bijlagen and its statushistorie."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from gateway.store.types import JSON, UtcDateTime, utcnow


class Hulpvraag(SQLModel, table=True):
    __tablename__ = "hulpvraag"
    __table_args__ = (UniqueConstraint("source_system", "request_key", name="uq_hulpvraag_request_key"),)
    id: int | None = Field(default=None, primary_key=True)
    swv_id: int = Field(foreign_key="swv.id", index=True)
    vestiging_id: int = Field(foreign_key="vestiging.id", index=True)
    brin6: str = Field(max_length=6, index=True)
    # pupil identity — never a BSN or onderwijsnummer
    leerlingid: str | None = Field(default=None, index=True)
    voornaam: str | None = None
    tussenvoegsel: str | None = None
    achternaam: str | None = None
    geboortedatum: dt.date | None = None
    aanvraagtype: str | None = None  # None: the secretariaat classifies
    omschrijving: str | None = None
    status: str = "Nieuw"
    coordinator: str | None = None
    source_system: str  # parnassys | esis
    external_keys: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # the source system's own "same request" key (HulpvraagDraft.request_key, e.g. ESIS's "<brin6>/<omgeving>:<id>"),
    # kept opaquely: the core only compares it, per source system
    request_key: str | None = None
    labels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    contact: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    opp_expected: bool | None = None
    findings: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    open: bool = Field(default=True, index=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    last_reaction_at: dt.datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))


class Bijlage(SQLModel, table=True):
    __tablename__ = "bijlage"
    __table_args__ = (UniqueConstraint("hulpvraag_id", "sha256"),)
    id: int | None = Field(default=None, primary_key=True)
    hulpvraag_id: int = Field(foreign_key="hulpvraag.id", index=True)
    bestandsnaam: str
    omschrijving: str | None = None
    role: str = "overig"  # opp | toelichting_onderwijsbehoeften | overig
    detected_type: str | None = None
    size: int = 0
    sha256: str = Field(max_length=64)
    blob_key: str = Field(max_length=64)
    findings: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    exchange_id: int | None = Field(default=None, foreign_key="exchange.id")
    removed: bool = False  # withdrawn by the sender (ESIS update); kept for the history
    added_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class StatusHistorie(SQLModel, table=True):
    __tablename__ = "statushistorie"
    id: int | None = Field(default=None, primary_key=True)
    hulpvraag_id: int = Field(foreign_key="hulpvraag.id", index=True)
    status: str
    vorige_status: str | None = None
    door: str  # "systeem" or a user
    toelichting: str | None = None
    at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
