"""ParnasSys LAS SIMULATOR (test double; never used by `gateway serve`).

Plays the school's side of OSO-SWV: registers a notificatie at the Traffic Center (simulator) and sends
``notificatieRequest`` to a gateway; answers ``documentRequest`` — after checking the session at the TC —
with a dossier from the dossier factory (or a given file, e.g. the official POSWV example) plus our
``aanvraag`` block; records ``terugkoppelingRequest``. Scriptable per koppelsleutel or for all:
``slow:<s>``, ``503``, ``reset``, ``wrong_dossier``, ``not_ready``, ``invalid``.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import web
from lxml import etree

from adapters.parnassys.client import OsoSoapClient, RemoteFault
from adapters.parnassys.config import ClientConfig
from adapters.parnassys.simulator.soapapp import SimFault, fields, soap_handler
from adapters.parnassys.simulator.traffic_center import TrafficCenterSimulator
from adapters.parnassys.soap import ANONYMOUS, NS, SOAP_ENV, WSA, action_for

__all__ = ["LAS_OIN", "LasSimulator", "PreparedDossier"]

LAS_OIN = "00000003273000000000"  # Topicus-like test OIN for the simulated ParnasSys
_PROLOG = re.compile(rb"^\s*<\?xml[^>]*\?>\s*")


@dataclass
class PreparedDossier:
    dossier: bytes | None = None  # None: built by the dossier factory
    aanvraagtype: str | None = "Ondersteuningsaanvraag schoolgaand kind"
    omschrijving: str | None = "Graag overleg over passende ondersteuning."
    opp: bool | None = True
    factory_options: dict[str, Any] = field(default_factory=dict)
    brin: str | None = None  # the school the dossier is of (default: the notificatie's bronBrin)


@dataclass
class LasSimulator:
    client: OsoSoapClient  # to the TC simulator and to the gateway (config.gateway_oin = our own OIN)
    brin: str = "14SS"
    default_behaviour: str = "ok"
    default_dossier: bytes | None = None  # e.g. the official POSWV example, read once
    behaviours: dict[str, str] = field(default_factory=dict)
    prepared: dict[str, PreparedDossier] = field(default_factory=dict)
    terugkoppelingen: list[dict[str, str]] = field(default_factory=list)
    document_requests: int = 0
    _factory_cache: dict[str, bytes] = field(default_factory=dict)
    traffic_center: TrafficCenterSimulator | None = None  # set: sessions are checked by a call in-process
    last_koppelsleutel: str | None = None

    # -- as sender ------------------------------------------------------------------------------------------

    async def send_notificatie(
        self,
        gateway_url: str,
        *,
        gateway_oin: str | None = None,
        routeringskenmerk: str = "0000000700014SS00500",
        doel_routeringskenmerk: str = "00000001800000000001",
        prepared: PreparedDossier | None = None,
        behaviour: str | None = None,
        brin: str | None = None,
    ) -> str:
        """Register at the TC, then notify the gateway. Returns the koppelsleutel; a fault raises RemoteFault
        (after the koppelsleutel was recorded in ``last_koppelsleutel``)."""
        brin = brin or self.brin
        values = {
            "bronBrin": brin,
            "bronRouteringsKenmerk": routeringskenmerk,
            "doelBrin": brin,
            "doelRouteringsKenmerk": doel_routeringskenmerk,
        }
        tc = self.client.config
        resp = await self.client.call(
            tc.traffic_center_url,
            "meldenNotificatie",
            _request("meldenNotificatie", {**values, "doel": "SWV"}),
            system="traffic_center",
            to_oin=tc.traffic_center_oin,
        )
        koppelsleutel = resp.findtext(f"{{{NS}}}koppelsleutel") or ""
        p = prepared or PreparedDossier()
        self.prepared[koppelsleutel] = p if p.brin else replace(p, brin=brin)
        self.last_koppelsleutel = koppelsleutel
        if behaviour:
            self.behaviours[koppelsleutel] = behaviour
        await self.client.call(
            gateway_url,
            "notificatie",
            _request("notificatie", {**values, "koppelsleutel": koppelsleutel, "doel": "SWV"}),
            system="gateway",
            to_oin=gateway_oin,
        )
        return koppelsleutel

    # -- as server -----------------------------------------------------------------------------------------

    def _dossier(self, koppelsleutel: str, p: PreparedDossier, behaviour: str) -> bytes:
        if behaviour == "wrong_dossier":
            return self._factory({"brin": "99XX", "leerlingid": "ander-kind"})
        if behaviour == "invalid":
            return self._factory({"brin": p.brin or self.brin, "mutation": "bsn"})
        if p.dossier is not None:
            return p.dossier
        if self.default_dossier is not None and not p.factory_options:
            return self.default_dossier
        return self._factory({"brin": p.brin or self.brin, **p.factory_options})

    def _factory(self, options: dict[str, Any]) -> bytes:
        key = repr(sorted(options.items()))
        if key not in self._factory_cache:
            from adapters.parnassys.dossier_factory import build_dossier

            self._factory_cache[key] = build_dossier(**options)
        return self._factory_cache[key]

    async def document(self, request: web.Request) -> web.StreamResponse:
        body = await request.content.read(1024 * 1024)
        try:
            from adapters.parnassys.soap import parse_envelope

            env = parse_envelope(body)
        except Exception:
            return web.Response(status=400, text="geen SOAP")
        name = env.operation_name
        if name == "terugkoppelingRequest":
            self.terugkoppelingen.append(fields(env.operation))
            return _raw_reply("terugkoppeling", b"<oso:resultaat>TerugkoppelingOntvangen</oso:resultaat>", env)
        if name != "documentRequest":
            return await soap_handler(self.client.config.gateway_oin, {})(request)
        self.document_requests += 1
        f = fields(env.operation)
        koppelsleutel = f.get("koppelsleutel", "")
        behaviour = self.behaviours.get(koppelsleutel, self.default_behaviour)
        if behaviour.startswith("slow:"):
            await asyncio.sleep(float(behaviour.split(":", 1)[1]))
        elif behaviour == "503":
            return web.Response(status=503, text="tijdelijk niet beschikbaar")
        elif behaviour == "reset":
            if request.transport is not None:
                request.transport.abort()
            raise web.HTTPServiceUnavailable()
        try:
            await self._check_session(f)
        except RemoteFault as exc:
            return _fault(exc.findings[0].code, exc.findings[0].message, env)
        except SimFault as exc:
            return _fault(exc.finding.code, exc.finding.message, env)
        if behaviour == "not_ready":
            return _fault("DossierNietGereed", "Het dossier is nog niet gereed.", env)
        p = self.prepared.get(koppelsleutel, PreparedDossier())
        dossier = _PROLOG.sub(b"", self._dossier(koppelsleutel, p, behaviour), count=1)
        aanvraag = b""
        if p.aanvraagtype:
            aanvraag = b"<oso:aanvraag><oso:aanvraagtype>" + _x(p.aanvraagtype) + b"</oso:aanvraagtype>"
            if p.omschrijving:
                aanvraag += b"<oso:omschrijving>" + _x(p.omschrijving) + b"</oso:omschrijving>"
            if p.opp is not None:
                aanvraag += b"<oso:opp>" + (b"true" if p.opp else b"false") + b"</oso:opp>"
            aanvraag += b"</oso:aanvraag>"
        return _raw_reply("document", aanvraag + b"<oso:dossier>" + dossier + b"</oso:dossier>", env)

    async def _check_session(self, f: dict[str, str]) -> None:
        """Ask the Traffic Center whether the gateway's session belongs to this koppelsleutel."""
        if self.traffic_center is not None:
            await self.traffic_center.sessiecontrole(f, None)
            return
        tc = self.client.config
        await self.client.call(
            tc.traffic_center_url,
            "sessiecontrole",
            _request("sessiecontrole", f),
            system="traffic_center",
            to_oin=tc.traffic_center_oin,
        )

    def app(self, path: str = "/oso/las") -> web.Application:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post(path, self.document)
        return app


