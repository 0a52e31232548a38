"""Idle workers of this process that take a new exchange straight from the intake, without a claim.

When this process both receives and processes (role ``all``) and one of its workers is idle, `Inbox.put` stores
the new exchange already leased to that worker — the row is committed exactly as a claim would have left it
(state ``in_behandeling``, the worker as lease owner, one attempt) — and hands it over in memory once committed.
The worker saves a claim (a unit of work) and the doorbell's round trip. Everything else is as for a claimed item:
the lease is renewed while the worker holds it, the outcome is written only while the lease is still its own, and
an item whose worker died is due again when its lease runs out (docs/assumptions/db-hot-path.md).

The protocol, in one event loop:

* an idle worker makes an `Offer` (`LocalTakers.offer`) and waits on the doorbell with the offer's future;
* `Inbox.put` takes an offer (`take`: it is then *reserved*), writes the row leased to the offer's owner, and
  after the commit completes the future with the claimed exchange — or with None when nothing was stored (a
  duplicate key, a failed write): the worker then goes on as before;
* the worker, woken (by a ring, a hand-over or its turn to poll), `settle`s its offer: not reserved, it is
  withdrawn; reserved, the worker waits for the put's answer (a commit away);
* a worker that stops while waiting `abandon`s its offer: the future is cancelled, and a put that reserved it
  makes the committed item due again at once instead of handing it over.
"""

from __future__ import annotations

import asyncio
import collections
import weakref
from dataclasses import dataclass, field

from gateway.pipeline.contracts import ClaimedExchange
from gateway.store.db import Database

__all__ = ["LocalTakers", "Offer", "local_takers"]


@dataclass(eq=False)
class Offer:
    """An idle worker's offer to take a new exchange; `future` gets the exchange (or None) once reserved."""

    owner: str
    future: asyncio.Future[ClaimedExchange | None] = field(repr=False)
    reserved: bool = False

    def hand(self, item: ClaimedExchange | None) -> bool:
        """Complete a reserved offer; False when its worker gave up waiting (it stopped)."""
        if self.future.done():
            return False
        self.future.set_result(item)
        return True


class LocalTakers:
    """The idle workers of one database in this process that take new exchanges directly (see the module)."""

    def __init__(self) -> None:
        self._idle: collections.deque[Offer] = collections.deque()

    def offer(self, owner: str) -> Offer:
        offer = Offer(owner, asyncio.get_running_loop().create_future())
        self._idle.append(offer)
        return offer

    def take(self) -> Offer | None:
        """The longest-idle worker's offer, reserved for one new exchange; None when no worker of this event loop
        is idle."""
        loop = asyncio.get_running_loop()
        while self._idle:
            offer = self._idle.popleft()
            if not offer.future.done() and offer.future.get_loop() is loop:
                offer.reserved = True
                return offer
        return None

    async def settle(self, offer: Offer) -> ClaimedExchange | None:
        """After the worker's wait: the exchange handed over, or None. A reserved offer is waited for (the put
        completes it right after its commit, or with None when it stored nothing)."""
        if not offer.reserved:
            self._withdraw(offer)
            return None
        return await offer.future

    def abandon(self, offer: Offer) -> None:
        """The worker stops: a put that reserved the offer makes its item due again instead of handing it over."""
        self._withdraw(offer)
        offer.future.cancel()

    def _withdraw(self, offer: Offer) -> None:
        try:
            self._idle.remove(offer)
        except ValueError:
            pass  # taken (reserved) or never waiting


_takers: weakref.WeakKeyDictionary[Database, LocalTakers] = weakref.WeakKeyDictionary()


def local_takers(db: Database) -> LocalTakers:
    """This process's idle takers for this database (one set, as the doorbells: `gateway.doorbell`)."""
    return _takers.setdefault(db, LocalTakers())
