"""The sweeper closes Traffic Center sessions open longer than the bound, once, with the resultaat that fits the
exchange, leaves alone sessions whose afmelding is on its way, and reports the open sessions on /metrics."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select
from sqlmodel import col

from adapters.parnassys.sweeper import SessionSweeper
from gateway.store.models import Exchange
from tests.oso_integration.conftest import Oso
from tests.oso_integration.test_every_end_state_is_closed import WITH_A_FORBIDDEN_BIJLAGE


def _sweeper(oso: Oso, max_open: dt.timedelta) -> SessionSweeper:
    sweeper = oso.c.extras["oso_session_sweeper"]
    assert isinstance(sweeper, SessionSweeper)
    sweeper.max_open = max_open
    return sweeper


async def _held(oso: Oso) -> str:
    k = await oso.notify(prepared=WITH_A_FORBIDDEN_BIJLAGE)
    for _ in range(50):
        await oso.process()
        async with oso.c.db.reader() as s:
            state = (await s.exec(select(col(Exchange.state)))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        if state == "vastgehouden":
            return k
        await asyncio.sleep(0.05)
    raise AssertionError(state)


async def test_a_session_held_longer_than_the_bound_is_closed_once_with_dossier_niet_gereed(oso: Oso) -> None:
    k = await _held(oso)
    sweeper = _sweeper(oso, dt.timedelta(hours=24))
    assert await sweeper.sweep() == 0  # younger than the bound
    assert [s.name for s in sweeper.samples()] == ["gateway_tc_sessions_open"]
    assert sweeper.samples()[0].value == 1
    sweeper.max_open = dt.timedelta(0)
    assert await sweeper.sweep() == 1
    assert await sweeper.sweep() == 0  # its afmelding is on its way: written once
    await oso.deliver()
    assert oso.world.tc.conversation(k) == [("overdracht", None), ("afmelding", "DossierNietGereed")]
    await sweeper.sweep()
    assert sweeper.samples()[0].value == 0 and oso.world.tc.open_sessions() == []


async def test_a_session_whose_afmelding_is_waiting_in_the_outbox_is_left_to_it(oso: Oso) -> None:
    k = await oso.notify()
    await oso.process()  # processed: its afmelding waits in the outbox (the TC may be down)
    sweeper = _sweeper(oso, dt.timedelta(0))
    assert await sweeper.sweep() == 0
    await oso.deliver()
    assert oso.world.tc.conversation(k) == [("overdracht", None), ("afmelding", "OverdrachtGeslaagd")]


async def test_the_open_sessions_are_on_the_metrics_page(oso: Oso) -> None:
    await _held(oso)
    await _sweeper(oso, dt.timedelta(hours=1)).sweep()
    from gateway.web.metrics import collect

    text = await collect(oso.c.db, 10, oso.c.metric_sources)
    [line] = [x for x in text.splitlines() if x.startswith("gateway_tc_sessions_open{")]
    assert line.endswith(" 1")
