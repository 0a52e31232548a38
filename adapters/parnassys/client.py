"""Outbound OSO calls: the gateway as SOAP client of the Traffic Center and of the school's LAS.

A thin aiohttp client rather than zeep's async transport, on purpose:
- zeep's `AsyncTransport` needs httpx (a second HTTP stack next to aiohttp) and loads WSDLs synchronously;
- zeep's WS-Security signature plug-in signs only Body and Timestamp (SHA-1 by default), while Edukoppeling
  2W-be-S wants every WS-Addressing header signed with SHA-2 — we sign with the same `wssec.sign_envelope`
  (python-xmlsec) the endpoint uses for its replies;
- a ``documentResponse`` can be hundreds of megabytes (bijlagen in base64): it is read under a size limit
  and handed to the dossier reader as XML, never turned into Python objects; a big one is read as it
  arrives, without a DOM of the envelope, its dossier written aside into a sealed spool on disk
  (`adapters.parnassys.soap_stream`, `gateway.store.spool`).
The messages are the ones in ``schemas/oso/*.wsdl``; the tests drive the gateway's endpoint with zeep.

Failures are split as the pipeline needs them: a SOAP fault is the other side's verdict (`RemoteFault`,
permanent: `SessieAfwijkend`, dossier not ready, …); connection errors, timeouts, HTTP 429/502/503/504 are
retried with the core's backoff (`gateway.outbound.retry.RetryPolicy`, driven by tenacity) and, when retries
run out, raised as `gateway.errors.Transient`.

Every attempt goes through the system's `EndpointGuards` (`gateway.outbound.guards`): a bulkhead per LAS
endpoint URL (a school whose LAS hangs holds at most ``max_concurrent`` workers; a call that gets no slot
in time raises `Transient` instead of queueing) and a circuit breaker per endpoint and operation (after a
run of transient failures calls fail fast with `Transient` for a cool-down, then one probe goes through).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import aiohttp
import structlog
from lxml import etree
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from adapters.parnassys.config import ClientConfig, RetryPolicy
from adapters.parnassys.soap import (
    ANONYMOUS,
    NS,
    SOAP_ENV,
    SoapRejected,
    action_for,
    build_envelope,
    fault_findings,
    parse_xml,
    to_bytes,
)
from adapters.parnassys.soap_stream import HUGE_BYTES, SoapStream
from adapters.parnassys.wssec import sign_envelope
from gateway.dossier.model import ParsedDossier
from gateway.errors import Transient
from gateway.outbound.guards import EndpointGuards
from gateway.store.spool import SealedSpool
from gateway.tls import client_context
from verification.findings import Finding

__all__ = [
    "Aanvraag",
    "Answer",
    "DocumentResponse",
    "LasClient",
    "OsoSoapClient",
    "RemoteFault",
    "TrafficCenterClient",
]

log = structlog.get_logger("adapters.parnassys.client")
_RETRY_STATUS = frozenset({429, 502, 503, 504})


class RemoteFault(Exception):
    """The other side answered with a SOAP fault (or an unusable answer): permanent."""

    def __init__(self, system: str, findings: list[Finding]) -> None:
        super().__init__(f"{system}: " + "; ".join(f"{f.code}: {f.message}" for f in findings))
        self.system = system
        self.findings = findings

    @property
    def code(self) -> str:
        return self.findings[0].code


@dataclass(frozen=True)
class Answer:
    """One call's ``<operation>Response``; for a big answer read as it arrived (`soap_stream`) the response is
    a skeleton whose dossier children are empty, and ``dossier`` is the first of them serialised, in a sealed
    spool the receiver must close."""

    response: etree._Element
    dossier: SealedSpool | None = None
    size: int = 0  # the answer's bytes as received (a small one's, parsed whole; 0 for one read as it arrived)


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _backoff(policy: RetryPolicy, state: RetryCallState) -> float:
    return policy.delay(state.attempt_number)


def _q(el: etree._Element, name: str) -> str | None:
    found = el.find(f"{{{NS}}}{name}")
    return (found.text or "").strip() if found is not None and found.text else None


def _el(name: str, **children: str | None) -> etree._Element:
    el = etree.Element(f"{{{NS}}}{name}", nsmap={"oso": NS})
    for child, value in children.items():
        if value is not None:
            etree.SubElement(el, f"{{{NS}}}{child}").text = value
    return el


class OsoSoapClient:
    """One SOAP 1.1 call: WS-Addressing with OINs, 2W-be-S signing, mTLS, timeouts, retries."""

    def __init__(self, config: ClientConfig, session: aiohttp.ClientSession | None = None) -> None:
        self.config = config
        self._session = session
        self._own_session = session is None
        self._ssl = self._ssl_context()
        self.guards = {
            "las": EndpointGuards("las", config.las_guard, events="oso"),
            "traffic_center": EndpointGuards("traffic_center", config.traffic_center_guard, events="oso"),
        }

    def _ssl_context(self) -> ssl.SSLContext:
        ctx = client_context()
        if self.config.trust_store_pem is not None:
            ctx.load_verify_locations(cadata=self.config.trust_store_pem.decode("ascii"))
        cred = self.config.credential
        if cred is not None and cred.cert_path is not None and cred.key_path is not None:
            ctx.load_cert_chain(cred.cert_path, cred.key_path)
        return ctx

    async def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(
                total=None, sock_connect=self.config.connect_timeout, sock_read=self.config.read_timeout
            )
            self._session = aiohttp.ClientSession(timeout=timeout)
            self._own_session = True
        return self._session

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()

    async def call(
        self, url: str, operation: str, body: etree._Element, *, system: str, to_oin: str | None
    ) -> etree._Element:
        """Send ``<operation>Request`` and return the ``<operation>Response`` element."""
        answer = await self.call_streaming(url, operation, body, system=system, to_oin=to_oin, stream=False)
        return answer.response

    async def call_streaming(
        self, url: str, operation: str, body: etree._Element, *, system: str, to_oin: str | None, stream: bool = True
    ) -> Answer:
        """As `call`; an answer over ``config.stream_response_bytes`` is read as it arrives (`soap_stream`)."""
        policy = self.config.retry
        retrying = AsyncRetrying(
            stop=stop_after_attempt(policy.attempts),
            wait=lambda state: _backoff(policy, state),
            retry=retry_if_exception_type(_Retryable),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:  # a Transient from the guards is not retried here: it fails fast
                    return await self._guarded(url, operation, body, system=system, to_oin=to_oin, stream=stream)
        except _Retryable as exc:
            log.warning("oso_aanroep_mislukt", system=system, operation=operation, reden=str(exc))
            raise Transient(f"{system} {operation}: {exc}", waiting_for=system, retry_after=exc.retry_after) from exc
        raise AssertionError("unreachable")

    async def _guarded(
        self, url: str, operation: str, body: etree._Element, *, system: str, to_oin: str | None, stream: bool
    ) -> Answer:
        guards = self.guards.get(system)
        if guards is None:
            return await self._once(url, operation, body, system=system, to_oin=to_oin, stream=stream)
        async with guards.call(url, operation) as call:
            try:
                return await self._once(url, operation, body, system=system, to_oin=to_oin, stream=stream)
            except _Retryable as exc:
                call.failed(exc.retry_after)
                raise
            except RemoteFault:
                call.answered()  # the endpoint is alive; its verdict is permanent
                raise

    async def _once(
        self, url: str, operation: str, body: etree._Element, *, system: str, to_oin: str | None, stream: bool
    ) -> Answer:
        env = build_envelope(
            etree.fromstring(etree.tostring(body)),
            action=action_for(f"{operation}Request"),
            to=f"{url}?oin={to_oin}" if to_oin else url,
            from_address=f"{ANONYMOUS}?oin={self.config.gateway_oin}",
        )
        cred = self.config.credential
        if self.config.sign and cred is not None:
            sign_envelope(env, key=cred.key, certificate=cred.certificate)
        session = await self._get_session()
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action_for(operation + "Request")}"'}
        data: bytes | SoapStream = b""
        try:
            async with session.post(url, data=to_bytes(env), headers=headers, ssl=self._ssl) as resp:
                if resp.status in _RETRY_STATUS:
                    retry_after = resp.headers.get("Retry-After")
                    raise _Retryable(
                        f"HTTP {resp.status}",
                        float(retry_after) if retry_after and retry_after.isdigit() else None,
                    )
                data = await self._read(resp, f"{{{NS}}}{operation}Response" if stream else None)
                status = resp.status
        except BaseException as exc:
            if isinstance(data, SoapStream):  # read, but the connection failed as it was released
                data.discard()
            if isinstance(exc, aiohttp.ClientError | TimeoutError | ConnectionError):
                raise _Retryable(f"{type(exc).__name__}: {exc}") from exc
            raise
        dossier = None
        try:
            if isinstance(data, SoapStream):
                streamed = data.close()  # on refusal it closes its spool itself
                root, dossier = streamed.root, streamed.dossier
            else:
                root = parse_xml(data, huge=len(data) > HUGE_BYTES)
        except SoapRejected as exc:
            if status >= 500:
                raise _Retryable(f"HTTP {status} zonder SOAP-antwoord") from exc
            raise RemoteFault(system, [exc.finding]) from exc
        with _closed_unless_returned(dossier):
            faults = fault_findings(root)
            if faults is not None:
                raise RemoteFault(system, faults)
            found = root.find(f"{{{SOAP_ENV}}}Body/{{{NS}}}{operation}Response")
            if found is None:
                raise RemoteFault(
                    system,
                    [Finding("OSO_ANTWOORD_ONGELDIG", f"Het antwoord van {system} bevat geen {operation}Response.")],
                )
            return Answer(found, dossier, len(data) if isinstance(data, bytes) else 0)

    async def _read(self, resp: aiohttp.ClientResponse, stream_as: str | None = None) -> bytes | SoapStream:
        """The body under ``max_response_bytes``: as bytes, or — ``stream_as`` names the response element and
        the body grows past ``stream_response_bytes`` — fed as it arrives into a `SoapStream`, never held whole
        (abandoned on any failure while reading: its spool is closed)."""
        limit = self.config.max_response_bytes
        if resp.content_length is not None and resp.content_length > limit:
            raise _too_big(limit)
        threshold = self.config.stream_response_bytes
        size = 0
        buf = bytearray()
        sink: SoapStream | None = None
        try:
            async for chunk in resp.content.iter_chunked(256 * 1024):
                size += len(chunk)
                if size > limit:
                    raise _too_big(limit)
                if sink is not None:
                    sink.feed(chunk)
                    continue
                buf += chunk
                if stream_as is not None and size > threshold:
                    sink = SoapStream(stream_as, self.config.spool_dir)
                    sink.feed(bytes(buf))
                    buf = bytearray()
        except BaseException:
            if sink is not None:
                sink.discard()
            raise
        return sink if sink is not None else bytes(buf)


@contextlib.contextmanager
def _closed_unless_returned(spool: SealedSpool | None) -> Iterator[None]:
    """Close ``spool`` when the block raises (the answer is refused): its receiver never gets it."""
    try:
        yield
    except BaseException:
        if spool is not None:
            spool.close()
        raise


def _too_big(limit: int) -> RemoteFault:
    return RemoteFault("las", [Finding("OSO_ANTWOORD_TE_GROOT", f"Het antwoord is groter dan {limit} bytes.")])


class TrafficCenterClient:
    def __init__(self, soap: OsoSoapClient) -> None:
        self.soap = soap
        self.config = soap.config

    async def _call(self, operation: str, body: etree._Element) -> etree._Element:
        return await self.soap.call(
            self.config.traffic_center_url,
            operation,
            body,
            system="traffic_center",
            to_oin=self.config.traffic_center_oin,
        )

    async def overdracht(self, koppelsleutel: str) -> str:
        resp = await self._call(
            "overdracht",
            _el("overdrachtRequest", koppelsleutel=koppelsleutel, overdrachtsoort=self.config.overdrachtsoort),
        )
        sessie = _q(resp, "sessieId")
        if not sessie:
            raise RemoteFault(
                "traffic_center", [Finding("OSO_ANTWOORD_ONGELDIG", "overdrachtResponse zonder sessieId.")]
            )
        return sessie

    async def afmelding(
        self, sessie_id: str, koppelsleutel: str, resultaat: str, toelichting: str | None = None
    ) -> None:
        await self._call(
            "afmelding",
            _el(
                "afmeldingRequest",
                sessieId=sessie_id,
                koppelsleutel=koppelsleutel,
                resultaat=resultaat,
                toelichting=toelichting,
            ),
        )

    async def melden_terugkoppeling(self, koppelsleutel: str) -> str:
        resp = await self._call("meldenTerugkoppeling", _el("meldenTerugkoppelingRequest", koppelsleutel=koppelsleutel))
        endpoint = _q(resp, "endpoint")
        if not endpoint:
            raise RemoteFault(
                "traffic_center", [Finding("OSO_ANTWOORD_ONGELDIG", "Geen LAS-endpoint in het antwoord.")]
            )
        return endpoint


@dataclass(frozen=True)
class Aanvraag:
    """ASSUMPTION (docs/assumptions/oso.md): what the intern begeleider chose in ParnasSys."""

    aanvraagtype: str
    omschrijving: str | None
    opp: bool | None


@dataclass(frozen=True)
class DocumentResponse:
    """The aanvraag and the dossier of a documentResponse. A usual (small) answer's dossier was parsed with the
    answer (`ParsedDossier`); a big one's, read as it arrived, is a sealed spool on disk: read it with
    `open_dossier`, and `close` the response when done (it drops the spool's file and key; for a parsed one it
    does nothing)."""

    aanvraag: Aanvraag | None
    # the OSO gegevensset dossier: a small answer's parsed with it (a document of its own, read by the reader
    # without parsing it again); a big one's serialised on its own (namespaces included) into a sealed spool
    dossier_xml: ParsedDossier | SealedSpool

    @property
    def in_memory(self) -> bool:
        return isinstance(self.dossier_xml, ParsedDossier)

    @property
    def dossier_size(self) -> int:
        """The dossier's size in bytes; for a small answer, parsed whole, the answer's (the dossier and its
        envelope)."""
        return self.dossier_xml.size

    @contextlib.contextmanager
    def open_dossier(self) -> Iterator[ParsedDossier | BinaryIO]:
        """What `gateway.dossier.read_dossier` takes: the parsed dossier, or a reader decrypting the spool as it
        reads (closed when the block ends). A reader may still be busy in a thread when `close` runs: it keeps
        its own handle and finishes."""
        if isinstance(self.dossier_xml, ParsedDossier):
            yield self.dossier_xml
            return
        with self.dossier_xml.open() as reader:
            yield reader

    def close(self) -> None:
        if isinstance(self.dossier_xml, SealedSpool):
            self.dossier_xml.close()


class LasClient:
    def __init__(self, soap: OsoSoapClient) -> None:
        self.soap = soap

    async def document(self, url: str, sessie_id: str, koppelsleutel: str) -> DocumentResponse:
        """The dossier and the aanvraag; a big documentResponse is read as it arrives, the dossier written
        aside into a sealed spool (adapters.parnassys.soap_stream): memory bounded, not ≈ 5 × the answer. The
        caller closes the `DocumentResponse` after reading the dossier."""
        answer = await self.soap.call_streaming(
            url,
            "document",
            _el("documentRequest", sessieId=sessie_id, koppelsleutel=koppelsleutel),
            system="las",
            to_oin=self.soap.config.las_oin,
        )
        with _closed_unless_returned(answer.dossier):
            return self._document(answer)

    @staticmethod
    def _document(answer: Answer) -> DocumentResponse:
        resp = answer.response
        wrapper = resp.find(f"{{{NS}}}dossier")
        dossiers = [c for c in wrapper if isinstance(c.tag, str)] if wrapper is not None else []
        if len(dossiers) != 1:
            raise RemoteFault(
                "las", [Finding("OSO_DOSSIER_ONTBREEKT", "Het antwoord van ParnasSys bevat geen dossier.")]
            )
        aanvraag_el = resp.find(f"{{{NS}}}aanvraag")
        aanvraag = None
        if aanvraag_el is not None and _q(aanvraag_el, "aanvraagtype"):
            opp = _q(aanvraag_el, "opp")
            aanvraag = Aanvraag(
                aanvraagtype=_q(aanvraag_el, "aanvraagtype") or "",
                omschrijving=_q(aanvraag_el, "omschrijving"),
                opp=None if opp is None else opp in {"true", "1"},
            )
        dossier_xml: ParsedDossier | SealedSpool | None = answer.dossier
        if dossier_xml is None:  # the DOM path: the dossier, parsed with the answer, as a document of its own
            # (a copy in C, ≈ 0.3 ms for 414 kB, where serialising it for the reader to parse again took ≈ 1.1 ms)
            dossier_xml = ParsedDossier(copy.deepcopy(dossiers[0]), size=answer.size)
        return DocumentResponse(aanvraag=aanvraag, dossier_xml=dossier_xml)

    async def terugkoppeling(
        self, url: str, koppelsleutel: str, status: str, toelichting: str | None, datum: dt.datetime
    ) -> None:
        await self.soap.call(
            url,
            "terugkoppeling",
            _el(
                "terugkoppelingRequest",
                koppelsleutel=koppelsleutel,
                status=status,
                toelichting=toelichting,
                datum=datum.astimezone(dt.UTC).isoformat(),
            ),
            system="las",
            to_oin=self.soap.config.las_oin,
        )
