"""Refusals at the ESIS door of an *authenticated* sender, recorded so the secretariaat sees them in the queue.

A request with a valid, active verificatiecode that is then refused before it becomes an exchange (403 wrong
vestiging, 415 wrong content type, 413 too large, 422 invalid, 409 conflicting resend, 404 unknown request)
is stored as a refused exchange: the vestiging, the ESIS environment, the HTTP status, the path, the
aanvraagtype the request named (when it was read) and the findings — nothing else of the payload (the
reason's own sentence is all the secretariaat needs). Unauthenticated refusals (401, 429) stay log events:
anyone can produce those, and they name no school we can trust.
"""

from __future__ import annotations

import uuid

from aiohttp import web

from adapters.esis.errors import ApiError
from gateway.components import Components
from gateway.logging import get_logger
from gateway.pipeline.contracts import NewExchange
from gateway.pipeline.ports.exchanges import mark_payload_purged
from gateway.registry.codes import VerifiedSender

__all__ = ["DOOR_KIND", "NAMED_AANVRAAGTYPE", "SENDER", "DoorRecorder"]

log = get_logger(__name__)

DOOR_KIND = "esis_geweigerd_aan_de_deur"
SENDER: web.RequestKey[VerifiedSender] = web.RequestKey("esis_sender", VerifiedSender)
# the aanvraagtype the request named (no pupil data), when it was read before the refusal
NAMED_AANVRAAGTYPE: web.RequestKey[str] = web.RequestKey("esis_aanvraagtype", str)
_NOT_RECORDED = frozenset({401, 429})
MAX_FINDINGS = 20


class DoorRecorder:
    def __init__(self, c: Components) -> None:
        self.c = c

    async def record(self, request: web.Request, err: ApiError) -> None:
        sender = request.get(SENDER)
        if sender is None or err.status in _NOT_RECORDED or request.method != "POST":
            return
        new = NewExchange(
            key=f"esis-deur:{uuid.uuid4()}",
            source="esis",
            kind=DOOR_KIND,
            swv_code=self.c.settings.swv_code,
            payload=b"",  # nothing of the request is kept
            brin6=sender.brin6,
            meta={
                "omgeving": sender.environment,
                "code_id": sender.code_id,
                "vingerafdruk": sender.fingerprint,
                "http_status": err.status,
                "pad": request.path[:200],
                **({"aanvraagtype": named} if (named := request.get(NAMED_AANVRAAGTYPE)) else {}),
            },
        )
        try:
            result = await self.c.inbox.record_refusal(new, err.findings[:MAX_FINDINGS])
            await mark_payload_purged(self.c.db, result.exchange_id)  # there is nothing to offer again
        except Exception:  # the refusal is answered even when recording it fails; the log keeps it
            log.exception("esis_weigering_niet_vastgelegd", brin6=sender.brin6, status=err.status)
