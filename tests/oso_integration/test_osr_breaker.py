"""The OSR keeps failing while notificaties come in: after a few failed requests the OSR's circuit opens, the
next exchanges wait without asking it, and the secretariaat sees them waiting for the OSR with the reason."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from adapters.osr.plugin import osr_parts
from adapters.parnassys.simulator.world import start_world
from gateway.app import create_app
from gateway.cli.serve import server_ssl_context
from gateway.components import Components
from gateway.outbound.guards import guard_samples
from gateway.store.models import Exchange
from gateway.web.pages.texts import state_label
from tests.oso_integration.conftest import Oso
from tests.support.served import served


@pytest.fixture
async def oso(components: Components, tmp_path: Path) -> AsyncIterator[Oso]:
    """The OSO world of conftest, with an OSR breaker that opens after two failed requests and stays open."""
    world = await start_world(tmp_path / "world")
    c = components
    sections = world.sections()
    sections["osr"] = {**sections["osr"], "failure_threshold": 2, "cool_down": 600}
    c.settings = c.settings.replace(sections=sections, **world.tls_settings())
    app = create_app(c, run_workers=False)
    try:
        async with served(app, ssl_context=server_ssl_context(c.settings)) as port:
            yield Oso(world, c, app, f"https://127.0.0.1:{port}/oso/swv")
    finally:
        await world.stop()


async def test_a_failing_osr_opens_its_circuit_and_the_queue_shows_the_wait(oso: Oso) -> None:
    for _ in range(3):
        await oso.notify()
    oso.world.osr.outage("503")
    await oso.process()
    async with oso.c.db.reader() as s:
        exchanges = list((await s.exec(select(Exchange).order_by(col(Exchange.id)))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec() overloads omit Core statements
    assert [ex.state for ex in exchanges] == ["wacht_op_herhaling"] * 3
    assert {ex.waiting_for for ex in exchanges} == {"osr"}
    assert oso.world.osr.count("/mandates") == 4, "two requests of two attempts; the third exchange did not ask"
    third = exchanges[-1]
    # what the secretariaat reads in the queue: the same for an exchange whose request failed and for one the
    # open circuit stopped (no cached mandate answer to fall back on: the exchange waits)
    assert {ex.last_error for ex in exchanges} == {
        "Het OSR is niet bereikbaar en er is geen recent genoeg antwoord over de mandaten bewaard; "
        "de uitwisseling wacht."
    }
    assert state_label(third).startswith("Wacht op het OSR — volgende poging")
    assert third.step is not None and third.step.startswith("Wacht op het OSR; volgende poging om")
    # and on /metrics
    osr, _ = osr_parts(oso.c)
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for s in guard_samples([osr.guards])}
    assert samples[("gateway_outbound_circuit_opened_total", (("system", "osr"),))] == 1
    assert samples[("gateway_outbound_calls_total", (("result", "blocked"), ("system", "osr")))] == 1
