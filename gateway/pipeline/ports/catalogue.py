"""The SWV's reference data as the pipeline and the adapters read it: one loader each, one short cache.

The SWV by code, a vestiging, the aanvraagtype catalogue and the coördinator of a gemeente's scholenkring are
read through a short in-process cache (`CATALOGUE_TTL_SECONDS`), per database engine: only found rows are
cached, so a vestiging registered a moment ago is seen at once; a change to an existing one is seen within
the TTL. The catalogue is loaded here only — the pipeline's store step and an adapter's intake (ESIS checks
the aanvraagtype's wording at the door) read the same rows through the same loader; the intake's copy is
kept per `Database`, so a cached catalogue costs a request no database hop at all.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from typing import TypeVar, cast

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from gateway.store.db import Database
from gateway.store.models import Aanvraagtype, Gemeente, Scholenkring, Swv, Vestiging
from verification.aanvraagtype import AanvraagtypeRegel

__all__ = [
    "CATALOGUE_TTL_SECONDS",
    "aanvraagtype_catalogue",
    "aanvraagtypes_of",
    "clear_catalogue_cache",
    "coordinator_of",
    "swv_by_code",
    "vestiging_of",
]

CATALOGUE_TTL_SECONDS = 5.0

T = TypeVar("T")
_Key = tuple[str, ...]
# per database engine: key -> (expires, value); weak, so a disposed test database leaves no trace
_cache: weakref.WeakKeyDictionary[object, dict[_Key, tuple[float, object]]] = weakref.WeakKeyDictionary()


def clear_catalogue_cache() -> None:
    """Forget every cached SWV, vestiging and catalogue (tests; after editing the registry in bulk)."""
    _cache.clear()


def _engine_of(session: Session) -> object:
    bind = session.get_bind()
    return getattr(bind, "engine", bind)


def _cached(session: Session, key: _Key, load: Callable[[], T | None]) -> T | None:
    per_db = _cache.setdefault(_engine_of(session), {})
    hit = per_db.get(key)
    now = time.monotonic()
    if hit is not None and hit[0] > now:
        return cast("T", hit[1])
    value = load()
    if value is not None:
        per_db[key] = (now + CATALOGUE_TTL_SECONDS, value)
    return value


def _load_swv(session: Session, code: str) -> tuple[int, str] | None:
    row = session.connection().execute(select(col(Swv.id), col(Swv.naam)).where(col(Swv.code) == code)).first()
    return (row[0], str(row[1])) if row is not None and row[0] is not None else None


def swv_by_code(session: Session, code: str) -> tuple[int, str] | None:
    """(id, naam) of the SWV with this code."""
    return _cached(session, ("swv", code), lambda: _load_swv(session, code))


def vestiging_of(session: Session, swv_id: int, brin6: str) -> tuple[int, str] | None:
    """(id, gemeente) of the SWV's vestiging with this BRIN6."""

    def load() -> tuple[int, str] | None:
        stmt = select(col(Vestiging.id), col(Vestiging.gemeente)).where(
            col(Vestiging.swv_id) == swv_id, col(Vestiging.brin6) == brin6
        )
        row = session.connection().execute(stmt).first()
        return (row[0], str(row[1])) if row is not None and row[0] is not None else None

    return _cached(session, ("vestiging", str(swv_id), brin6), load)


def _load_catalogue(session: Session, swv_id: int) -> list[AanvraagtypeRegel] | None:
    stmt = select(Aanvraagtype).where(col(Aanvraagtype.swv_id) == swv_id).order_by(col(Aanvraagtype.volgorde))
    rows = session.execute(stmt).scalars().all()
    return [AanvraagtypeRegel(r.naam, r.via_las, r.verplichte_bijlage, r.eerste_status) for r in rows] or None


def aanvraagtype_catalogue(session: Session, swv_id: int) -> list[AanvraagtypeRegel]:
    """The SWV's aanvraagtypes in the catalogue's order (empty when it has none)."""
    return list(_cached(session, ("catalogue", str(swv_id)), lambda: _load_catalogue(session, swv_id)) or [])


def coordinator_of(session: Session, swv_id: int, gemeente: str) -> str | None:
    """The coördinator of the scholenkring the gemeente belongs to."""

    def load() -> str | None:
        stmt = (
            select(col(Scholenkring.coordinator))
            .join(Gemeente, col(Gemeente.scholenkring_id) == col(Scholenkring.id))
            .where(col(Gemeente.swv_id) == swv_id, col(Gemeente.naam) == gemeente)
        )
        found = session.connection().execute(stmt).scalars().first()
        return None if found is None else str(found)

    return _cached(session, ("coordinator", str(swv_id), gemeente), load)


def _catalogue_by_code(session: Session, swv_code: str) -> list[AanvraagtypeRegel] | None:
    swv = _load_swv(session, swv_code)
    return _load_catalogue(session, swv[0]) if swv is not None else None


async def aanvraagtypes_of(db: Database, swv_code: str) -> list[AanvraagtypeRegel]:
    """The catalogue of the SWV with this code (an intake's check), read without waiting for a writer. Cached
    per database like the rest (`CATALOGUE_TTL_SECONDS`): while cached it is answered without a database
    hop."""
    per_db = _cache.setdefault(db, {})
    key = ("catalogue_of", swv_code)
    hit = per_db.get(key)
    if hit is not None and hit[0] > time.monotonic():
        return list(cast("list[AanvraagtypeRegel]", hit[1]))
    found = await db.read(lambda s: _catalogue_by_code(s, swv_code))
    if found is not None:
        per_db[key] = (time.monotonic() + CATALOGUE_TTL_SECONDS, found)
    return list(found or [])
