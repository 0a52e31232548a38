"""Workers: claim an inbox item, run its adapter's handler, store the outcome — exactly once.

The outcome (hulpvraag + bijlagen + statushistorie + audit + the item's final state + follow-up outbox
messages) is written in one transaction that also checks the item is still leased to this worker; a worker
that lost its lease (it was too slow, or presumed dead) cannot record anything, so an item is never turned
into two hulpvragen. Unexpected errors are treated as transient; after `max_attempts` an item is held for
the secretariaat instead of being retried forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import socket
import uuid
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, update
from sqlmodel import Session

from gateway.errors import Hold, Refusal, Transient
from gateway.inbox.inbox import Inbox, LeaseLost, RetryPolicy, doorbell
from gateway.logging import bind_exchange, get_logger
from gateway.pipeline.contracts import ClaimedExchange, ExchangeHandler, HulpvraagDraft, OutboundMessage, Outcome
from gateway.pipeline.store_draft import store_draft_sync
from gateway.store.blob_barrier import current_barrier, durable_together
from gateway.store.blob_sweep import settle_created
from gateway.store.blobs import recording_created
from gateway.store.db import Database
from gateway.store.models import Exchange, ExchangeState, OutboxMessage
from gateway.store.prepared import Prepared
from gateway.store.types import utcnow
from verification.bsn import contains_bsn
from verification.findings import Finding, fout

__all__ = ["ExchangeWorkers", "worker_id"]

log = get_logger(__name__)
_NL = ZoneInfo("Europe/Amsterdam")
_OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]  # SQLModel does not declare the __table__ SQLAlchemy adds


def _asked(error: Refusal | Hold, draft: HulpvraagDraft | None) -> str | None:
    """The aanvraagtype a refused or held exchange asked for: as the handler learned it, or the draft's."""
    value = error.aanvraagtype or (draft.aanvraagtype if draft is not None else None)
    if not value or not value.strip() or contains_bsn(value):
        return None
    return " ".join(value.split())[:200]


def _remember_aanvraagtype(session: Session, item: ClaimedExchange, asked: str | None) -> None:
    """Keep the aanvraagtype on the exchange (``meta.aanvraagtype``, read by the queue and the demo report)."""
    if asked and item.meta.get("aanvraagtype") != asked:
        meta = {**item.meta, "aanvraagtype": asked}
        session.execute(update(Exchange).where(Exchange.id == item.id).values(meta=meta))  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class _Steps:
    """The handler's timeline steps: written at once, or (``with_outcome``) in the transaction of whatever the
    exchange's next write is — the stored hulpvraag, the refusal, or a step written at once — which saves the
    step a transaction of its own. A kept step keeps the time it was recorded."""

    def __init__(self, inbox: Inbox, exchange_id: int, owner: str) -> None:
        self._inbox, self._id, self._owner = inbox, exchange_id, owner
        self._later: list[tuple[str, str, str | None, dt.datetime]] = []

    async def step(
        self, name: str, message: str, *, waiting_for: str | None = None, with_outcome: bool = False
    ) -> None:
        log.info("exchange_stap", step=name, exchange_id=self._id)
        if not with_outcome and not self._later:
            await self._inbox.step(self._id, self._owner, name, message, waiting_for=waiting_for)
            return
        self._later.append((name, message, waiting_for, utcnow()))
        if not with_outcome:
            await self.flush()  # the kept ones and this one, in order, in one unit

    def write_sync(self, session: Session) -> None:
        """Inside a unit of work of their own (`flush`): the kept steps, each with its lease check."""
        for name, message, waiting_for, at in self._later:
            self._inbox.step_sync(session, self._id, self._owner, name, message, waiting_for, at)

    def events(self) -> list[dict[str, Any]]:
        """The kept steps' timeline events, for the unit that records the outcome (`Inbox.finish_sync`: its lease
        check and ``step`` supersede each step's own update; a lost lease rolls the whole unit back)."""
        return [self._inbox.step_event(self._id, name, message, at) for name, message, _, at in self._later]

    def written(self) -> None:
        """The transaction that wrote the kept steps committed."""
        self._later.clear()

    async def flush(self) -> None:
        """The kept steps on their own (an outcome that is written in units of its own, or a step written at
        once)."""
        if self._later:
            await self._inbox.db.run(self.write_sync, durable=False)
            self._later.clear()


_INSERT_OUTBOX = Prepared(insert(_OUTBOX))


def _add_outbox(session: Session, messages: list[OutboundMessage]) -> bool:
    """Follow-up messages, in the outcome's transaction (the caller rings the outbox's doorbell once committed;
    another process's outbox worker finds them when it next polls)."""
    if messages:
        now = utcnow()
        _INSERT_OUTBOX.executemany(
            session.connection(),
            [
                {"key": m.key, "kind": m.kind, "payload": dict(m.payload), "state": "wachtend", "attempts": 0,
                 "next_attempt_at": now, "created_at": now}
                for m in messages
            ],
        )  # fmt: skip
    return bool(messages)