def _x(text: str) -> bytes:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode()


def _request(operation: str, values: dict[str, str]) -> etree._Element:
    el = etree.Element(f"{{{NS}}}{operation}Request", nsmap={"oso": NS})
    for k, v in values.items():
        etree.SubElement(el, f"{{{NS}}}{k}").text = v
    return el


def _raw_reply(operation: str, inner: bytes, env: Any) -> web.Response:
    """A reply assembled as bytes: the dossier is copied in as it is, never parsed by the simulator."""
    relates = (env.addressing.message_id or "").encode()
    head = (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_ENV}" xmlns:wsa="{WSA}" '
        f'xmlns:oso="{NS}"><soap:Header><wsa:Action>{action_for(operation + "Response")}</wsa:Action>'
        f"<wsa:MessageID>urn:uuid:{uuid.uuid4()}</wsa:MessageID><wsa:RelatesTo>"
    ).encode()
    mid = (
        f"</wsa:RelatesTo><wsa:From><wsa:Address>{ANONYMOUS}?oin={LAS_OIN}</wsa:Address></wsa:From></soap:Header>"
        f"<soap:Body><oso:{operation}Response>"
    ).encode()
    tail = f"</oso:{operation}Response></soap:Body></soap:Envelope>".encode()
    return web.Response(body=head + _x(relates.decode()) + mid + inner + tail, content_type="text/xml", charset="utf-8")


def _fault(code: str, message: str, env: Any) -> web.Response:
    from adapters.parnassys.soap import build_fault, to_bytes
    from verification.findings import Finding

    fault = build_fault([Finding(code, message)], relates_to=env.addressing.message_id)
    return web.Response(body=to_bytes(fault), status=500, content_type="text/xml", charset="utf-8")


__all__ += ["LAS_OIN", "ClientConfig", "SimFault"]
