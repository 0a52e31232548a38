"""The status of an ESIS request (`GET /esis/v1/aanvragen/{id}`), for the code's own vestiging only.

Requests are looked up under the authenticated code's vestiging and environment, so another school's
request is simply not found (404) — its existence is not revealed.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import or_, select
from sqlmodel import col

from adapters.esis.auth import Authenticator
from adapters.esis.errors import refused
from adapters.esis.intake import exchange_key, request_key
from adapters.esis.wire import AANVRAAG_ID
from gateway.components import Components
from gateway.store.models import Bijlage, Exchange, Hulpvraag

__all__ = ["EsisStatus"]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_SETTLED = {"verwerkt", "geweigerd", "vastgehouden"}


def _outcome(first: Exchange, hulpvraag: dict[str, Any] | None) -> dict[str, Any]:
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
        async with self.c.db.reader() as s:
            exchanges = list(
                (
                    await s.exec(  # type: ignore[call-overload]
                        select(Exchange)
                        .where(
                            or_(
                                col(Exchange.key) == key,
                                col(Exchange.key).like(_like_escape(key) + ":w:%", escape="\\"),
                            ),
                            col(Exchange.brin6) == sender.brin6,
                        )
                        .order_by(col(Exchange.id))
                    )
                ).scalars()
            )
            if not exchanges or exchanges[0].key != key:
                raise not_found
            hv = (
                (
                    await s.exec(  # type: ignore[call-overload]
                        select(Hulpvraag).where(col(Hulpvraag.esis_request_key) == request_key(sender, aanvraag_id))
                    )
                )
                .scalars()
                .first()
            )
            hulpvraag: dict[str, Any] | None = None
            if hv is not None and hv.brin6 == sender.brin6:
                bijlagen = (
                    await s.exec(select(Bijlage).where(col(Bijlage.hulpvraag_id) == hv.id).order_by(col(Bijlage.id)))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                ).scalars()
                hulpvraag = {
                    "nummer": hv.id,
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
                        for b in bijlagen
                    ],
                }
        body = {
            "esis_aanvraag_id": aanvraag_id,
            "uitkomst": _outcome(exchanges[0], hulpvraag),
            "uitwisselingen": [
                {
                    "uitwisseling_id": e.id,
                    "soort": "aanvraag" if e.key == key else "wijziging",
                    "status": e.state,
                    "stap": e.step,
                    "ontvangen_op": _iso(e.received_at),
                    "afgerond_op": _iso(e.finished_at),
                    "bevindingen": e.findings,
                }
                for e in exchanges
            ],
            "hulpvraag": hulpvraag,
        }
        return web.json_response(body)
