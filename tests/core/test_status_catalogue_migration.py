"""Migration 0002_i16_status_catalogue gives every SWV already in the database the handbook's statuses (those
it lacks) and the allowed steps, on SQLite and PostgreSQL; a fresh database gets them from seed_swv."""

from __future__ import annotations

from sqlalchemy import text

from gateway.components import Components
from gateway.store.migrate import upgrade
from gateway.store.status_seed import STATUS_FLOWS, transition_rows
from tests.support.schema import empty_database


async def test_an_existing_swv_gets_the_catalogue_and_its_steps(any_components: Components) -> None:
    db = any_components.db
    await empty_database(db)
    await upgrade(db, "0001")
    async with db.engine.begin() as conn:
        await conn.execute(text("INSERT INTO swv (code, naam) VALUES ('PO9999', 'Ander SWV')"))
        swv_id = (await conn.execute(text("SELECT id FROM swv WHERE code = 'PO9999'"))).scalar_one()
        await conn.execute(
            text("INSERT INTO status (swv_id, naam, afgesloten) VALUES (:s, 'Eigen status', false)"), {"s": swv_id}
        )
    await upgrade(db)
    async with db.engine.connect() as conn:
        names = {n for (n,) in (await conn.execute(text("SELECT naam FROM status WHERE swv_id = :s"), {"s": swv_id}))}
        count = text("SELECT count(*) FROM statusovergang WHERE swv_id = :s")
        steps = (await conn.execute(count, {"s": swv_id})).scalar_one()
    assert names == set(STATUS_FLOWS) | {"Eigen status"}  # its own status stays
    assert steps == len(transition_rows())