class ExchangeWorkers:
    def __init__(
        self,
        db: Database,
        inbox: Inbox,
        handlers: Mapping[str, ExchangeHandler],
        *,
        retry: RetryPolicy,
        max_attempts: int = 25,
        poll_interval: float = 0.5,
        waiting_for_labels: Mapping[str, str] | None = None,
    ) -> None:
        self.db, self.inbox, self.handlers = db, inbox, dict(handlers)
        # whom a Transient's ``waiting_for`` names, in Dutch ("het OSR"): registered by the adapters
        # (Components.waiting_for_labels); an unregistered name is shown as it is
        self.waiting_for_labels = dict(waiting_for_labels or {})
        self.retry, self.max_attempts, self.poll_interval = retry, max_attempts, poll_interval
        self.doorbell = inbox.doorbell  # rung by `Inbox.put`: idle workers wake at once, and poll sparingly
        self._outbox_bell = doorbell(db, "outbox")

    # -- running ------------------------------------------------------------------------------------
    async def run(self, count: int, stop: asyncio.Event) -> None:
        tasks = [asyncio.create_task(self._loop(worker_id(), stop)) for _ in range(count)]
        try:
            await asyncio.gather(*tasks)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _loop(self, owner: str, stop: asyncio.Event) -> None:
        bell, rung = self.doorbell, False  # rung: this claim answers a ring (see Doorbell)
        while not stop.is_set():
            seen = bell.rings
            try:
                item = await self.inbox.claim(owner)
            except Exception:  # the loop must survive a database hiccup
                log.exception("worker_fout")
                item = None
            bell.took(item is not None)
            if item is None:
                rung = await bell.wait(seen, self.poll_interval, stop)
                continue
            if not rung:
                bell.nudge()  # found by polling: there may be more (another process's), let a colleague look
            try:
                await self._work(item, owner)
            except Exception:
                log.exception("worker_fout")
            if rung and not bell.backlog:  # answered a ring and no ring went unanswered: wait for the next
                rung = await bell.wait(bell.rings, self.poll_interval, stop, polled=False)
            else:
                rung = False

    async def drain(self, owner: str | None = None) -> int:
        """Process until nothing is due (tests, the demo). Returns how many items were handled."""
        owner = owner or worker_id()
        n = 0
        while await self.process_one(owner):
            n += 1
        return n

    # -- one item -----------------------------------------------------------------------------------
    async def process_one(self, owner: str) -> bool:
        item = await self.inbox.claim(owner)
        if item is None:
            return False
        await self._work(item, owner)
        return True

    async def _work(self, item: ClaimedExchange, owner: str) -> None:
        with bind_exchange(item.correlation_id, exchange_id=item.id, source=item.source):
            heartbeat = asyncio.create_task(self._heartbeat(item.id, owner))
            try:
                await self._process(item, owner)
            except LeaseLost:
                log.warning("exchange_lease_kwijt", exchange_id=item.id)
            finally:
                heartbeat.cancel()
                with contextlib.suppress(asyncio.CancelledError, LeaseLost, Exception):
                    await heartbeat

    async def _heartbeat(self, exchange_id: int, owner: str) -> None:
        interval = max(self.inbox.lease.total_seconds() / 3, 0.05)
        while True:
            await asyncio.sleep(interval)
            await self.inbox.renew(exchange_id, owner)

    async def _process(self, item: ClaimedExchange, owner: str) -> None:
        """Run the handler and store the outcome. The blobs the handler created (the dossier's bijlagen) stay
        only when the outcome is a hulpvraag that points at them; after any other outcome they are taken back
        at once (a release or a retry reads the dossier again; docs/assumptions/secrets.md)."""
        with recording_created() as created, durable_together():
            kept = await self._handle(item, owner)
        if created:
            await settle_created(self.db, created, kept=kept)

    async def _handle(self, item: ClaimedExchange, owner: str) -> bool:
        """True when the outcome is stored as a hulpvraag (verwerkt)."""
        handler = self.handlers.get(item.kind)
        if handler is None:
            await self._hold(item, owner, [fout("SOORT_ONBEKEND", f"Geen verwerking bekend voor '{item.kind}'.")])
            return False
        if item.attempts > self.max_attempts:
            given_up = [
                fout(
                    "TE_VAAK_GEPROBEERD",
                    f"Na {self.max_attempts} pogingen is deze aanvraag nog niet verwerkt. Het secretariaat "
                    "beoordeelt of de aanvraag opnieuw kan worden aangeboden.",
                )
            ]
            # the conversation with the sender ends here (e.g. the afmelding); a release starts a new one
            await self._hold(item, owner, given_up, follow_up=Outcome(state="opgegeven", findings=tuple(given_up)))
            return False
        draft: HulpvraagDraft | None = None
        steps = _Steps(self.inbox, item.id, owner)
        try:
            draft = await handler.handle(item, steps)
            await _blobs_durable()  # the blobs the draft points at, before the row that points at them
            released = bool(item.meta.get("vrijgegeven"))

            follow_up: list[bool] = []

            def stored(session: Session) -> Outcome:
                assert draft is not None
                outcome = store_draft_sync(session, item, draft, actor=f"{item.source}", released=released)
                verb = "aangemaakt" if outcome.created else "bijgewerkt"
                self.inbox.finish_sync(
                    session,
                    item.id,
                    owner,
                    state=ExchangeState.VERWERKT,
                    findings=outcome.findings,
                    hulpvraag_id=outcome.hulpvraag_id,
                    message=f"Verwerkt: hulpvraag {outcome.hulpvraag_id} {verb}.",
                    steps_before=steps.events(),
                )
                follow_up.append(_add_outbox(session, self._afterwards(handler, item, outcome)))
                return outcome

            outcome = await self.db.run(stored, durable=False)
            steps.written()
            if any(follow_up):
                self._outbox_bell.ring()
            log.info("exchange_verwerkt", hulpvraag_id=outcome.hulpvraag_id, nieuw=outcome.created)
            return True
        except Refusal as r:
            await self._refuse(handler, item, owner, r, _asked(r, draft), steps)
        except Hold as h:
            await steps.flush()
            await self._hold(item, owner, list(h.findings), aanvraagtype=_asked(h, draft))
        except Transient as t:
            await steps.flush()
            await self._retry_later(item, owner, str(t), t.waiting_for, t.retry_after)
        except LeaseLost:
            raise
        except Exception as exc:  # unexpected: keep the item, retry with backoff, tell the operator
            log.exception("exchange_onverwachte_fout")
            with contextlib.suppress(Exception):
                await steps.flush()
            await self._retry_later(item, owner, f"{type(exc).__name__}: {exc}", None, None)
        return False

    @staticmethod
    def _afterwards(handler: ExchangeHandler, item: ClaimedExchange, outcome: Outcome) -> list[OutboundMessage]:
        follow_up = getattr(handler, "afterwards", None)
        return list(follow_up(item, outcome)) if follow_up else []

    async def _hold(
        self,
        item: ClaimedExchange,
        owner: str,
        findings: list[Finding],
        *,
        follow_up: Outcome | None = None,
        aanvraagtype: str | None = None,
    ) -> None:
        handler = self.handlers.get(item.kind)

        def hold(s: Session) -> bool:
            self.inbox.finish_sync(
                s,
                item.id,
                owner,
                state=ExchangeState.VASTGEHOUDEN,
                findings=findings,
                message=findings[0].message,
                waiting_for="secretariaat",
            )
            _remember_aanvraagtype(s, item, aanvraagtype)
            if follow_up is None or handler is None:
                return False
            return _add_outbox(s, self._afterwards(handler, item, follow_up))

        if await self.db.run(hold, durable=False):
            self._outbox_bell.ring()
        log.info("exchange_vastgehouden", codes=[f.code for f in findings])

    async def _refuse(
        self, handler: ExchangeHandler, item: ClaimedExchange, owner: str, r: Refusal, asked: str | None, steps: _Steps
    ) -> None:
        """The refusal, the steps kept for it and its follow-up messages, in one unit of work."""
        refused = Outcome(state="geweigerd", findings=r.findings)
        first, about = r.first.message, r.brin6

        def refuse(session: Session) -> bool:
            self.inbox.finish_sync(
                session,
                item.id,
                owner,
                state=ExchangeState.GEWEIGERD,
                findings=refused.findings,
                message=first,
                steps_before=steps.events(),
            )
            if about and about != item.brin6:  # the vestiging the reason is about
                session.execute(update(Exchange).where(Exchange.id == item.id).values(brin6=about))  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
            _remember_aanvraagtype(session, item, asked)
            return _add_outbox(session, self._afterwards(handler, item, refused))

        added = await self.db.run(refuse, durable=False)
        steps.written()
        if added:
            self._outbox_bell.ring()
        log.info("exchange_geweigerd", codes=[f.code for f in r.findings])

    async def _retry_later(
        self, item: ClaimedExchange, owner: str, error: str, waiting_for: str | None, hint: float | None
    ) -> None:
        delay = self.retry.delay(item.attempts, hint)
        when = utcnow() + dt.timedelta(seconds=delay)
        at = f"{when.astimezone(_NL):%H:%M:%S}"  # the secretariaat reads Dutch time
        message = (
            f"Wacht op {self.waiting_for_labels.get(waiting_for or '', waiting_for)}; volgende poging om {at}."
            if waiting_for
            else f"Tijdelijke fout; volgende poging om {at}."
        )
        await self.db.run(
            lambda s: self.inbox.finish_sync(
                s,
                item.id,
                owner,
                state=ExchangeState.WACHT_OP_HERHALING,
                message=message,
                waiting_for=waiting_for,
                next_attempt_at=when,
                error=error[:2000],
            ),
            durable=False,
        )
        log.info("exchange_wacht_op_herhaling", waiting_for=waiting_for, delay_s=round(delay, 2), error=error[:200])


async def _blobs_durable() -> None:
    """Flush this exchange's blob barrier (one syncfs for all its bijlagen; gateway.store.blob_barrier)."""
    barrier = current_barrier()
    if barrier is not None and barrier.pending:
        await asyncio.to_thread(barrier.flush)
