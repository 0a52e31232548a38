"""Reading the inbound queue: filters, paging, counts per state and the age of the oldest waiting item."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.sql import Select
from sqlmodel import col

from gateway.store.db import Database
from gateway.store.models import Exchange, ExchangeState, Hulpvraag, School, Swv, Vestiging
from gateway.store.types import utcnow
from gateway.web.pages.context import TZ

__all__ = ["RETRYABLE", "WAITING", "QueueFilter", "QueuePage", "matching_ids", "read_queue", "reason_codes"]

WAITING = (
    ExchangeState.ONTVANGEN.value,
    ExchangeState.IN_BEHANDELING.value,
    ExchangeState.WACHT_OP_HERHALING.value,
    ExchangeState.VASTGEHOUDEN.value,
)
RETRYABLE = (
    ExchangeState.WACHT_OP_HERHALING.value,
    ExchangeState.VASTGEHOUDEN.value,
    ExchangeState.GEWEIGERD.value,
)
_STATES = {s.value for s in ExchangeState} | {"wachtend"}
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")
REASON_SCAN = 5000  # the reason filter offers the codes found in this many most recent exchanges


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class QueueFilter:
    state: str = ""  # an ExchangeState value, or "wachtend" (everything not yet final)
    source: str = ""
    school: str = ""  # BRIN4 or BRIN6
    van: str = ""  # yyyy-mm-dd, local date
    tot: str = ""
    q: str = ""
    reden: str = ""  # a finding code: only exchanges with that reason

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> QueueFilter:
        def clean(name: str, limit: int) -> str:
            return " ".join(str(query.get(name, "")).split())[:limit]

        state = clean("state", 30)
        return cls(
            state=state if state in _STATES else "",
            source=clean("source", 20).lower(),
            school=clean("school", 6).upper(),
            van=clean("van", 10) if _date(clean("van", 10)) else "",
            tot=clean("tot", 10) if _date(clean("tot", 10)) else "",
            q=clean("q", 100),
            reden=clean("reden", 80) if _CODE.fullmatch(clean("reden", 80)) else "",
        )

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v}

    def query_string(self, **extra: Any) -> str:
        return urlencode({**self.as_dict(), **{k: v for k, v in extra.items() if v not in (None, "")}})

    def apply(self, stmt: Select[Any], swv_code: str) -> Select[Any]:
        stmt = stmt.where(col(Exchange.swv_code) == swv_code)
        if self.state == "wachtend":
            stmt = stmt.where(col(Exchange.state).in_(WAITING))
        elif self.state:
            stmt = stmt.where(col(Exchange.state) == self.state)
        if self.source:
            stmt = stmt.where(col(Exchange.source) == self.source)
        if self.school:
            stmt = stmt.where(col(Exchange.brin6).startswith(self.school))
        if (van := _date(self.van)) is not None:
            stmt = stmt.where(col(Exchange.received_at) >= dt.datetime.combine(van, dt.time(), TZ))
        if (tot := _date(self.tot)) is not None:
            stmt = stmt.where(
                col(Exchange.received_at) < dt.datetime.combine(tot + dt.timedelta(days=1), dt.time(), TZ)
            )
        if self.reden:  # codes are [A-Za-z0-9_.-]: no LIKE wildcards; the quotes make it the whole code
            stmt = stmt.where(cast(Exchange.findings, String).like(f'%"{self.reden}"%'))
        if self.q:
            like = f"%{self.q}%"
            terms = [
                col(Exchange.key).ilike(like),
                col(Exchange.correlation_id).ilike(like),
                col(Exchange.brin6).ilike(like),
                col(Exchange.step).ilike(like),
                col(Exchange.last_error).ilike(like),
            ]
            if self.q.isdigit():
                terms.append(Exchange.id == int(self.q))  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
            stmt = stmt.where(or_(*terms))
        return stmt


@dataclass(frozen=True)
class QueueRow:
    exchange: Exchange
    school: str | None
    vestiging: str | None
    aanvraagtype: str | None


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int
    counts: dict[str, int]
    oldest_waiting: dt.timedelta | None


async def names_by_brin6(s: Any, brin6s: set[str], swv_code: str) -> dict[str, tuple[str, str]]:
    if not brin6s:
        return {}
    stmt = (
        select(col(Vestiging.brin6), col(School.naam), col(Vestiging.naam))
        .join(School, col(School.id) == col(Vestiging.school_id))
        .join(Swv, col(Swv.id) == col(Vestiging.swv_id))
        .where(col(Swv.code) == swv_code, col(Vestiging.brin6).in_(sorted(brin6s)))
    )
    return {b: (school, ves) for b, school, ves in (await s.exec(stmt)).all()}


async def read_queue(db: Database, swv_code: str, flt: QueueFilter, page: int, page_size: int) -> QueuePage:
    async with db.reader() as s:
        counts = {
            state: int(n)
            for state, n in (
                await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                    select(col(Exchange.state), func.count())
                    .where(col(Exchange.swv_code) == swv_code)
                    .group_by(col(Exchange.state))
                )
            ).all()
        }
        oldest = (
            await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                select(func.min(Exchange.received_at)).where(
                    col(Exchange.swv_code) == swv_code,
                    col(Exchange.state).in_(WAITING),
                )
            )
        ).scalar()
        total = int(
            (await s.exec(flt.apply(select(func.count()).select_from(Exchange), swv_code))).scalar() or 0  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        )
        pages = max(1, -(-total // page_size))
        page = min(max(1, page), pages)
        stmt = flt.apply(select(Exchange), swv_code).order_by(col(Exchange.received_at).desc(), col(Exchange.id).desc())
        exchanges = list(
            (await s.exec(stmt.offset((page - 1) * page_size).limit(page_size))).scalars()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        )
        names = await names_by_brin6(s, {e.brin6 for e in exchanges if e.brin6}, swv_code)
        hv_ids = [e.hulpvraag_id for e in exchanges if e.hulpvraag_id]
        types: dict[int, str | None] = {}
        if hv_ids:
            types = dict(
                (
                    await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                        select(col(Hulpvraag.id), col(Hulpvraag.aanvraagtype)).where(col(Hulpvraag.id).in_(hv_ids))
                    )
                ).all()
            )
    if isinstance(oldest, dt.datetime) and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)
    rows = []
    for e in exchanges:
        school, ves = names.get(e.brin6 or "", (None, None))
        soort = types.get(e.hulpvraag_id or 0) or _meta_aanvraagtype(e.meta)
        rows.append(QueueRow(e, school, ves, soort))
    age = utcnow() - oldest if isinstance(oldest, dt.datetime) else None
    return QueuePage(rows, total, page, pages, counts, age)


def _meta_aanvraagtype(meta: dict[str, Any]) -> str | None:
    for key in ("aanvraagtype", "korte_omschrijving"):
        value = meta.get(key)
        if isinstance(value, str) and value:
            return value
    return None


async def matching_ids(db: Database, swv_code: str, flt: QueueFilter) -> list[int]:
    """The retryable exchanges that match the filter (for "retry all that match")."""
    async with db.reader() as s:
        stmt = flt.apply(select(col(Exchange.id)), swv_code).where(
            col(Exchange.state).in_(RETRYABLE),
            col(Exchange.payload_purged) == False,  # noqa: E712
        )
        return [int(i) for i in (await s.exec(stmt.order_by(col(Exchange.id)))).scalars()]  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def reason_codes(db: Database, swv_code: str) -> list[tuple[str, str]]:
    """(code, Dutch text) of the reasons in the recent exchanges, for the reason filter; sorted by text."""
    async with db.reader() as s:
        rows = (
            await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                select(col(Exchange.findings))
                .where(Exchange.swv_code == swv_code)  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
                .order_by(col(Exchange.id).desc())
                .limit(REASON_SCAN)
            )
        ).scalars()
        found: dict[str, str] = {}
        for findings in rows:
            for f in findings or ():
                code, message = str(f.get("code", "")), str(f.get("message", ""))
                if _CODE.fullmatch(code) and code not in found:
                    found[code] = message if len(message) <= 90 else message[:89] + "…"
    return sorted(found.items(), key=lambda item: item[1].casefold())
