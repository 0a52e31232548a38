"""After the outcome: the terugkoppeling of a status change reaches the LAS once; a TC session opened by an
attempt that did not finish is reused and closed by the afmelding."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from gateway.pipeline.status import change_status
from gateway.store.models import Exchange, Hulpvraag, OutboxMessage
from tests.oso_integration.conftest import Oso


async def test_a_status_change_reaches_the_las_once(oso: Oso) -> None:
    koppelsleutel = await oso.notify()
    await oso.process()
    await oso.deliver()
    async with oso.c.db.reader() as s:
        hv = (await s.exec(select(Hulpvraag))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    await change_status(
        oso.c.db,
        hv.id,
        "Ondersteuningsaanvraag>plannen",
        actor="secretariaat",
        hooks=oso.c.status_hooks,
        toelichting="Ingepland",
    )
    assert await oso.deliver() == 1
    assert await oso.deliver() == 0
    [sent] = oso.world.las.terugkoppelingen
    assert sent["koppelsleutel"] == koppelsleutel and sent["status"] == "Ondersteuningsaanvraag>plannen"
    assert sent["toelichting"] == "Ingepland"
    async with oso.c.db.reader() as s:
        states = [m.state for m in (await s.exec(select(OutboxMessage))).scalars()]  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert states == ["verzonden", "verzonden"]


async def test_a_session_opened_before_a_crash_is_reused_and_closed(oso: Oso) -> None:
    koppelsleutel = await oso.notify(behaviour="503")
    await oso.process()  # session opened, then the LAS is down: waits
    # nothing of the session is kept in the process: the next attempt finds it in the remote_session row
    [sessie] = list(oso.world.tc.sessies)
    oso.world.las.behaviours[koppelsleutel] = "ok"
    for _ in range(50):
        if await oso.process():
            break
        await asyncio.sleep(0.05)
    async with oso.c.db.reader() as s:
        ex = (await s.exec(select(Exchange))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    assert ex.state == "verwerkt"
    assert list(oso.world.tc.sessies) == [sessie]
    await oso.deliver()
    assert oso.world.tc.afmeldingen() == {koppelsleutel: "OverdrachtGeslaagd"}


async def test_every_koppelsleutel_merged_into_one_hulpvraag_hears_each_status_change(oso: Oso) -> None:
    sent = [await oso.notify() for _ in range(3)]  # the same pupil, vestiging and aanvraagtype: one request
    await oso.process()
    await oso.deliver()
    async with oso.c.db.reader() as s:
        hv = (await s.exec(select(Hulpvraag))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    await change_status(  # an allowed step
        oso.c.db, hv.id, "Ondersteuningsaanvraag>plannen", actor="secretariaat", hooks=oso.c.status_hooks
    )
    assert await oso.deliver() == 3
    told = [t["koppelsleutel"] for t in oso.world.las.terugkoppelingen]
    assert sorted(told) == sorted(sent)
    assert {t["status"] for t in oso.world.las.terugkoppelingen} == {"Ondersteuningsaanvraag>plannen"}
