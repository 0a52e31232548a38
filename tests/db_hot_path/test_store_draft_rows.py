"""A new hulpvraag written with Core INSERTs has every column the ORM model would give it, on SQLite and
PostgreSQL; updating it adds an audit entry and keeps the row."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from gateway.components import Components
from gateway.inbox.worker import ExchangeWorkers
from gateway.store.models import AuditEntry, Exchange, Hulpvraag, StatusHistorie
from tests.conftest import unique
from tests.support.fakes import ScriptedHandler, new_exchange


async def test_a_new_hulpvraag_has_the_models_defaults_history_and_audit(any_components: Components) -> None:
    c = any_components
    handler = ScriptedHandler(c.blobs)
    workers = ExchangeWorkers(c.db, c.inbox, {"test_aanvraag": handler}, retry=c.retry)
    leerling = unique("L-")
    first = await c.inbox.put(new_exchange(unique("a-"), leerlingid=leerling))
    second = await c.inbox.put(new_exchange(unique("b-"), leerlingid=leerling, content="tweede"))
    assert await workers.drain() == 2
    async with c.db.reader() as s:
        ids = [first.exchange_id, second.exchange_id]
        exchanges = (await s.exec(select(Exchange).where(Exchange.id.in_(ids)))).scalars().all()  # type: ignore[call-overload,union-attr]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements; columns are typed as their values
        assert {e.hulpvraag_id for e in exchanges} != {None} and len({e.hulpvraag_id for e in exchanges}) == 1
        hv = (await s.exec(select(Hulpvraag).where(col(Hulpvraag.leerlingid) == leerling))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        history = (await s.exec(select(StatusHistorie).where(StatusHistorie.hulpvraag_id == hv.id))).scalars().all()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        entries = (await s.exec(select(AuditEntry).where(col(AuditEntry.object_id) == str(hv.id)))).scalars().all()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert hv.labels == [] and hv.open is True and hv.last_reaction_at is None
    assert hv.external_keys["exchange"].startswith("a-")
    assert hv.created_at.tzinfo is not None and hv.updated_at >= hv.created_at
    assert [(h.status, h.door, h.vorige_status) for h in history] == [("TLV>voorlopige aanvraag", "systeem", None)]
    assert sorted(e.action for e in entries) == ["hulpvraag_aangemaakt", "hulpvraag_bijgewerkt"]
    created = next(e for e in entries if e.action == "hulpvraag_aangemaakt")
    assert created.details == {"exchange_id": first.exchange_id, "bijlagen": 2}
    assert created.at.tzinfo is not None and created.swv_code == "PO3008" and created.actor == "test"
