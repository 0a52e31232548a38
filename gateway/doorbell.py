"""The process's doorbells: wake idle pollers (the exchange workers, the outbox) when new work was committed in
this process, and space their empty polls. One per database and name ("inbox", "outbox").

Here, below the inbox and the pipeline, so that whatever commits work (`Inbox.put`, the pipeline's status
change, the worker's outcome) can ring without importing the package of the loop that listens.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import weakref

from gateway.store.db import Database

__all__ = ["Doorbell", "doorbell"]


class Doorbell:
    """Wakes idle pollers when new work was committed in this process, and spaces their empty polls.

    The protocol of a polling loop (`ExchangeWorkers`, `OutboxWorker`):

    * read `rings`, poll; when the poll found nothing, ``await wait(seen, interval)``. That returns True at
      once when there was a ring since ``seen``, or when rung (each `ring` wakes one waiter); it returns
      False when it is this waiter's turn to poll: the idle pollers of one doorbell together poll at most once
      per ``interval`` (not once each), and that poll is what finds work of other processes, retries and
      expired leases.
    * a poll that found work *not* announced by a ring (its turn, a `nudge`, or after other work) calls
      `nudge`, waking one idle colleague to look too — so work stored by another process is taken up by
      every idle poller within moments, not one per interval;
    * after finishing work announced by a ring, poll again at once only when a ring found no waiter
      (`backlog`); otherwise wait (``polled=False``: the turns to poll stay an interval apart, so retries and
      other processes' work are still found while this process is busy).
    """

    def __init__(self) -> None:
        self.rings = 0
        self.backlog = 0  # rings that found no waiter: work that busy pollers should pick up when done
        self._waiters: collections.deque[asyncio.Future[object]] = collections.deque()
        self._next_poll = 0.0

    def ring(self) -> None:
        """New work was committed in this process."""
        self.rings += 1
        if not self._wake_one(_RUNG):
            self.backlog += 1

    def nudge(self) -> None:
        """There may be more work (found by polling): let one idle poller look."""
        self._wake_one(_NUDGED)

    def took(self, found: bool) -> None:
        """A poll's result: found work uses up a backlog ring; an empty poll means there is no backlog."""
        self.backlog = max(0, self.backlog - 1) if found else 0

    def _wake_one(self, why: object) -> bool:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(why)
                return True
        return False

    async def wait(self, seen: int, interval: float, stop: asyncio.Event | None = None, *, polled: bool = True) -> bool:
        """Until rung (True) or this waiter's turn to poll (False); see the class. ``polled``: the caller
        has just polled and found nothing (the next turn is an interval away)."""
        loop = asyncio.get_running_loop()
        if polled:
            self._next_poll = max(self._next_poll, loop.time() + interval)
        while self.rings == seen:
            delay = self._next_poll - loop.time()
            if delay <= 0 or (stop is not None and stop.is_set()):  # this waiter's turn to poll
                self._next_poll = loop.time() + interval
                return False
            waiter = loop.create_future()
            self._waiters.append(waiter)
            timer = loop.call_later(min(delay, interval), _wake, waiter)
            try:
                why = await waiter
            finally:
                timer.cancel()
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            if why is _RUNG:
                return True
            if why is _NUDGED:
                return False
        return True


_RUNG, _NUDGED, _TIMED_OUT = object(), object(), object()


def _wake(waiter: asyncio.Future[object]) -> None:
    if not waiter.done():
        waiter.set_result(_TIMED_OUT)


_doorbells: weakref.WeakKeyDictionary[Database, dict[str, Doorbell]] = weakref.WeakKeyDictionary()


def doorbell(db: Database, name: str) -> Doorbell:
    """The process's doorbell ``name`` ("inbox", "outbox") for this database."""
    return _doorbells.setdefault(db, {}).setdefault(name, Doorbell())
