"""A burst of first requests with a code not yet verified costs one scrypt hash, not one per request."""

from __future__ import annotations

import asyncio

import pytest

from gateway.components import Components
from gateway.registry import code_lookup
from gateway.registry.codes import CodeCache, activate, register, verify


async def test_concurrent_first_requests_with_one_code_share_one_hash(
    components: Components, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = "27ZX00-een-eigen-verificatiecode"
    view = await register(components.db, "27ZX00", "productie", code, "school")
    await activate(components.db, view.id, "secretariaat")
    calls = 0
    real = code_lookup.verify_code

    def counting(presented: str, encoded: str) -> bool:
        nonlocal calls
        calls += 1
        return real(presented, encoded)

    monkeypatch.setattr(code_lookup, "verify_code", counting)
    cache = CodeCache()
    senders = await asyncio.gather(*(verify(components.db, code, cache=cache) for _ in range(12)))
    assert all(s is not None and s.brin6 == "27ZX00" for s in senders)
    assert calls == 1


async def test_at_most_two_hashes_run_at_once(components: Components, monkeypatch: pytest.MonkeyPatch) -> None:
    running = peak = 0
    real = code_lookup.verify_code

    def watching(presented: str, encoded: str) -> bool:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        try:
            return real(presented, encoded)
        finally:
            running -= 1

    for i in range(3):  # one code per environment, active (a vestiging has at most one waiting code)
        view = await register(components.db, "27ZX00", f"omgeving-{i}", f"27ZX00-code-nummer-{i}-xxxxxxxx", "school")
        await activate(components.db, view.id, "secretariaat")
    monkeypatch.setattr(code_lookup, "verify_code", watching)
    # different unknown codes: no single-flight, each hashes every candidate
    await asyncio.gather(*(verify(components.db, f"27ZX00-onbekend-{i}-xxxxxxxxxx") for i in range(6)))
    assert 1 <= peak <= code_lookup.MAX_PARALLEL_HASHES
