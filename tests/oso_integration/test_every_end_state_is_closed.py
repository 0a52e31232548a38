"""Every end state of a notificatie ends the conversation with ParnasSys exactly once, and the Traffic Center
(simulator: every call recorded in order) shows what ParnasSys learns: processed, refused by the worker after
the acknowledgement, held then released, held then refused by the secretariaat in another process after a
restart, and given up after max attempts. A session the TC closed without us is not taken for delivered."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from adapters.parnassys.dossier_documents import DEFAULT_ATTACHMENTS, AttachmentSpec
from adapters.parnassys.simulator.las import PreparedDossier
from gateway.app import WORKERS, create_app
from gateway.components import build_components
from gateway.inbox.outbox import OutboxWorker
from gateway.store.models import Exchange, RemoteSession
from gateway.web.pages.actions import refuse_exchange, release_exchange
from tests.oso_integration.conftest import Oso

WITH_A_FORBIDDEN_BIJLAGE = PreparedDossier(
    factory_options={
        "attachments": (*DEFAULT_ATTACHMENTS, AttachmentSpec(role="overig", bestandsnaam="x.exe", kind="exe"))
    }
)


async def _exchange(oso: Oso) -> Exchange:
    async with oso.c.db.reader() as s:
        return (await s.exec(select(Exchange))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def _session_states(oso: Oso) -> list[str]:
    async with oso.c.db.reader() as s:
        rows = (await s.exec(select(RemoteSession).order_by(RemoteSession.id))).scalars().all()  # type: ignore[call-overload,arg-type]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    return [r.state for r in rows]


async def _process_until(oso: Oso, state: str, tries: int = 100) -> Exchange:
    for _ in range(tries):
        await oso.process()
        ex = await _exchange(oso)
        if ex.state == state:
            return ex
        await asyncio.sleep(0.05)
    raise AssertionError(f"exchange stayed {ex.state}: {ex.step}")


async def test_processed_one_session_closed_with_overdracht_geslaagd(oso: Oso) -> None:
    k = await oso.notify()
    await oso.process()
    assert await oso.deliver() == 1
    assert oso.world.tc.conversation(k) == [("overdracht", None), ("afmelding", "OverdrachtGeslaagd")]
    assert oso.world.tc.open_sessions() == [] and await _session_states(oso) == ["afgemeld"]
    assert await oso.deliver() == 0


async def test_refused_by_the_worker_after_the_acknowledgement_closes_its_session_with_dossier_ongeldig(
    oso: Oso,
) -> None:
    k = await oso.notify(behaviour="invalid")
    ex = await _process_until(oso, "geweigerd")
    assert "PaO.LL12" in [f["code"] for f in ex.findings]
    await oso.deliver()
    assert oso.world.tc.conversation(k) == [("overdracht", None), ("afmelding", "DossierOngeldig")]
    assert oso.world.tc.open_sessions() == []


async def test_refused_by_the_worker_before_any_session_is_told_over_a_session_opened_to_close_it(oso: Oso) -> None:
    k = await oso.notify(brin="21KL", kenmerk="0000000700021KL00500")  # no Kindkans mandate: refused in the worker
    await _process_until(oso, "geweigerd")
    await oso.deliver()
    assert oso.world.tc.conversation(k) == [("overdracht", None), ("afmelding", "AanvraagGeweigerd")]
    assert oso.world.tc.open_sessions() == []


async def test_held_then_released_reuses_the_session_and_closes_it_once(oso: Oso) -> None:
    k = await oso.notify(prepared=WITH_A_FORBIDDEN_BIJLAGE)
    ex = await _process_until(oso, "vastgehouden")
    assert await oso.deliver() == 0  # held: the session stays open while a person decides
    assert oso.world.tc.conversation(k) == [("overdracht", None)]
    assert ex.id is not None
    await release_exchange(oso.c, ex.id, actor="secretariaat", swv_code=oso.c.settings.swv_code)
    await _process_until(oso, "verwerkt")
    await oso.deliver()
    assert oso.world.tc.conversation(k) == [("overdracht", None), ("afmelding", "OverdrachtGeslaagd")]
    assert oso.world.tc.open_sessions() == []


async def test_held_then_refused_in_another_process_after_a_restart_closes_the_session(oso: Oso) -> None:
    k = await oso.notify(prepared=WITH_A_FORBIDDEN_BIJLAGE)
    ex = await _process_until(oso, "vastgehouden")
    other = build_components(oso.c.settings)  # a fresh process: nothing of the first one's memory
    create_app(other, run_workers=False)
    try:
        assert ex.id is not None
        await refuse_exchange(
            other, ex.id, "Dit bestandstype nemen we niet aan.", actor="secretariaat", swv_code=other.settings.swv_code
        )
        assert await OutboxWorker(other.db, other.deliverers, retry=other.retry).drain() == 1
    finally:
        await other.close()
    assert oso.world.tc.conversation(k) == [("overdracht", None), ("afmelding", "AanvraagGeweigerd")]
    assert oso.world.tc.open_sessions() == [] and await _session_states(oso) == ["afgemeld"]


async def test_held_then_refused_by_the_secretariaat_sends_the_afmelding_at_once_not_at_the_next_poll(
    oso: Oso,
) -> None:
    k = await oso.notify(prepared=WITH_A_FORBIDDEN_BIJLAGE)
    ex = await _process_until(oso, "vastgehouden")
    assert ex.id is not None
    outbox = OutboxWorker(oso.c.db, oso.c.deliverers, retry=oso.c.retry, poll_interval=60.0, concurrency=1)
    stop = asyncio.Event()
    loop = asyncio.create_task(outbox.run(stop))
    try:
        await asyncio.sleep(0.3)  # the loop found nothing and waits for a ring (or a minute)
        await refuse_exchange(
            oso.c, ex.id, "Dit bestandstype nemen we niet aan.", actor="secretariaat", swv_code=oso.c.settings.swv_code
        )
        for _ in range(100):  # at most 5 s, far below the poll interval
            if ("afmelding", "AanvraagGeweigerd") in oso.world.tc.conversation(k):
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        outbox.doorbell.ring()
        await asyncio.wait_for(loop, 10)
    assert oso.world.tc.conversation(k) == [("overdracht", None), ("afmelding", "AanvraagGeweigerd")]
    assert oso.world.tc.open_sessions() == []


async def test_given_up_after_max_attempts_closes_the_session_and_a_release_starts_a_new_one(oso: Oso) -> None:
    k = await oso.notify(behaviour="503")  # the school's LAS stays down
    oso.app[WORKERS].max_attempts = 1
    ex = await _process_until(oso, "vastgehouden")
    assert [f["code"] for f in ex.findings] == ["TE_VAAK_GEPROBEERD"]
    await oso.deliver()
    assert oso.world.tc.conversation(k) == [("overdracht", None), ("afmelding", "DossierNietGereed")]
    assert oso.world.tc.open_sessions() == []
    oso.world.las.behaviours[k] = "ok"
    oso.app[WORKERS].max_attempts = 25
    assert ex.id is not None
    await release_exchange(oso.c, ex.id, actor="secretariaat", swv_code=oso.c.settings.swv_code)
    await _process_until(oso, "verwerkt")
    await oso.deliver()
    assert oso.world.tc.conversation(k)[2:] == [("overdracht", None), ("afmelding", "OverdrachtGeslaagd")]
    assert oso.world.tc.open_sessions() == [] and await _session_states(oso) == ["afgemeld", "afgemeld"]


async def test_a_session_the_tc_closed_without_us_is_not_taken_for_delivered(oso: Oso) -> None:
    k = await oso.notify()
    await oso.process()
    [sessie] = oso.world.tc.sessions_of(k)
    oso.world.tc.expire(sessie)  # the TC closed it itself: our outcome never reached ParnasSys
    await oso.deliver()
    assert oso.world.tc.conversation(k) == [
        ("overdracht", None),
        ("afmelding", "OverdrachtGeslaagd"),  # answered SessieReedsAfgemeld: not ours
        ("overdracht", None),
        ("afmelding", "OverdrachtGeslaagd"),
    ]
    assert [r for kk, _, r in oso.world.tc.closed if kk == k] == ["OverdrachtGeslaagd"]
    assert await _session_states(oso) == ["verlopen", "afgemeld"]
