"""ESIS verificatiecodes (owned by the ESIS capability).

A code is stored only as a slow salted hash with a display fingerprint. `brin6` is the code's first six
characters (the vestiging it belongs to) and is indexed: verifying a presented code only hashes the few
candidates with that prefix, so it stays fast with thousands of codes.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from gateway.store.types import UtcDateTime, utcnow


class CodeState(StrEnum):
    AANGEMELD = "aangemeld"  # registered by the school, waiting for the secretariaat
    ACTIEF = "actief"  # activated: ESIS requests with this code are accepted
    INGETROKKEN = "ingetrokken"  # revoked (or replaced by a rotation); kept for the history


class Verificatiecode(SQLModel, table=True):
    __tablename__ = "verificatiecode"
    __table_args__ = (Index("ix_verificatiecode_lookup", "brin6", "state"),)
    id: int | None = Field(default=None, primary_key=True)
    swv_id: int = Field(foreign_key="swv.id", index=True)
    vestiging_id: int = Field(foreign_key="vestiging.id", index=True)
    brin6: str = Field(max_length=6)  # = the code's prefix (lookup key)
    environment: str = Field(max_length=64)  # the ESIS environment (omgeving) this code was entered in
    state: str = Field(default=CodeState.AANGEMELD.value, max_length=16)
    code_hash: str = Field(max_length=200)  # scrypt$N$r$p$salt$hash — never the code
    fingerprint: str = Field(max_length=40)
    contact_email: str | None = Field(default=None, max_length=254)  # where the activation mail goes
    contact_naam: str | None = None
    replaces_id: int | None = Field(default=None, foreign_key="verificatiecode.id")  # rotation
    registered_by: str
    registered_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    activated_by: str | None = None
    activated_at: dt.datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    revoked_by: str | None = None
    revoked_at: dt.datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    revoke_reason: str | None = None
    last_used_at: dt.datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
