"""The afmelding deliverer closes exactly one session per message, with the message's resultaat: a retry after
a lost reply is not sent over a new session, a second message finds nothing left to close, and the sweeper's
message closes only the session it names."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine, event, select
from sqlmodel import col

from adapters.parnassys.client import RemoteFault
from adapters.parnassys.handler import AfmeldingDeliverer
from adapters.parnassys.sessions import MemorySessions, SessionStore, StoredSessions
from gateway.components import Components
from gateway.errors import Refusal
from gateway.pipeline.contracts import OutboundMessage
from gateway.settings import Settings
from gateway.store.models import RemoteSession
from tests.conftest import seeded_components, unique
from tests.support.db_calls import units_of
from tests.support.fakes import new_exchange
from verification.findings import fout


class StubTc:
    """A Traffic Center that loses the reply of the first ``lose`` afmeldingen (the session is closed all the
    same) and records every call."""

    def __init__(self, lose: int = 0) -> None:
        self.lose, self.calls, self.closed = lose, list[tuple[str, str]](), dict[str, str]()
        self.opened = 0

    async def overdracht(self, koppelsleutel: str) -> str:
        self.opened += 1
        self.calls.append(("overdracht", koppelsleutel))
        return f"sessie-{self.opened}"

    async def afmelding(self, sessie: str, koppelsleutel: str, resultaat: str, toelichting: str | None) -> None:
        self.calls.append(("afmelding", sessie))
        if sessie in self.closed:
            raise RemoteFault("Traffic Center", [fout("SessieReedsAfgemeld", "De sessie is al afgemeld.")])
        self.closed[sessie] = resultaat
        if self.lose:
            self.lose -= 1
            raise ConnectionError("reply lost")


def _afmelding(key: str = "m1", resultaat: str = "OverdrachtGeslaagd", **payload: object) -> OutboundMessage:
    return OutboundMessage(
        kind="oso_afmelding",
        key=key,
        payload={"exchange_id": 1, "koppelsleutel": "k1", "resultaat": resultaat, **payload},
    )


async def _deliver(deliverer: AfmeldingDeliverer, message: OutboundMessage, sessions: SessionStore) -> None:
    """As the outbox delivers: the call, then what the deliverer left for the unit that records the delivery."""
    settle = await deliverer.deliver(message)
    if settle is not None:
        assert isinstance(sessions, StoredSessions)
        await sessions.db.run(settle, durable=False)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[tuple[SessionStore, int]]:
    """A session store — in memory, or the database's on SQLite and PostgreSQL — and an exchange of it."""
    if request.param == "memory":
        yield MemorySessions(), 1
        return
    if request.param == "postgres":
        settings = settings.replace(database_url=request.getfixturevalue("postgres_url"))
    async with seeded_components(settings) as c:
        put = await c.inbox.put(new_exchange(unique("afm-")))
        yield StoredSessions(c.db), put.exchange_id


async def test_a_retry_after_a_lost_reply_counts_the_already_closed_session_as_delivered(
    store: tuple[SessionStore, int],
) -> None:
    (sessions, exchange_id), tc = store, StubTc(lose=1)
    await sessions.opened(exchange_id, "k1", "sessie-0")
    deliverer = AfmeldingDeliverer(tc, sessions)  # type: ignore[arg-type]  # a test double for the Traffic Center client
    with pytest.raises(ConnectionError):
        await deliverer.deliver(_afmelding(exchange_id=exchange_id))
    # the outbox retries: SessieReedsAfgemeld, and we sent it
    await _deliver(deliverer, _afmelding(exchange_id=exchange_id), sessions)
    assert tc.calls == [("afmelding", "sessie-0"), ("afmelding", "sessie-0")]
    assert tc.closed == {"sessie-0": "OverdrachtGeslaagd"}
    assert await sessions.open_for(exchange_id) is None
    assert await _state(sessions, "sessie-0") == "afgemeld"


async def _state(sessions: SessionStore, sessie: str) -> str:
    if isinstance(sessions, MemorySessions):
        return sessions.rows[sessie].state
    assert isinstance(sessions, StoredSessions)
    query = select(col(RemoteSession.state)).where(col(RemoteSession.session_id) == sessie)
    return str(await sessions.db.read(lambda s: s.execute(query).scalar_one()))


async def test_a_closed_session_is_stored_with_the_record_of_the_delivery_and_a_crash_before_it_sends_once_more(
    store: tuple[SessionStore, int],
) -> None:
    (sessions, exchange_id), tc = store, StubTc()
    await sessions.opened(exchange_id, "k1", "sessie-0")
    deliverer = AfmeldingDeliverer(tc, sessions)  # type: ignore[arg-type]  # a test double for the Traffic Center client
    settle = await deliverer.deliver(_afmelding(exchange_id=exchange_id))
    if isinstance(sessions, MemorySessions):
        assert settle is None and await _state(sessions, "sessie-0") == "afgemeld"  # no record to wait for
        return
    assert settle is not None and await _state(sessions, "sessie-0") == "afmelden"  # not stored before the record
    # the process died before the outbox recorded the delivery: the message is delivered again, the TC answers
    # SessieReedsAfgemeld to the call we counted, and that is our own afmelding: closed, no new session
    await _deliver(deliverer, _afmelding(exchange_id=exchange_id), sessions)
    assert tc.calls == [("afmelding", "sessie-0"), ("afmelding", "sessie-0")] and tc.opened == 0
    assert await _state(sessions, "sessie-0") == "afgemeld"


