"""A bulkhead: at most ``max_concurrent`` calls in flight to one outside endpoint at a time.

A call that gets no slot within ``slot_wait`` seconds is not queued behind calls that may hang for their whole
read timeout: `take` says no, and the caller hands the wait to the queue (`Transient`) so its worker takes
other work. One slot pool (an `asyncio.Semaphore`) per key, e.g. per endpoint URL; pools belong to the
running event loop (the CLI may run several loops in turn) and idle ones are forgotten beyond a bound.
"""

from __future__ import annotations

import asyncio

__all__ = ["Bulkhead"]

_MAX_KEYS = 10_000  # bounded memory: idle pools are forgotten beyond this


class Bulkhead:
    """Slots per key. ``max_concurrent`` 0: no limit (`slots` is None and `take` always succeeds)."""

    def __init__(self, max_concurrent: int, slot_wait: float) -> None:
        self.max_concurrent = max_concurrent
        self.slot_wait = slot_wait
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def limited(self) -> bool:
        return self.max_concurrent > 0

    def slots(self, key: str) -> asyncio.Semaphore | None:
        """The slot pool of ``key`` (None: no limit). Call from within the event loop."""
        if not self.limited:
            return None
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a semaphore belongs to one event loop
            self._loop, self._slots = loop, {}
        found = self._slots.get(key)
        if found is None:
            if len(self._slots) >= _MAX_KEYS:
                self._slots = {k: s for k, s in self._slots.items() if self._taken(s)}
            found = self._slots[key] = asyncio.Semaphore(self.max_concurrent)
        return found

    async def take(self, slots: asyncio.Semaphore) -> bool:
        """Take a slot: at once when one is free, else within ``slot_wait`` seconds; False when none came."""
        if not slots.locked():
            await slots.acquire()  # free: does not wait
            return True
        if self.slot_wait <= 0:
            return False
        try:
            await asyncio.wait_for(slots.acquire(), self.slot_wait)
        except TimeoutError:
            return False
        return True

    def in_use(self) -> dict[str, int]:
        """key → slots taken (calls in flight), for every key seen in this event loop."""
        return {key: self._taken(sem) for key, sem in self._slots.items()}

    def _taken(self, sem: asyncio.Semaphore) -> int:
        return max(0, self.max_concurrent - sem._value)
