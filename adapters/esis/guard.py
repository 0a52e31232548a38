"""Brute-force protection for verification codes: per client IP, bad codes are first slowed down, then the
client is locked out for a while.

In memory, per process (ASSUMPTION, docs/assumptions/esis.md): with N gateway processes an attacker gets at
most N times the budget; a lockout does not survive a restart. Failures are not reset by a success, so a
client holding one valid code cannot use it to keep guessing other schools' codes.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["BruteForceGuard", "GuardState"]


@dataclass
class GuardState:
    failures: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0


class BruteForceGuard:
    def __init__(
        self,
        *,
        window: float,
        slow_after: int,
        delay_step: float,
        max_delay: float,
        lock_after: int,
        lock_seconds: float,
        max_clients: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window, self.slow_after, self.delay_step, self.max_delay = window, slow_after, delay_step, max_delay
        self.lock_after, self.lock_seconds, self.max_clients = lock_after, lock_seconds, max_clients
        self._clock = clock
        self._clients: dict[str, GuardState] = {}

    def _state(self, client: str) -> GuardState:
        now = self._clock()
        st = self._clients.get(client)
        if st is None:
            if len(self._clients) >= self.max_clients:
                self._prune(now)
            st = self._clients[client] = GuardState()
        while st.failures and st.failures[0] < now - self.window:
            st.failures.popleft()
        return st

    def _prune(self, now: float) -> None:
        for key in [k for k, s in self._clients.items() if s.locked_until < now and not s.failures]:
            del self._clients[key]
        if len(self._clients) >= self.max_clients:  # still full: forget the oldest half
            for key in list(self._clients)[: self.max_clients // 2]:
                del self._clients[key]

    def locked_for(self, client: str) -> float:
        """Seconds this client is still locked out (0: not locked)."""
        st = self._clients.get(client)
        if st is None:
            return 0.0
        return max(0.0, st.locked_until - self._clock())

    def delay(self, client: str) -> float:
        """How long to hold back the answer to this client (grows with its recent failures)."""
        st = self._clients.get(client)
        if st is None:
            return 0.0
        extra = len(self._state(client).failures) - self.slow_after
        return min(self.max_delay, extra * self.delay_step) if extra > 0 else 0.0

    def failure(self, client: str) -> bool:
        """Record a bad code. True when this failure locks the client out (log and audit it once)."""
        now = self._clock()
        st = self._state(client)
        st.failures.append(now)
        if len(st.failures) >= self.lock_after and st.locked_until <= now:
            st.locked_until = now + self.lock_seconds
            st.failures.clear()
            return True
        return False

    def count(self, client: str) -> int:
        return len(self._state(client).failures) if client in self._clients else 0
