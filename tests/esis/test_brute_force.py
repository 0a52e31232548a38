"""Repeated bad codes from one client are slowed down and then locked out, visibly for the secretariaat."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import col

from adapters.esis.guard import BruteForceGuard
from gateway.store.models import AuditEntry
from tests.esis.conftest import CODE, OTHER_CODE, Gateway


@pytest.fixture
def esis_section() -> dict[str, object]:
    return {"delay_step_seconds": 0.0, "lock_after": 4, "lock_seconds": 600}


async def test_a_vestiging_is_locked_out_after_repeated_bad_codes_even_with_a_good_one(gateway: Gateway) -> None:
    async with gateway.esis("27ZX00-geraden-code-0001") as bad:
        answers = [await bad.status("ESIS-1") for _ in range(4)]
        locked = await bad.status("ESIS-1")
    assert [a.status for a in answers] == [401, 401, 401, 401]
    assert locked.status == 429 and locked.code == "ESIS_TE_VEEL_POGINGEN"
    assert int(locked.headers["Retry-After"]) > 500
    async with gateway.esis(CODE) as good:  # same vestiging, same address: locked regardless of the code
        assert (await good.status("ESIS-1")).status == 429
    async with gateway.c.db.reader() as s:
        [entry] = list(
            (await s.exec(select(AuditEntry).where(col(AuditEntry.action) == "esis_client_geblokkeerd"))).scalars()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        )
    assert entry.object_id == "27ZX00@127.0.0.1" and entry.details["reden"] == "ESIS_VERIFICATIECODE_ONBEKEND"
    assert entry.details["vestiging"] == "27ZX00" and entry.details["client"] == "127.0.0.1"


async def test_one_schools_mistyped_code_never_locks_out_another_school_on_the_same_address(gateway: Gateway) -> None:
    async with gateway.esis("27ZX00-verkeerd-getypt-01") as typo:
        for _ in range(6):
            await typo.status("ESIS-1")
        assert (await typo.status("ESIS-1")).status == 429
    async with gateway.esis(OTHER_CODE) as other:  # 09QA00, from the same (shared ESIS) address
        answer = await other.status("ESIS-1")
    assert answer.status != 429 and answer.code != "ESIS_TE_VEEL_POGINGEN"


@pytest.mark.parametrize("esis_section", [{"delay_step_seconds": 0.0, "lock_after": 4, "ip_lock_after": 6}])
async def test_one_address_spraying_guesses_over_many_vestigingen_is_locked_out(gateway: Gateway) -> None:
    statuses = []
    for n in range(7):
        async with gateway.esis(f"{n:02d}AB00-gegokte-code-000001") as guess:
            statuses.append((await guess.status("ESIS-1")).status)
    assert statuses[:6] == [401] * 6 and statuses[6] == 429
    async with gateway.esis(OTHER_CODE) as other:  # now the address itself is locked, for every vestiging
        assert (await other.status("ESIS-1")).status == 429


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
