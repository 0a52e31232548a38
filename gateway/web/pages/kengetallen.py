"""Kengetallen for the secretariaat and monitoring: requests per week by aanvraagtype, channel and
scholenkring, refusals by reason, and the time to the first reply — as server-rendered SVG charts with the
figures in tables. Only counts: no pupil, no school below the scholenkring, nothing a person could be
recognised by.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from statistics import median
from typing import Any

from aiohttp import web
from markupsafe import Markup
from sqlalchemy import select
from sqlmodel import col

from gateway.store.audit import audit
from gateway.store.models import Exchange, ExchangeState, Gemeente, Hulpvraag, Scholenkring, Swv, Vestiging
from gateway.store.types import utcnow
from gateway.web.pages.charts import bar_chart, stacked_bars
from gateway.web.pages.context import PAGES, TZ, int_param, render, viewer
from gateway.web.pages.texts import source_label

__all__ = ["Kengetallen", "reply_bucket", "routes", "working_days_between"]

routes = web.RouteTableDef()
DEFAULT_WEEKS, MIN_WEEKS, MAX_WEEKS = 12, 4, 52
TOP_TYPES, TOP_REASONS = 7, 10
REPLY_BUCKETS = ("zelfde dag", "1 werkdag", "2 werkdagen", "3 werkdagen", "4 werkdagen", "5 werkdagen", "meer dan 5")
NO_REPLY = "nog geen reactie"


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days (Mon–Fri) after ``start`` up to and including ``end``; 0 on the same day."""
    days, current = 0, start
    while current < end:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            days += 1
    return days


def reply_bucket(days: int) -> str:
    return REPLY_BUCKETS[min(days, len(REPLY_BUCKETS) - 1)]


@dataclass(frozen=True)
class Kengetallen:
    weeks: list[str]
    per_type: dict[str, list[int]]
    per_channel: dict[str, list[int]]
    per_kring: dict[str, list[int]]
    refusals: list[tuple[str, int]]
    replies: list[tuple[str, int]]
    median_reply: float | None
    total: int

    def charts(self) -> dict[str, Markup]:
        return {
            "type": stacked_bars("Hulpvragen per week, per aanvraagtype", self.weeks, self.per_type),
            "kanaal": stacked_bars("Hulpvragen per week, per kanaal", self.weeks, self.per_channel),
            "kring": stacked_bars("Hulpvragen per week, per scholenkring", self.weeks, self.per_kring),
            "weigeringen": bar_chart("Weigeringen per reden", self.refusals),
            "reactie": bar_chart("Tijd tot de eerste reactie (werkdagen)", self.replies),
        }


def _series(rows: list[tuple[int, str]], weeks: int, keep: list[str] | None = None) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    for week, name in rows:
        if keep is not None and name not in keep:
            name = "overige"
        out[name][week] += 1
    return dict(sorted(out.items(), key=lambda kv: (kv[0] == "overige", -sum(kv[1]), kv[0])))


async def gather(db: Any, swv_code: str, weeks: int, now: dt.datetime | None = None) -> Kengetallen:
    today = (now or utcnow()).astimezone(TZ).date()
    first = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks - 1)
    since = dt.datetime.combine(first, dt.time(), TZ)
    async with db.reader() as s:
        swv_id = (await s.exec(select(col(Swv.id)).where(col(Swv.code) == swv_code))).scalars().first()
        rows = (
            await s.exec(
                select(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                    Hulpvraag.created_at,
                    Hulpvraag.aanvraagtype,
                    Hulpvraag.source_system,
                    Hulpvraag.brin6,
                    Hulpvraag.last_reaction_at,
                    Hulpvraag.open,
                ).where(Hulpvraag.swv_id == swv_id, Hulpvraag.created_at >= since)
            )
        ).all()
        kring_of = dict(
            (
                await s.exec(
                    select(col(Vestiging.brin6), col(Scholenkring.naam))
                    .join(Gemeente, (Gemeente.naam == Vestiging.gemeente) & (Gemeente.swv_id == Vestiging.swv_id))  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
                    .join(Scholenkring, col(Scholenkring.id) == col(Gemeente.scholenkring_id))
                    .where(Vestiging.swv_id == swv_id)
                )
            ).all()
        )
        refused = (
            await s.exec(
                select(col(Exchange.findings)).where(
                    Exchange.swv_code == swv_code,  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
                    Exchange.state == ExchangeState.GEWEIGERD.value,  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
                    Exchange.received_at >= since,  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
                )
            )
        ).scalars()
        reasons: Counter[str] = Counter()
        for findings in refused:
            first_blocking = next((f for f in findings or () if f.get("severity", "fout") == "fout"), None)
            message = str((first_blocking or {}).get("message") or "Zonder reden vastgelegd")
            reasons[message if len(message) <= 120 else message[:119] + "…"] += 1

    def week_of(at: dt.datetime) -> int:
        return min(weeks - 1, max(0, (at.astimezone(TZ).date() - first).days // 7))

    type_rows = [(week_of(r[0]), r[1] or "nog te classificeren") for r in rows]
    top_types = [name for name, _ in Counter(name for _, name in type_rows).most_common(TOP_TYPES)]
    replies: Counter[str] = Counter()
    waited: list[int] = []
    for created, _t, _src, _b, reacted, is_open in rows:
        if reacted is None:
            if is_open:
                replies[NO_REPLY] += 1
            continue
        days = working_days_between(created.astimezone(TZ).date(), reacted.astimezone(TZ).date())
        waited.append(days)
        replies[reply_bucket(days)] += 1
    labels = [f"{(first + dt.timedelta(weeks=i)):%d-%m}" for i in range(weeks)]
    top_reasons = reasons.most_common(TOP_REASONS)
    rest = sum(reasons.values()) - sum(n for _, n in top_reasons)
    return Kengetallen(
        weeks=labels,
        per_type=_series(type_rows, weeks, top_types),
        per_channel=_series([(week_of(r[0]), source_label(r[2])) for r in rows], weeks),
        per_kring=_series([(week_of(r[0]), kring_of.get(r[3], "onbekende scholenkring")) for r in rows], weeks),
        refusals=top_reasons + ([("overige redenen", rest)] if rest else []),
        replies=[(b, replies[b]) for b in (*REPLY_BUCKETS, NO_REPLY)],
        median_reply=float(median(waited)) if waited else None,
        total=len(rows),
    )


@routes.get("/kengetallen")
async def page(request: web.Request) -> web.StreamResponse:
    st, v = request.app[PAGES], viewer(request)
    weeks = int_param(request.query.get("weken"), DEFAULT_WEEKS, low=MIN_WEEKS, high=MAX_WEEKS) or DEFAULT_WEEKS
    figures = await gather(st.c.db, v.swv_code, weeks)
    async with st.c.db.session() as s:
        audit(
            s, actor=v.actor, action="kengetallen_bekeken", object_type="kengetallen", swv_code=v.swv_code, weken=weeks
        )
    ctx = {"k": figures, "charts": figures.charts(), "weken": weeks, "keuzes": (4, 12, 26, 52)}
    return render(request, "kengetallen.html", ctx)