async def test_claiming_the_session_counts_the_closing_call_in_the_same_unit_of_work(
    any_components: Components, monkeypatch: pytest.MonkeyPatch
) -> None:
    c, tc = any_components, StubTc()
    sessions = StoredSessions(c.db)
    put = await c.inbox.put(new_exchange(unique("afm-")))
    await sessions.opened(put.exchange_id, "k1", "sessie-0")
    units = units_of(c.db, monkeypatch)

    settle = await AfmeldingDeliverer(tc, sessions).deliver(_afmelding(exchange_id=put.exchange_id))  # type: ignore[arg-type]  # a test double for the Traffic Center client

    assert len(units) == 1  # the claim with the call's count, before the call; the answer goes with the record
    assert settle is not None
    await c.db.run(settle, durable=False)  # as the outbox's record of the delivery runs it
    attempts = await c.db.read(
        lambda s: s.execute(select(col(RemoteSession.close_attempts), col(RemoteSession.state))).one()
    )
    assert tuple(attempts) == (1, "afgemeld")


async def test_the_common_claim_is_one_statement_and_of_messages_racing_for_one_session_one_claims_it(
    any_components: Components,
) -> None:
    c = any_components
    sessions = StoredSessions(c.db)
    put = await c.inbox.put(new_exchange(unique("afm-")))
    await sessions.opened(put.exchange_id, "k1", "sessie-0")
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "remote_session" in statement:
            statements.append(statement.split()[0])

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        claims = await asyncio.gather(
            *(
                sessions.claim_close(close_key=f"m{i}", resultaat="OverdrachtGeslaagd", exchange_id=put.exchange_id,
                                     sessie_id=None)
                for i in range(6)
            )
        )  # fmt: skip
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert [cl.sessie for cl in claims].count("sessie-0") == 1 and [cl.sessie for cl in claims].count(None) == 5
    assert next(cl for cl in claims if cl.sessie).calls_before == 0
    # the winner's claim: one UPDATE; the others each found nothing open in it and looked further
    assert statements.count("UPDATE") == 6 and len(statements) == 1 + 5 * 3, statements


async def test_a_second_message_for_the_same_exchange_finds_nothing_left_and_a_repeat_sends_nothing() -> None:
    tc, sessions = StubTc(), MemorySessions()
    await sessions.opened(1, "k1", "sessie-0")
    deliverer = AfmeldingDeliverer(tc, sessions)  # type: ignore[arg-type]  # test doubles for the Traffic Center client and session store
    await deliverer.deliver(_afmelding())
    await deliverer.deliver(_afmelding())  # delivered again (a crash before the outbox recorded it)
    assert tc.calls == [("afmelding", "sessie-0")]


async def test_the_sweepers_message_closes_only_the_session_it_names() -> None:
    tc, sessions = StubTc(), MemorySessions()
    await sessions.opened(1, "k1", "sessie-0")
    deliverer = AfmeldingDeliverer(tc, sessions)  # type: ignore[arg-type]  # test doubles for the Traffic Center client and session store
    await deliverer.deliver(_afmelding("sweep-1", "DossierNietGereed", sessieId="sessie-0"))
    await deliverer.deliver(_afmelding("sweep-2", "DossierNietGereed", sessieId="sessie-0"))  # closed meanwhile
    assert tc.calls == [("afmelding", "sessie-0")] and tc.closed == {"sessie-0": "DossierNietGereed"}


async def test_a_tc_that_keeps_closing_our_sessions_gives_a_finding_instead_of_a_loop() -> None:
    class ClosesEverything(StubTc):
        async def afmelding(self, sessie: str, koppelsleutel: str, resultaat: str, toelichting: str | None) -> None:
            self.calls.append(("afmelding", sessie))
            raise RemoteFault("Traffic Center", [fout("SessieReedsAfgemeld", "De sessie is al afgemeld.")])

    tc, sessions = ClosesEverything(), MemorySessions()
    await sessions.opened(1, "k1", "sessie-0")
    with pytest.raises(Refusal) as info:
        await AfmeldingDeliverer(tc, sessions).deliver(_afmelding())  # type: ignore[arg-type]  # test doubles for the Traffic Center client and session store
    assert info.value.first.code == "OSO_AFMELDING_NIET_AFGELEVERD"
    assert [op for op, _ in tc.calls] == ["afmelding", "overdracht", "afmelding"]
