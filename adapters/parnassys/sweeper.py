"""The session sweeper: Traffic Center sessions open longer than a bound are closed with an afmelding.

A session normally closes with its exchange's outcome (`OsoExchangeHandler.afterwards`). One stays open when
its exchange waits long (held for the secretariaat, or retrying against an unreachable LAS) or when its
afmelding was given up in the outbox. Every ``every`` seconds the sweeper looks for sessions opened more than
``max_open`` ago that are still open, skips those whose exchange is being worked on right now or that have
an afmelding on its way, and writes an afmelding for each to the outbox (key ``oso_afmelding_sweep:<sessie>``,
so two processes sweeping at once write it once). The resultaat follows the exchange: processed →
``OverdrachtGeslaagd``, refused → its best result, anything else → ``DossierNietGereed`` (a later release
opens a new session). It also keeps the number of sessions not yet closed for ``/metrics``
(``gateway_tc_sessions_open``, as of this process's last sweep).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

import structlog

from adapters.parnassys.handler import NIET_GEREED, best_result
from adapters.parnassys.sessions import OpenSession, StoredSessions
from gateway.inbox.inbox import doorbell
from gateway.metric_samples import Sample
from gateway.pipeline.contracts import OutboundMessage, Outcome
from gateway.pipeline.ports.outbox import NewOutboxMessage, enqueue_new
from gateway.store.db import Database
from verification.findings import Finding, fout

__all__ = ["SessionSweeper"]

log = structlog.get_logger("adapters.parnassys.sweeper")


class SessionSweeper:
    def __init__(self, db: Database, sessions: StoredSessions, *, max_open: dt.timedelta, every: float = 300.0) -> None:
        self.db, self.sessions = db, sessions
        self.max_open, self.every = max_open, every
        self.open_sessions: int | None = None  # as of the last sweep

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.sweep()
            except Exception:  # the loop must survive a database hiccup
                log.exception("oso_sessies_vegen_fout")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.every)

    async def sweep(self) -> int:
        """One round; returns how many afmeldingen it wrote."""
        self.open_sessions = await self.sessions.count_open()
        found = [s for s in await self.sessions.open_longer_than(self.max_open) if s.exchange_state != "in_behandeling"]
        if not found:
            return 0
        hours = self.max_open.total_seconds() / 3600

        new = [
            NewOutboxMessage(
                OutboundMessage(
                    kind="oso_afmelding",
                    key=f"oso_afmelding_sweep:{o.sessie_id}"[:200],
                    payload={
                        "exchange_id": o.exchange_id,
                        "koppelsleutel": o.koppelsleutel,
                        "sessieId": o.sessie_id,
                        "resultaat": _resultaat(o),
                        "toelichting": f"Sessie langer dan {hours:g} uur open; gesloten door de gateway.",
                    },
                ),
                unless_waiting=f"oso_afmelding:{o.koppelsleutel}:",
            )
            for o in found
        ]
        written = await enqueue_new(self.db, new)
        if written:
            doorbell(self.db, "outbox").ring()
            log.warning("oso_sessies_geveegd", aantal=written, ouder_dan_uren=hours)
        return written

    def samples(self) -> list[Sample]:
        if self.open_sessions is None:
            return []
        return [
            Sample(
                "gateway_tc_sessions_open",
                value=self.open_sessions,
                help="Traffic Center sessions not yet closed with an afmelding (as of this process's last sweep)",
            )
        ]


def _resultaat(o: OpenSession) -> str:
    if o.exchange_state == "verwerkt":
        return best_result(Outcome(state="verwerkt"))
    if o.exchange_state == "geweigerd":
        findings: list[Finding] = [fout(code, code) for code in o.findings]
        return best_result(Outcome(state="geweigerd", findings=tuple(findings)))
    return NIET_GEREED
