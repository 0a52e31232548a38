"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlmodel import SQLModel

from gateway.components import Components
from gateway.store.migrate import upgrade
from gateway.store.types import utcnow
from tests.support.schema import empty_database


async def test_migrations_match_the_models(any_components: Components) -> None:
    db = any_components.db
    await empty_database(db)
    await upgrade(db)
    await upgrade(db)  # a second run changes nothing

    def diff(sync_conn: Connection) -> list[object]:
        ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, SQLModel.metadata))

    async with db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []


async def test_the_sessions_of_unfinished_exchanges_are_carried_over_from_their_steps(
    any_components: Components,
) -> None:
    db = any_components.db
    await empty_database(db)
    await upgrade(db, "0001")
    sentence = "Afzender in orde (mandaten, vestiging, routeringskenmerk); sessie {} geopend bij het Traffic Center."
    async with db.engine.begin() as conn:
        for i, state in enumerate(("vastgehouden", "wacht_op_herhaling", "verwerkt"), start=1):
            await conn.execute(
                text(
                    "INSERT INTO exchange (id, key, source, kind, swv_code, correlation_id, meta, state, attempts, "
                    "next_attempt_at, findings, received_at, payload_purged) VALUES (:id, :key, 'parnassys', "
                    "'oso_notificatie', 'PO3008', 'c', :meta, :state, 1, :now, '[]', :now, false)"
                ),
                {"id": i, "key": f"oso:k{i}", "meta": f'{{"koppelsleutel": "k{i}"}}', "state": state, "now": utcnow()},
            )
            for n in (1, 2):  # the newest step names the session in use
                await conn.execute(
                    text(
                        "INSERT INTO exchange_event (exchange_id, at, step, message, findings) "
                        "VALUES (:id, :now, 'sessie_geopend', :message, '[]')"
                    ),
                    {"id": i, "now": utcnow(), "message": sentence.format(f"s{i}-{n}")},
                )
    await upgrade(db)
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT exchange_id, session_id, subject, state FROM remote_session"))).all()
    assert sorted(tuple(r) for r in rows) == [(1, "s1-2", "k1", "open"), (2, "s2-2", "k2", "open")]


async def test_the_esis_request_keys_are_carried_over_into_the_opaque_request_key(any_components: Components) -> None:
    db = any_components.db
    await empty_database(db)
    await upgrade(db, "0002_i16_status_catalogue")
    async with db.engine.begin() as conn:
        await conn.execute(text("INSERT INTO swv (id, code, naam) VALUES (1, 'PO3008', 'SWV')"))
        await conn.execute(text("INSERT INTO school (id, swv_id, brin4, naam) VALUES (1, 1, '27ZX', 'School')"))
        await conn.execute(
            text(
                "INSERT INTO vestiging (id, swv_id, school_id, brin6, naam, gemeente, actief) "
                "VALUES (1, 1, 1, '27ZX00', 'Vestiging', 'Utrecht', true)"
            )
        )
        for i, (source, key) in enumerate((("esis", "27ZX00/eenbes:A-1"), ("parnassys", None)), start=1):
            await conn.execute(
                text(
                    "INSERT INTO hulpvraag (id, swv_id, vestiging_id, brin6, status, source_system, external_keys, "
                    "esis_request_key, labels, contact, findings, open, created_at, updated_at) VALUES (:id, 1, 1, "
                    "'27ZX00', 'Nieuw', :source, '{}', :key, '[]', '{}', '[]', true, :now, :now)"
                ),
                {"id": i, "source": source, "key": key, "now": utcnow()},
            )
    await upgrade(db)
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT id, source_system, request_key FROM hulpvraag ORDER BY id"))).all()
    assert [tuple(r) for r in rows] == [(1, "esis", "27ZX00/eenbes:A-1"), (2, "parnassys", None)]
