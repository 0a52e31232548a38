"""The status of an ESIS request (`GET /esis/v1/aanvragen/{id}`), for the code's own vestiging only.

Requests are looked up under the authenticated code's vestiging and environment, so another school's
request is simply not found (404) — its existence is not revealed.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from adapters.esis.auth import Authenticator
from adapters.esis.errors import refused
from adapters.esis.intake import exchange_key, request_key
from adapters.esis.wire import AANVRAAG_ID
from gateway.components import Components
from gateway.pipeline.ports.exchanges import ExchangeView, exchanges_of_request
from gateway.pipeline.ports.requests import StoredRequest, read_request

__all__ = ["EsisStatus"]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


_SETTLED = {"verwerkt", "geweigerd", "vastgehouden"}


def _outcome(first: ExchangeView, hulpvraag: dict[str, Any] | None) -> dict[str, Any]:
    """How the request itself ended (its first exchange): also a refusal after the 202 answer."""
    state = first.state if first.state in _SETTLED else "in_behandeling"
    findings = list(first.findings or [])
    if state == "verwerkt":
        bericht = f"Verwerkt als hulpvraag {hulpvraag['nummer']}." if hulpvraag else "Verwerkt."
    elif state == "geweigerd":
        bericht = str(findings[0]["message"]) if findings else "Geweigerd."
    elif state == "vastgehouden":
        bericht = "Het secretariaat beoordeelt deze aanvraag" + (f": {findings[0]['message']}" if findings else ".")
    else:
        bericht = "De aanvraag is ontvangen en wordt verwerkt."
    return {
        "status": state,
        "afgerond": state in ("verwerkt", "geweigerd"),
        "bericht": bericht,
        "bevindingen": findings,
    }


def _hulpvraag(hv: StoredRequest) -> dict[str, Any]:
    return {
        "nummer": hv.hulpvraag_id,
        "status": hv.status,
        "aanvraagtype": hv.aanvraagtype,
        "omschrijving": hv.omschrijving,
        "coordinator": hv.coordinator,
        "aangemaakt_op": _iso(hv.created_at),
        "bijgewerkt_op": _iso(hv.updated_at),
        "documenten": [
            {
                "bestandsnaam": b.bestandsnaam,
                "sha256": b.sha256,
                "grootte": b.size,
                "type": b.detected_type,
                "soort": b.role,
                "ingetrokken": b.removed,
            }
            for b in hv.bijlagen
        ],
    }


def _exchange(e: ExchangeView, key: str) -> dict[str, Any]:
    return {
        "uitwisseling_id": e.id,
        "soort": "aanvraag" if e.key == key else "wijziging",
        "status": e.state,
        "stap": e.step,
        "ontvangen_op": _iso(e.received_at),
        "afgerond_op": _iso(e.finished_at),
        "bevindingen": e.findings,
    }


class EsisStatus:
    def __init__(self, c: Components, auth: Authenticator) -> None:
        self.c, self.auth = c, auth

    async def get(self, request: web.Request) -> web.Response:
        sender = await self.auth.authenticate(request)
        aanvraag_id = request.match_info["aanvraag_id"]
        not_found = refused(
            404, "ESIS_AANVRAAG_ONBEKEND", "aanvraag_id", variant="status", aanvraag_id=aanvraag_id[:64]
        )
        if not AANVRAAG_ID.fullmatch(aanvraag_id):
            raise not_found
        key = exchange_key(sender, aanvraag_id)
        exchanges = await exchanges_of_request(self.c.db, key, followed_by=":w:", brin6=sender.brin6)
        if not exchanges or exchanges[0].key != key:
            raise not_found
        hv = await read_request(self.c.db, "esis", request_key(sender, aanvraag_id))
        hulpvraag = _hulpvraag(hv) if hv is not None and hv.brin6 == sender.brin6 else None
        body = {
            "esis_aanvraag_id": aanvraag_id,
            "uitkomst": _outcome(exchanges[0], hulpvraag),
            "uitwisselingen": [_exchange(e, key) for e in exchanges],
            "hulpvraag": hulpvraag,
        }
        return web.json_response(body)
