"""The replay window's sighting is written in the transaction that stores the notificatie (issue 18: one
transaction per notificatie instead of two): a replay is still refused with WSA_MESSAGEID_HERHAALD and stores
nothing, a sighting is kept exactly when what it belongs to is stored, and a notificatie whose storing failed
can be sent again with the same MessageID."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from gateway.inbox.inbox import Inbox
from gateway.store.models import Exchange, SeenMessage
from tests.hostile.soap_build import _post, envelope
from tests.hostile.targets import Running
from tests.hostile.wire import HttpResult
from tests.support.db_calls import units_of


async def _count(gateway: Running, model: type) -> int:
    async with gateway.c.db.reader() as s:
        return int((await s.exec(select(func.count()).select_from(model))).scalar_one())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements


async def _send(gateway: Running, body: bytes) -> HttpResult:
    return await gateway.send(_post(body, cert="topicus"))


def _signed(gateway: Running, message_id: str, kenmerk: str = "0000000700014SS00500") -> bytes:
    return envelope(gateway.pki, sender="topicus", sign="topicus", message_id=message_id, bronRouteringsKenmerk=kenmerk)


async def test_an_accepted_notificatie_is_one_transaction_with_its_sighting(
    gateway: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    units = units_of(gateway.c.db, monkeypatch)
    message_id = f"urn:uuid:{uuid.uuid4()}"
    first = await _send(gateway, _signed(gateway, message_id))
    assert first.status == 200, first.body[:300]
    assert len(units) == 1, units
    assert await _count(gateway, SeenMessage) == 1 and await _count(gateway, Exchange) == 1

    again = await _send(gateway, _signed(gateway, message_id))
    assert again.status == 500 and b"WSA_MESSAGEID_HERHAALD" in again.body
    assert await _count(gateway, Exchange) == 1


async def test_a_replay_of_a_refused_notificatie_is_refused_as_a_replay_and_stores_nothing_more(
    gateway: Running,
) -> None:
    message_id = f"urn:uuid:{uuid.uuid4()}"
    unknown = "0000000700014SS00999"  # a vestiging the registry does not know
    first = await _send(gateway, _signed(gateway, message_id, unknown))
    assert first.status == 500 and b"WSA_MESSAGEID_HERHAALD" not in first.body
    assert await _count(gateway, Exchange) == 1 and await _count(gateway, SeenMessage) == 1
    again = await _send(gateway, _signed(gateway, message_id, unknown))
    assert b"WSA_MESSAGEID_HERHAALD" in again.body
    assert await _count(gateway, Exchange) == 1


async def test_a_notificatie_whose_storing_failed_may_be_sent_again_with_the_same_message_id(
    gateway: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_put = Inbox.put
    failures = [RuntimeError("database onbereikbaar")]

    async def put(self: Inbox, new: Any, **kw: Any) -> Any:
        first = kw.get("first")

        def fail_after_first(s: Any) -> None:
            assert first is not None
            first(s)  # the sighting is written ...
            raise failures.pop()  # ... and the transaction fails after it

        if failures:
            return await real_put(self, new, first=fail_after_first)
        return await real_put(self, new, **kw)

    monkeypatch.setattr(Inbox, "put", put)
    message_id = f"urn:uuid:{uuid.uuid4()}"
    body = _signed(gateway, message_id)
    failed = await _send(gateway, body)
    assert failed.status == 503 and b"INTAKE_TIJDELIJK_NIET_BESCHIKBAAR" in failed.body
    assert await _count(gateway, SeenMessage) == 0, "the sighting outlived the write it belonged to"
    retried = await _send(gateway, body)
    assert retried.status == 200, retried.body[:300]
    assert await _count(gateway, Exchange) == 1
