"""The afmelding deliverer closes exactly one session per message, with the message's resultaat: a retry after
a lost reply is not sent over a new session, a second message finds nothing left to close, and the sweeper's
message closes only the session it names."""

from __future__ import annotations

import pytest

from adapters.parnassys.client import RemoteFault
from adapters.parnassys.handler import AfmeldingDeliverer
from adapters.parnassys.sessions import MemorySessions
from gateway.errors import Refusal
from gateway.pipeline.contracts import OutboundMessage
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


async def test_a_retry_after_a_lost_reply_counts_the_already_closed_session_as_delivered() -> None:
    tc, sessions = StubTc(lose=1), MemorySessions()
    await sessions.opened(1, "k1", "sessie-0")
    deliverer = AfmeldingDeliverer(tc, sessions)  # type: ignore[arg-type]  # test doubles for the Traffic Center client and session store
    with pytest.raises(ConnectionError):
        await deliverer.deliver(_afmelding())
    await deliverer.deliver(_afmelding())  # the outbox retries: SessieReedsAfgemeld, and we sent it
    assert tc.calls == [("afmelding", "sessie-0"), ("afmelding", "sessie-0")]
    assert tc.closed == {"sessie-0": "OverdrachtGeslaagd"}
    assert sessions.rows["sessie-0"].state == "afgemeld"


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
