"""The inbound OSO-SWV endpoint: ``POST <path>`` (notificatieRequest) and ``GET <path>?wsdl``.

Intake order (cheap and local first; nothing slow before the acknowledgement, DESIGN.md §1):
1. who is calling — TLS client certificate (or one forwarded by a trusted proxy), chained to the trust
   store, OIN registered as sending system;
2. SOAP 1.1 over HTTP (`adapters.parnassys.transport`): ``Content-Type: text/xml`` in UTF-8; the body, refused
   before it is read whole when it exceeds ``max_body_bytes``, and its XML encoding;
3. hardened SOAP parse, operation, the ``SOAPAction`` header, WS-Addressing (Action, MessageID, From/To OINs);
4. 2W-be-S senders: the WS-Security signature (`wssec.verify_envelope`), then the MessageID replay guard;
5. the notificatie's fields and the intake sender checks — refusals of an authenticated sender are recorded
   with ``inbox.record_refusal``; steps 1–4 are only logged and answered with a fault;
6. ``inbox.put`` — and only after it returned, ``NotificatieOntvangen``.

Replies and faults carry a signed ``wsse:Security`` header only for a sender whose `SenderConfig.signs_replies`
(2W-be-S by default); a caller not yet identified gets an unsigned fault. The WSDL's address comes from
``public_url`` only, never from the request's Host header.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import structlog
from aiohttp import web
from lxml import etree

from adapters.parnassys.config import EndpointConfig
from adapters.parnassys.handoff import KIND, NotificatieHandoff
from adapters.parnassys.identity import CertificateGate, ClientIdentity
from adapters.parnassys.notificatie import Notificatie, check_notificatie, notificatie_response, read_notificatie
from adapters.parnassys.ports import Inbox, ReplayGuard, SenderChecks, Unit
from adapters.parnassys.refusals import refusal
from adapters.parnassys.soap import (
    ANONYMOUS,
    NS,
    Envelope,
    SoapRejected,
    action_for,
    build_envelope,
    build_fault,
    oin_from_address,
    parse_envelope,
    to_bytes,
)
from adapters.parnassys.transport import check_body_encoding, check_content_type, check_soap_action
from adapters.parnassys.wsdl import served_wsdl, types_xsd
from adapters.parnassys.wssec import sign_envelope, verify_envelope
from gateway.pipeline.contracts import NewExchange
from verification.findings import Finding

__all__ = ["NotificatieEndpoint", "notificatie_routes", "read_limited"]

log = structlog.get_logger("adapters.parnassys.endpoint")
_XML = "text/xml"
_CHUNK = 16 * 1024


async def read_limited(request: web.Request, limit: int, within: float = 3.0) -> bytes:
    """The request body, or `SoapRejected`: 413 as soon as it is known to exceed ``limit`` bytes, 408 when it
    has not fully arrived ``within`` seconds (a trickling or stalled sender must not hold a handler)."""
    too_big = SoapRejected(refusal("SOAP_TE_GROOT", "HTTP body", limit=limit), status=413)
    if request.content_length is not None and request.content_length > limit:
        raise too_big
    buf = bytearray()
    try:
        async with asyncio.timeout(within):
            async for chunk in request.content.iter_chunked(_CHUNK):
                buf += chunk
                if len(buf) > limit:
                    raise too_big
    except TimeoutError:
        raise SoapRejected(refusal("SOAP_TE_TRAAG", "HTTP body", seconds=within), status=408) from None
    return bytes(buf)


def _replayed(message_id: str) -> SoapRejected:
    return SoapRejected(refusal("WSA_MESSAGEID_HERHAALD", "wsa:MessageID", message_id=message_id[:80]))


class NotificatieEndpoint:
    def __init__(
        self,
        config: EndpointConfig,
        *,
        inbox: Inbox,
        sender_checks: SenderChecks,
        replay_guard: ReplayGuard,
    ) -> None:
        self.config = config
        self.inbox = inbox
        self.sender_checks = sender_checks
        self.replay_guard = replay_guard
        self.gate = CertificateGate(
            trust_store_pem=config.trust_store_pem,
            senders=config.senders,
            trusted_proxies=config.trusted_proxies,
            proxy_header=config.proxy_header,
        )

    # -- HTTP ---------------------------------------------------------------------------------------------

    async def get(self, request: web.Request) -> web.Response:
        if "wsdl" in request.query:
            text = served_wsdl("oso-swv.wsdl", self.config.address)
            return web.Response(text=text, content_type=_XML, charset="utf-8")
        if request.query.get("xsd") == "oso-types.xsd":
            return web.Response(text=types_xsd(), content_type=_XML, charset="utf-8")
        return web.Response(status=404, text="Gebruik ?wsdl voor de WSDL van dit OSO-endpoint.\n")

    async def post(self, request: web.Request) -> web.Response:
        env: Envelope | None = None
        identity: ClientIdentity | None = None
        try:
            identity = self._identify(request)
            check_content_type(request.headers.get("Content-Type"))
            body = await read_limited(request, self.config.max_body_bytes, self.config.body_timeout)
            check_body_encoding(body)
            env = parse_envelope(body)
            self._check_operation(env)
            check_soap_action(
                request.headers.get("SOAPAction"),
                expected=action_for("notificatieRequest"),
                operation="notificatieRequest",
            )
            self._check_addressing(env, identity)
            if identity.sender.profile == "2W-be-S":
                verify_envelope(
                    env,
                    tls_certificate=identity.certificate,
                    max_skew=self.config.max_clock_skew,
                    max_age=self.config.max_message_age,
                )
            if not hasattr(self.replay_guard, "sighting"):  # a guard that cannot join the inbox's transaction
                await self._check_replay(env)
        except SoapRejected as exc:
            return await self._transport_fault(request, exc, env, identity)
        assert env is not None and identity is not None
        try:
            return await self._accept(env, body, identity)
        except SoapRejected as exc:  # a replayed MessageID, found in the transaction that would store it
            return await self._transport_fault(request, exc, env, identity)

    async def _transport_fault(
        self, request: web.Request, exc: SoapRejected, env: Envelope | None, identity: ClientIdentity | None
    ) -> web.Response:
        log.warning(
            "notificatie_geweigerd_transport",
            finding_code=exc.finding.code,
            reden=exc.finding.message,
            remote=request.remote,
            sender_oin=identity.oin if identity is not None else None,
        )
        relates = env.addressing.message_id if env is not None else None
        response = self._reply_fault([exc.finding], status=exc.status, relates_to=relates, to=identity)
        if exc.status in (408, 413, 415):  # answer, then hang up: do not linger reading the rest of the body
            response.force_close()
            await response.prepare(request)
            await response.write_eof()
            request.protocol.force_close()
        return response

    # -- steps --------------------------------------------------------------------------------------------

    def _identify(self, request: web.Request) -> ClientIdentity:
        peer_der: bytes | None = None
        transport = request.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        if isinstance(ssl_object, ssl.SSLObject | ssl.SSLSocket):
            peer_der = ssl_object.getpeercert(binary_form=True)
        return self.gate.identify(peer_der=peer_der, remote=request.remote, headers=request.headers)

    def _check_operation(self, env: Envelope) -> None:
        if env.operation_ns != NS or env.operation_name != "notificatieRequest":
            raise SoapRejected(refusal("SOAP_ONBEKENDE_OPERATIE", "soap:Body", operation=env.operation_name[:80]))

    def _check_addressing(self, env: Envelope, identity: ClientIdentity) -> None:
        wsa = env.addressing
        if not wsa.action:
            raise SoapRejected(refusal("WSA_ACTION_ONTBREEKT", "wsa:Action"))
        if wsa.action != action_for("notificatieRequest"):
            raise SoapRejected(
                refusal("WSA_ACTION_ONJUIST", "wsa:Action", action=wsa.action[:120], operation="notificatieRequest")
            )
        if not wsa.message_id:
            raise SoapRejected(refusal("WSA_MESSAGEID_ONTBREEKT", "wsa:MessageID"))
        claimed = oin_from_address(wsa.from_address)
        if claimed is None and self.config.require_from_oin:
            raise SoapRejected(refusal("WSA_FROM_OIN_ONTBREEKT", "wsa:From"))
        if claimed is not None and claimed != identity.oin:
            raise SoapRejected(
                refusal("WSA_FROM_OIN_AFWIJKEND", "wsa:From", claimed=claimed[:20], certified=identity.oin)
            )
        to_oin = oin_from_address(wsa.to)
        if to_oin is not None and to_oin != self.config.gateway_oin:
            raise SoapRejected(
                refusal("WSA_TO_OIN_AFWIJKEND", "wsa:To", claimed=to_oin[:20], ours=self.config.gateway_oin)
            )

    def _replay_window(self, env: Envelope) -> tuple[str, dt.datetime]:
        message_id = env.addressing.message_id or ""
        return message_id[:200], dt.datetime.now(dt.UTC) + self.config.max_message_age + 2 * self.config.max_clock_skew

    async def _check_replay(self, env: Envelope) -> None:
        message_id, until = self._replay_window(env)
        if not await self.replay_guard.first_seen(message_id, until):
            raise _replayed(message_id)

    def _sighting(self, env: Envelope) -> Unit | None:
        """The replay check as part of the transaction that stores the exchange (or its refusal), when the guard
        can: one transaction per notificatie instead of two; raises the replay refusal inside it (rolled back)."""
        sighting = getattr(self.replay_guard, "sighting", None)
        if sighting is None:
            return None
        message_id, until = self._replay_window(env)
        first_seen = sighting(message_id, until)

        def unit(s: Any) -> None:  # the core's session, passed on
            if not first_seen(s):
                raise _replayed(message_id)

        return unit

    async def _accept(self, env: Envelope, body: bytes, identity: ClientIdentity) -> web.Response:
        relates = env.addressing.message_id
        values, findings = read_notificatie(env.operation)
        notificatie, more = check_notificatie(values, own_doel_routeringskenmerken=self.config.doel_routeringskenmerken)
        findings += more
        new = self._new_exchange(values, body, identity, env)
        first = self._sighting(env) if new is not None else None
        if new is None and hasattr(self.replay_guard, "sighting"):  # nothing will be stored: the sighting alone
            await self._check_replay(env)
        if notificatie is not None:
            checks = await self.sender_checks.at_intake(notificatie)
            findings += [f for f in checks if f.blocking]
            warnings = [f for f in checks if not f.blocking]
            if warnings and new is not None and isinstance(new.handoff, NotificatieHandoff):
                noted = replace(new.handoff, intake_waarschuwingen=tuple(f.to_dict() for f in warnings))
                new = replace(new, handoff=noted)
        if findings:
            log.info(
                "notificatie_geweigerd",
                finding_code=findings[0].code,
                reden=findings[0].message,
                sender_oin=identity.oin,
                key=new.key if new else None,
            )
            if new is not None:
                try:
                    await self.inbox.record_refusal(new, findings, first=first)
                except SoapRejected:
                    raise  # a replay: answered as such, nothing stored
                except Exception:  # the refusal is still answered; nothing else was stored
                    log.exception("notificatie_weigering_niet_vastgelegd", key=new.key)
            return self._reply_fault(findings, status=500, relates_to=relates, to=identity)
        assert notificatie is not None and new is not None
        try:
            result = await self.inbox.put(new, first=first)
        except SoapRejected:
            raise  # a replay: answered as such, nothing stored
        except Exception:
            log.exception("notificatie_niet_vastgelegd", key=new.key)
            return self._reply_fault(
                [refusal("INTAKE_TIJDELIJK_NIET_BESCHIKBAAR")], status=503, relates_to=relates, server=True, to=identity
            )
        log.info(
            "notificatie_ontvangen",
            key=new.key,
            exchange_id=result.exchange_id,
            nieuw=result.created,
            correlation_id=result.correlation_id,
            sender_oin=identity.oin,
        )
        return self._reply(notificatie_response(), "notificatieResponse", relates_to=relates, to=identity)

    def _new_exchange(
        self, values: dict[str, str], body: bytes, identity: ClientIdentity, env: Envelope
    ) -> NewExchange | None:
        koppelsleutel = values.get("koppelsleutel")
        key = Notificatie.key_for(koppelsleutel) if koppelsleutel else None
        if key is None:
            return None
        partial = Notificatie.partial(values)
        return NewExchange(
            key=key,
            source="parnassys",
            kind=KIND,
            swv_code=self.config.swv_code,
            payload=body,
            brin6=partial.brin6 if partial is not None else None,
            handoff=NotificatieHandoff(
                fields=dict(values),
                sender_oin=identity.oin,
                sender_profile=identity.sender.profile,
                sender_via=identity.via,
                wsa_message_id=(env.addressing.message_id or "")[:200],  # a trace note, as the replay guard keeps it
            ),
        )

    # -- replies ------------------------------------------------------------------------------------------

    def _finish(self, env: etree._Element, status: int, to: ClientIdentity | None) -> web.Response:
        if self.config.signing is not None and to is not None and to.sender.signs_replies:
            sign_envelope(env, key=self.config.signing.key, certificate=self.config.signing.certificate)
        return web.Response(body=to_bytes(env), status=status, content_type=_XML, charset="utf-8")

    def _reply(
        self, body_child: etree._Element, operation: str, *, relates_to: str | None, to: ClientIdentity
    ) -> web.Response:
        env = build_envelope(
            body_child,
            action=action_for(operation),
            to=ANONYMOUS,
            from_address=f"{ANONYMOUS}?oin={self.config.gateway_oin}",
            relates_to=relates_to,
        )
        return self._finish(env, 200, to)

    def _reply_fault(
        self,
        findings: Sequence[Finding],
        *,
        status: int,
        relates_to: str | None,
        to: ClientIdentity | None,
        server: bool = False,
    ) -> web.Response:
        env = build_fault(
            list(findings),
            server=server,
            relates_to=relates_to,
            from_address=f"{ANONYMOUS}?oin={self.config.gateway_oin}",
        )
        return self._finish(env, status, to)


def notificatie_routes(
    config: EndpointConfig,
    *,
    inbox: Inbox,
    sender_checks: SenderChecks,
    replay_guard: ReplayGuard,
) -> list[web.RouteDef]:
    """Routes for an aiohttp application: ``POST``/``GET`` on ``config.path``."""
    endpoint = NotificatieEndpoint(config, inbox=inbox, sender_checks=sender_checks, replay_guard=replay_guard)
    return [web.post(config.path, endpoint.post), web.get(config.path, endpoint.get)]
