"""A stored request (hulpvraag) as an adapter may see it, and `Amend`: an update decided against it.

A request is found by its source system's own key (`HulpvraagDraft.request_key`, kept opaquely in
``hulpvraag.request_key``). An update of a stored request (ESIS's wijziging) is a draft with ``amend`` set:
the pipeline takes the request's lock, reads the stored request (`find_request`) and calls ``amend`` with it
*inside the transaction that stores the answer* — so what the update withdraws, adds or notes is decided on
the request as it is at that moment, and the decision and its effect are one step (nothing half done, nothing
decided on a state another exchange has changed in between).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from gateway.pipeline.contracts import PupilIdentity
from gateway.pipeline.status_catalogue import load_catalogue
from gateway.store.db import Database
from gateway.store.models import Bijlage, Exchange, Hulpvraag
from verification.status_flow import StatusCatalogue

if TYPE_CHECKING:
    from gateway.pipeline.contracts import HulpvraagDraft

__all__ = [
    "Amend",
    "RequestReads",
    "StoredBijlage",
    "StoredRequest",
    "find_request",
    "first_request_from",
    "read_request",
    "status_catalogue_of",
]


@dataclass(frozen=True, slots=True)
class StoredBijlage:
    bestandsnaam: str
    sha256: str
    role: str
    size: int
    detected_type: str | None
    removed: bool  # withdrawn by the sender; kept for the history


@dataclass(frozen=True, slots=True)
class StoredRequest:
    hulpvraag_id: int
    swv_id: int
    brin6: str
    pupil: PupilIdentity
    aanvraagtype: str | None
    omschrijving: str | None
    status: str
    coordinator: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    bijlagen: tuple[StoredBijlage, ...]  # in the order they were added

    @property
    def live_bijlagen(self) -> tuple[StoredBijlage, ...]:
        return tuple(b for b in self.bijlagen if not b.removed)


class RequestReads:
    """What an `Amend` may look up besides the stored request, in the storing transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def exchange_state(self, key: str) -> str | None:
        """The state of the exchange with this key (e.g. whether the request's first exchange is done)."""
        stmt = select(col(Exchange.state)).where(col(Exchange.key) == key)
        found = self._session.connection().execute(stmt).scalars().first()
        return None if found is None else str(found)


class Amend(Protocol):
    """Decides an update of a stored request: called with the request as stored now (None: not stored), it
    returns the draft to store, or raises `Refusal`, `Hold` or `Transient` (nothing is stored then)."""

    def __call__(self, stored: StoredRequest | None, reads: RequestReads) -> HulpvraagDraft: ...


def _request(hv: Hulpvraag, bijlagen: list[Bijlage]) -> StoredRequest:
    assert hv.id is not None
    return StoredRequest(
        hulpvraag_id=hv.id,
        swv_id=hv.swv_id,
        brin6=hv.brin6,
        pupil=PupilIdentity(hv.leerlingid, hv.voornaam, hv.achternaam, hv.geboortedatum, hv.tussenvoegsel),
        aanvraagtype=hv.aanvraagtype,
        omschrijving=hv.omschrijving,
        status=hv.status,
        coordinator=hv.coordinator,
        created_at=hv.created_at,
        updated_at=hv.updated_at,
        bijlagen=tuple(
            StoredBijlage(b.bestandsnaam, b.sha256, b.role, b.size, b.detected_type, b.removed) for b in bijlagen
        ),
    )


def find_request(session: Session, source_system: str, request_key: str) -> StoredRequest | None:
    """The request the source system knows by this key, in the caller's transaction."""
    hv = (
        session.execute(
            select(Hulpvraag).where(
                col(Hulpvraag.source_system) == source_system, col(Hulpvraag.request_key) == request_key
            )
        )
        .scalars()
        .first()
    )
    if hv is None:
        return None
    bijlagen = session.execute(
        select(Bijlage).where(col(Bijlage.hulpvraag_id) == hv.id).order_by(col(Bijlage.id))
    ).scalars()
    return _request(hv, list(bijlagen))


async def read_request(db: Database, source_system: str, request_key: str) -> StoredRequest | None:
    """`find_request` for a page or a status call (a read-only session that never waits for a writer)."""
    async with db.reader() as s:
        return await s.run_sync(find_request, source_system, request_key)


def _first_from(session: Session, source_system: str) -> StoredRequest | None:
    stmt = select(Hulpvraag).where(col(Hulpvraag.source_system) == source_system).order_by(col(Hulpvraag.id))
    hv = session.execute(stmt.limit(1)).scalars().first()
    return _request(hv, []) if hv is not None else None


async def first_request_from(db: Database, source_system: str) -> StoredRequest | None:
    """The oldest request of a source system, without its bijlagen (the demo's status change)."""
    async with db.reader() as s:
        return await s.run_sync(_first_from, source_system)


async def status_catalogue_of(db: Database, swv_id: int) -> StatusCatalogue:
    """The SWV's statuses and the steps between them."""
    async with db.reader() as s:
        return await load_catalogue(s, swv_id)
