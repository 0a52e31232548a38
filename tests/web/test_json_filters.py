"""The label filter (hulpvragen) and the reason filter (queue) search JSON columns as text: the same on SQLite
and PostgreSQL, with non-ASCII labels and LIKE wildcards taken literally."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlmodel import col

from gateway.components import Components
from gateway.store.models import Exchange, Hulpvraag, Swv
from gateway.web.pages.hulpvragen import HulpvraagFilter
from gateway.web.pages.queue_query import QueueFilter
from tests.support.fakes import ScriptedHandler
from tests.web.factories import seed_queue


async def test_label_and_reason_filters_on_both_databases(any_components: Components) -> None:
    c = any_components
    c.handlers["test_aanvraag"] = ScriptedHandler(c.blobs)
    data = await seed_queue(c)
    async with c.db.session() as s:
        first = (await s.exec(select(col(Hulpvraag.id)).order_by(col(Hulpvraag.id)))).scalars().first()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        await s.exec(update(Hulpvraag).where(Hulpvraag.id == first).values(labels=["Thuiszitter", "100%_spoed"]))
        swv_id = (await s.exec(select(col(Swv.id)))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements

    async def labelled(label: str) -> list[int]:
        flt = HulpvraagFilter.from_query({"label": label, "open": "alle"})
        async with c.db.reader() as s:
            return list((await s.exec(flt.apply(select(col(Hulpvraag.id)), swv_id, 5))).scalars())

    assert await labelled("thuisz") == [first]
    assert await labelled("0%_s") == [first]
    assert await labelled("%") == [first]  # a wildcard is a character
    assert await labelled("_x") == []
    async with c.db.session() as s:
        await s.exec(update(Hulpvraag).where(Hulpvraag.id == first).values(labels=["één"]))
    assert await labelled("één") == [first]

    flt = QueueFilter.from_query({"reden": "ROUTERING_BUITEN_500_REEKS"})
    async with c.db.reader() as s:
        ids = list((await s.exec(flt.apply(select(Exchange.id), "PO3008"))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert ids == [data.intake_refused]
    assert QueueFilter.from_query({"reden": "x%' OR 1=1 --"}).reden == ""  # not a code: no filter value
