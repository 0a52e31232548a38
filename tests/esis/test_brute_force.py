"""Repeated bad codes from one client are slowed down and then locked out, visibly for the secretariaat."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from adapters.esis.guard import BruteForceGuard
from gateway.store.models import AuditEntry
from tests.esis.conftest import CODE, Gateway


@pytest.fixture
def esis_section() -> dict[str, object]:
    return {"delay_step_seconds": 0.0, "lock_after": 4, "lock_seconds": 600}


async def test_client_is_locked_out_after_repeated_bad_codes_even_with_a_good_one(gateway: Gateway) -> None:
    async with gateway.esis("27ZX00-geraden-code-0001") as bad:
        answers = [await bad.status("ESIS-1") for _ in range(4)]
        locked = await bad.status("ESIS-1")
    assert [a.status for a in answers] == [401, 401, 401, 401]
    assert locked.status == 429 and locked.code == "ESIS_TE_VEEL_POGINGEN"
    assert int(locked.headers["Retry-After"]) > 500
    async with gateway.esis(CODE) as good:  # same client address: locked regardless of the code
        assert (await good.status("ESIS-1")).status == 429
    async with gateway.c.db.reader() as s:
        [entry] = list(
            (await s.exec(select(AuditEntry).where(AuditEntry.action == "esis_client_geblokkeerd"))).scalars()
        )
    assert entry.object_id == "127.0.0.1" and entry.details["reden"] == "ESIS_VERIFICATIECODE_ONBEKEND"


def test_guard_slows_down_before_it_locks_out() -> None:
    now = [0.0]
    guard = BruteForceGuard(
        window=60, slow_after=2, delay_step=0.5, max_delay=1.2, lock_after=6, lock_seconds=300, clock=lambda: now[0]
    )
    delays = []
    for _ in range(5):
        delays.append(guard.delay("10.0.0.1"))
        assert guard.failure("10.0.0.1") is False
    assert delays == [0.0, 0.0, 0.0, 0.5, 1.0]
    assert guard.delay("10.0.0.1") == 1.2  # capped
    assert guard.failure("10.0.0.1") is True  # the 6th locks, once
    assert guard.locked_for("10.0.0.1") == 300
    assert guard.locked_for("10.0.0.2") == 0  # per client
    now[0] += 301
    assert guard.locked_for("10.0.0.1") == 0


def test_old_failures_are_forgotten_after_the_window() -> None:
    now = [0.0]
    guard = BruteForceGuard(
        window=60, slow_after=1, delay_step=1, max_delay=5, lock_after=3, lock_seconds=300, clock=lambda: now[0]
    )
    guard.failure("c")
    guard.failure("c")
    now[0] += 61
    assert guard.failure("c") is False and guard.count("c") == 1
