"""The OSO-SWV pipeline steps for one claimed notificatie, and the follow-up calls after its outcome.

    sender checks (OSR) → overdracht (session at the TC) → LAS endpoint (OSR) → documentRequest →
    read_dossier (attachments streamed into the blob store) → HulpvraagDraft

The core applies the aanvraagtype rules and the "same request" merge and stores the outcome; then
`afterwards` hands it the afmelding (closing the session with the best result) for the durable outbox.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

import structlog

from adapters.parnassys.client import DocumentResponse, LasClient, RemoteFault, TrafficCenterClient
from adapters.parnassys.handoff import NotificatieHandoff
from adapters.parnassys.notificatie import Notificatie
from adapters.parnassys.ports import LasEndpoints, SenderChecks
from adapters.parnassys.refusals import refusal
from adapters.parnassys.sessions import MemorySessions, SessionStore
from gateway.errors import Refusal
from gateway.pipeline.contracts import (
    ClaimedExchange,
    HulpvraagDraft,
    OutboundMessage,
    Outcome,
    Settle,
    StepRecorder,
)
from gateway.store.blobs import BlobStore
from verification.bsn import contains_bsn
from verification.dossier.free_text import free_text_message
from verification.findings import Finding, fout, waarschuwing

__all__ = [
    "AfmeldingDeliverer",
    "OsoExchangeHandler",
    "TerugkoppelingDeliverer",
    "asked_aanvraagtype",
    "best_result",
]

log = structlog.get_logger("adapters.parnassys.handler")

ReadDossier = Callable[..., Any]  # gateway.dossier.read_dossier (injected so tests can run without it)


SESSIE_STEP = "sessie_geopend"
_SESSIE_MESSAGE = (
    "Afzender in orde (mandaten, vestiging, routeringskenmerk); sessie {sessie} geopend bij het Traffic Center."
)
_STALE_SESSION = {"SessieAfwijkend", "SessieReedsAfgemeld"}
# a dossier this big takes long enough to read (≈ 0.1 s and more) for its own "dossier ontvangen" step in the
# queue while it is read; a smaller one's step is written with the outcome (one transaction less per exchange)
_STEP_ALONE_FROM = 1_000_000


# the afmelding's resultaat for the exchange's outcome (docs/assumptions/oso.md)
GESLAAGD = "OverdrachtGeslaagd"
NIET_GEREED = "DossierNietGereed"
_REMOTE_RESULTS = {"SessieAfwijkend", "DossierNietGereed", "SessieReedsAfgemeld", "OnbekendAanleverpunt"}
# a refusal because the TC gave no session: there is nothing to close, and asking for another would fail too
_NO_SESSION_POSSIBLE = "OSO_SESSIE_GEWEIGERD"


def best_result(outcome: Outcome) -> str:
    """The afmelding ``resultaat`` that describes ``outcome`` best (docs/assumptions/oso.md)."""
    if outcome.state == "verwerkt":
        return GESLAAGD
    if outcome.state == "opgegeven":  # the worker gave up after max_attempts; the secretariaat decides
        return NIET_GEREED
    codes = [f.code for f in outcome.findings]
    for code in codes:
        if code in _REMOTE_RESULTS:
            return code
    if any(c.startswith(("PaO.", "DOSSIER_", "OSO_DOSSIER")) for c in codes):
        return "DossierOngeldig"
    return "AanvraagGeweigerd"


def asked_aanvraagtype(aanvraag: Any) -> str | None:
    """The aanvraagtype the school's documentResponse asks for, as sent (trimmed, at most 200 characters),
    so that a refused exchange still shows what it was about; None when absent or when it holds a number
    that may be a BSN (never stored, PaO.LL12)."""
    value = getattr(aanvraag, "aanvraagtype", None)
    if not isinstance(value, str) or not value.strip() or contains_bsn(value):
        return None
    return " ".join(value.split())[:200]


def _default_read_dossier() -> ReadDossier:
    from gateway.dossier import read_dossier  # lazy: the core's dossier capability

    return read_dossier


def _read_opened(read: ReadDossier, document: DocumentResponse, kwargs: dict[str, Any]) -> Any:
    with document.open_dossier() as source:
        return read(source, **kwargs)


class OsoExchangeHandler:
    """Implements `ExchangeHandlerWithFollowUp` for source ``parnassys``, kind ``oso_notificatie``."""

    def __init__(
        self,
        *,
        swv_code: str,
        sender_checks: SenderChecks,
        traffic_center: TrafficCenterClient,
        las: LasClient,
        las_endpoints: LasEndpoints,
        blobs: BlobStore | None,
        dossier_limits: Any = None,
        read_dossier: ReadDossier | None = None,
        sessions: SessionStore | None = None,
        read_in_loop: bool = False,
    ) -> None:
        """``read_in_loop``: a dossier held in memory is read in the event loop's own thread instead of a
        thread of its own — for a process that only processes (role ``worker``) and whose blob writes do
        not wait for a disk or the network (docs/performance.md, "Issue 18, seventh round")."""
        self.swv_code = swv_code
        self.sender_checks = sender_checks
        self.tc = traffic_center
        self.las = las
        self.las_endpoints = las_endpoints
        self.blobs = blobs
        self.dossier_limits = dossier_limits
        self._read_dossier = read_dossier
        self.sessions: SessionStore = sessions if sessions is not None else MemorySessions()
        self.read_in_loop = read_in_loop

    async def handle(self, exchange: ClaimedExchange, steps: StepRecorder) -> HulpvraagDraft:
        n = exchange.handoff(NotificatieHandoff).notificatie()
        findings = await self.sender_checks.in_worker(n)  # Transient propagates (waiting_for="osr")
        if any(f.blocking for f in findings):
            raise Refusal([f for f in findings if f.blocking])
        warnings = [f for f in findings if not f.blocking]
        # Two steps on the queue's timeline, both written with the exchange's next write — the outcome, or for a
        # big dossier the dossier's step before it is read (so the queue shows that a long read is under way).
        # A later attempt finds its session in the session rows, never on the timeline.
        sessie, document = await self._fetch_document(n, exchange, steps)
        try:  # a big dossier lies in a sealed spool: it goes once read, also when anything fails on the way
            size = document.dossier_size
            received = f"Dossier ontvangen ({size} bytes)."
            await steps.step("dossier_ontvangen", received, with_outcome=size < _STEP_ALONE_FROM)
            asked = asked_aanvraagtype(document.aanvraag)  # shown with a refusal from here on (queue, demo)
            report = await self._read(document)
        finally:
            document.close()
        await self._judge_dossier(n, document, report, asked)
        if document.aanvraag is None:
            warnings.append(
                waarschuwing("OSO_AANVRAAG_ONTBREEKT", refusal("OSO_AANVRAAG_ONTBREEKT").message, "documentResponse")
            )
        aanvraag = document.aanvraag
        brin6 = report.brin6 or exchange.brin6 or n.brin6 or n.bronBrin
        return HulpvraagDraft(
            swv_code=exchange.swv_code or self.swv_code,
            brin6=brin6,
            pupil=report.pupil,
            aanvraagtype=aanvraag.aanvraagtype if aanvraag else None,
            omschrijving=aanvraag.omschrijving if aanvraag else None,
            source_system="parnassys",
            external_keys={
                "koppelsleutel": n.koppelsleutel,
                "bronRouteringsKenmerk": n.bronRouteringsKenmerk,
                "bronBrin": n.bronBrin,
                "sessieId": sessie,
            },
            bijlagen=tuple(report.attachments),
            opp_expected=aanvraag.opp if aanvraag else None,
            findings=tuple(warnings) + tuple(f for f in report.findings if not f.blocking),
        )

    async def _fetch_document(
        self, n: Notificatie, exchange: ClaimedExchange, steps: StepRecorder
    ) -> tuple[str, DocumentResponse]:
        """The dossier from the school's LAS, over the exchange's Traffic Center session."""
        # a session an earlier attempt opened (in any process) and nothing closed yet is used again
        sessie = await self.sessions.open_for(exchange.id) if exchange.attempts > 1 else None
        reused = sessie is not None
        if sessie is None:
            sessie = await self._open_session(n, exchange, steps)

        url = await self.las_endpoints.las_endpoint(n.bronRouteringsKenmerk, n.bronBrin)
        try:
            try:
                document = await self.las.document(url, sessie, n.koppelsleutel)
            except RemoteFault as exc:
                if not (reused and exc.code in _STALE_SESSION):
                    raise
                log.info("oso_sessie_vernieuwd", exchange_id=exchange.id, reden=exc.code)
                await self.sessions.expired(sessie)
                sessie = await self._open_session(n, exchange, steps)  # the old one timed out or was closed
                document = await self.las.document(url, sessie, n.koppelsleutel)
        except RemoteFault as exc:
            raise Refusal(
                [refusal("OSO_DOSSIER_GEWEIGERD", "documentRequest", detail=exc.findings[0].message), *exc.findings]
            ) from exc
        return sessie, document

    async def _judge_dossier(self, n: Notificatie, document: DocumentResponse, report: Any, asked: str | None) -> None:
        """Refuses a dossier that is invalid, of another school or vestiging, or carries a BSN in free text."""
        if not report.valid:
            raise Refusal(report.errors or [refusal("OSO_DOSSIER_ONTBREEKT")], aanvraagtype=asked)
        if report.brin and report.brin != n.bronBrin:
            raise Refusal(
                [
                    Finding(
                        "OSO_DOSSIER_ANDERE_SCHOOL",
                        f"ParnasSys leverde een dossier van school {report.brin}, niet van {n.bronBrin}.",
                        "dossier/huidigeschool/brincode",
                    )
                ],
                aanvraagtype=asked,
            )
        if report.brin6 and len(report.brin6) == 6:
            routing = await self._check_dossier_vestiging(n, report.brin6[4:])
            if routing:
                raise Refusal(routing, brin6=report.brin6, aanvraagtype=asked)  # listed under its own vestiging
        if document.aanvraag is not None:
            bsn = [
                fout("PaO.LL12", free_text_message(name), f"aanvraag/{name}")
                for name in ("omschrijving", "aanvraagtype")
                if contains_bsn(getattr(document.aanvraag, name, None))
            ]
            if bsn:
                raise Refusal(bsn, aanvraagtype=asked)  # names the field, never the number

    async def _open_session(self, n: Notificatie, exchange: ClaimedExchange, steps: StepRecorder) -> str:
        try:
            sessie = await self.tc.overdracht(n.koppelsleutel)
        except RemoteFault as exc:
            raise Refusal(
                [refusal("OSO_SESSIE_GEWEIGERD", "overdrachtRequest", detail=exc.findings[0].message), *exc.findings]
            ) from exc
        await self.sessions.opened(exchange.id, n.koppelsleutel, sessie)  # durable before it is used
        # the queue's timeline, with the exchange's next write: no unit of its own (docs/assumptions/oso.md)
        await steps.step(SESSIE_STEP, _SESSIE_MESSAGE.format(sessie=sessie), with_outcome=True)
        return sessie

    async def _check_dossier_vestiging(self, n: Notificatie, vestigingscode: str) -> list[Finding]:
        check = getattr(self.sender_checks, "for_dossier", None)
        if check is None:
            return []
        return [f for f in await check(n, vestigingscode) if f.blocking]

    async def _read(self, document: DocumentResponse) -> Any:
        """``read_dossier`` on the dossier parsed with the answer or — a big one — a reader of its spool. In a
        thread, unless this process only processes and the dossier is in memory (``read_in_loop``): the read
        is CPU work under the GIL either way, and handing it to a thread costs a GIL hand-over at every write,
        hash and inflate it does while the loop is busy with the other exchanges (≈ 15 % of the worker's CPU)."""
        read = self._read_dossier or _default_read_dossier()
        kwargs: dict[str, Any] = {"blobs": self.blobs}
        if self.dossier_limits is not None:
            kwargs["limits"] = self.dossier_limits
        if self.read_in_loop and document.in_memory:
            return _read_opened(read, document, kwargs)
        return await asyncio.to_thread(_read_opened, read, document, kwargs)

    def afterwards(self, exchange: ClaimedExchange, outcome: Outcome) -> list[OutboundMessage]:
        """The afmelding that ends the conversation with ParnasSys for this outcome: processed, refused (by
        the worker after the acknowledgement, or by the secretariaat), or given up. It names the exchange,
        not a session: the deliverer closes the exchange's open session, or — when none was opened yet —
        opens one to close it (docs/assumptions/oso.md "Closing every conversation")."""
        if any(f.code == _NO_SESSION_POSSIBLE for f in outcome.findings):
            return []
        koppelsleutel = str(exchange.handoff(NotificatieHandoff).koppelsleutel)
        toelichting = None if outcome.state == "verwerkt" else "; ".join(f.code for f in outcome.findings)[:500]
        return [
            OutboundMessage(
                kind="oso_afmelding",
                key=f"oso_afmelding:{koppelsleutel}:{exchange.id}:{exchange.attempts}:{outcome.state}",
                payload={
                    "exchange_id": exchange.id,
                    "koppelsleutel": koppelsleutel,
                    "resultaat": best_result(outcome),
                    "toelichting": toelichting,
                },
            )
        ]


class AfmeldingDeliverer:
    """Outbox deliverer for ``oso_afmelding``: closes the exchange's session at the Traffic Center — exactly
    once, with the message's resultaat.

    The payload names the exchange (``exchange_id``, ``koppelsleutel``) or, from the sweeper, the session
    (``sessieId``). The session is claimed for this message in the store before the call (`claim_close`,
    which also counts the call), so a retry closes the same one and a second message finds nothing left to
    close. No session open for the exchange (refused before one was opened): one is opened to close it.
    ``SessieReedsAfgemeld`` counts as delivered only when this message's afmelding was sent before (a retry
    after a lost reply); otherwise the TC closed the session without our outcome, so it is marked
    ``verlopen`` and the outcome goes out over a new session, once. A closed session is stored as such in
    the outbox's record of this delivery (the returned `Settle`), not in a unit of work of its own.
    """

    def __init__(self, traffic_center: TrafficCenterClient, sessions: SessionStore) -> None:
        self.tc = traffic_center
        self.sessions = sessions  # the handler's: the sessions it opened are the ones to close

    async def deliver(self, message: OutboundMessage) -> Settle | None:
        p = message.payload
        koppelsleutel, resultaat = str(p["koppelsleutel"]), str(p["resultaat"])
        exchange_id = int(p["exchange_id"]) if p.get("exchange_id") is not None else None
        named = str(p["sessieId"]) if p.get("sessieId") else None
        for _ in range(2):  # at most once over a new session when the TC closed ours without our outcome
            claim = await self.sessions.claim_close(
                close_key=message.key, resultaat=resultaat, exchange_id=exchange_id, sessie_id=named
            )
            if claim.done or (claim.sessie is None and (named is not None or exchange_id is None)):
                return None  # closed by this message before, or the sweeper's session was closed meanwhile
            if claim.sessie is not None:
                sessie, sent_before = claim.sessie, claim.calls_before  # the claim counted this call
            else:
                sessie = await self._open_to_close(exchange_id, koppelsleutel, message.key, resultaat)
                sent_before = await self.sessions.closing_call(sessie)
            try:
                await self.tc.afmelding(sessie, koppelsleutel, resultaat, p.get("toelichting"))
            except RemoteFault as exc:
                if exc.code != "SessieReedsAfgemeld":
                    raise Refusal(exc.findings) from exc
                if sent_before:  # our own afmelding arrived before; its reply was lost
                    return self.sessions.closed_with(sessie)
                log.warning("oso_sessie_elders_afgemeld", sessie=sessie, exchange_id=exchange_id)
                await self.sessions.expired(sessie)
                named = None
                continue
            log.info("oso_afmelding_verzonden", exchange_id=exchange_id, resultaat=resultaat)
            return self.sessions.closed_with(sessie)  # stored with the outbox's record of this delivery
        raise Refusal([refusal("OSO_AFMELDING_NIET_AFGELEVERD", "afmeldingRequest", koppelsleutel=koppelsleutel)])

    async def _open_to_close(self, exchange_id: int | None, koppelsleutel: str, key: str, resultaat: str) -> str:
        try:
            sessie = await self.tc.overdracht(koppelsleutel)
        except RemoteFault as exc:
            raise Refusal(exc.findings) from exc
        assert exchange_id is not None
        await self.sessions.opened(exchange_id, koppelsleutel, sessie, close_key=key, resultaat=resultaat)
        log.info("oso_sessie_geopend_om_af_te_melden", exchange_id=exchange_id)
        return sessie


class TerugkoppelingDeliverer:
    """Outbox deliverer for ``oso_terugkoppeling``: meldenTerugkoppeling at the TC (it names the school's
    LAS endpoint; when it names none, the OSR is asked for the ``bronRouteringsKenmerk``), then
    ``terugkoppelingRequest`` to that LAS.

    Reads the payload `adapters.parnassys.status_hook.Terugkoppelingen` writes: ``hulpvraag_id``, ``status``,
    ``toelichting``, ``brin6`` and the hulpvraag's ``external_keys`` (``koppelsleutel``,
    ``bronRouteringsKenmerk``, ``bronBrin``, put there by `OsoExchangeHandler`).
    """

    def __init__(
        self, traffic_center: TrafficCenterClient, las: LasClient, las_endpoints: LasEndpoints | None = None
    ) -> None:
        self.tc = traffic_center
        self.las = las
        self.las_endpoints = las_endpoints

    async def deliver(self, message: OutboundMessage) -> None:
        p = message.payload
        keys = p.get("external_keys") or {}
        koppelsleutel = keys.get("koppelsleutel") or p.get("koppelsleutel")
        if not koppelsleutel:
            raise Refusal(
                [refusal("OSO_TERUGKOPPELING_ZONDER_KOPPELSLEUTEL", "external_keys", hulpvraag=p.get("hulpvraag_id"))]
            )
        datum = dt.datetime.fromisoformat(p["datum"]) if p.get("datum") else dt.datetime.now(dt.UTC)
        toelichting = p.get("toelichting")
        try:
            url = await self._las_url(str(koppelsleutel), keys)
            await self.las.terugkoppeling(
                url, str(koppelsleutel), str(p["status"]), toelichting[:1000] if toelichting else None, datum
            )
        except RemoteFault as exc:
            raise Refusal(exc.findings) from exc
        log.info("oso_terugkoppeling_verzonden", hulpvraag_id=p.get("hulpvraag_id"), status=p["status"])

    async def _las_url(self, koppelsleutel: str, keys: dict[str, Any]) -> str:
        try:
            return await self.tc.melden_terugkoppeling(koppelsleutel)
        except RemoteFault as exc:
            kenmerk, brin = keys.get("bronRouteringsKenmerk"), keys.get("bronBrin")
            if exc.code != "OSO_ANTWOORD_ONGELDIG" or self.las_endpoints is None or not kenmerk or not brin:
                raise
            return await self.las_endpoints.las_endpoint(str(kenmerk), str(brin))
