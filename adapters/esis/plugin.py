"""The ESIS capability plugged into the gateway: the intake API, its OpenAPI document, the exchange
handlers (``esis_aanvraag``, ``esis_wijziging``) and — when ``[mail] smtp_host`` is set — the mail sender.

Routes (all under ``/esis/v1``):
  GET  /openapi.yaml                       the API contract (schemas/esis/openapi.yaml)
  POST /verificatiecodes                   register a verification code (→ aangemeld)
  POST /aanvragen                          a new request (multipart: JSON part ``aanvraag`` + ``document`` parts)
  POST /aanvragen/{aanvraag_id}/wijzigingen  an update of a sent request (JSON part ``wijziging`` + documents)
  GET  /aanvragen/{aanvraag_id}            the status of a request (own vestiging only)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from adapters.esis.auth import Authenticator
from adapters.esis.config import EsisLimits
from adapters.esis.door import DoorRecorder
from adapters.esis.errors import ApiError, error_response
from adapters.esis.handler import EsisExchangeHandler
from adapters.esis.intake import KIND_AANVRAAG, KIND_WIJZIGING, EsisIntake
from adapters.esis.registration import CodeRegistration
from adapters.esis.status import EsisStatus
from gateway.components import Components
from gateway.logging import get_logger
from gateway.mail.sender import MailSender, MailSettings
from gateway.resources import resource_path

__all__ = ["OPENAPI_PATH", "install"]

log = get_logger(__name__)

OPENAPI_PATH = resource_path("schemas", "esis", "openapi.yaml")
PREFIX = "/esis/v1"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _answer(request: web.Request, err: ApiError) -> web.StreamResponse:
    log.info("esis_verzoek_geweigerd", status=err.status, codes=[f.code for f in err.findings[:10]], pad=request.path)
    resp = error_response(err)
    if not err.close:
        return resp
    # Refused mid-body (413/415): answer now and close, without reading the rest of the upload.
    await resp.prepare(request)
    await resp.write_eof()
    protocol = request.protocol
    if protocol is not None and hasattr(protocol, "force_close"):
        protocol.force_close()
    return resp


def _api(fn: Handler, door: DoorRecorder | None = None) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await fn(request)
        except ApiError as err:
            if door is not None:
                await door.record(request, err)  # an authenticated sender's refusal: shown in the queue
            return await _answer(request, err)

    return wrapped


def install(app: web.Application, c: Components) -> None:
    limits = EsisLimits.from_section(c.settings.section("esis"), max_document_bytes=c.settings.max_attachment_bytes)
    auth = Authenticator(c, limits)
    intake = EsisIntake(c, limits, auth)
    status = EsisStatus(c, auth)
    registration = CodeRegistration(c, limits, auth)
    c.extras["esis_auth"] = auth

    async def openapi(_: web.Request) -> web.Response:
        return web.Response(body=OPENAPI_PATH.read_bytes(), content_type="application/yaml")

    app.router.add_get(f"{PREFIX}/openapi.yaml", openapi)
    app.router.add_post(f"{PREFIX}/verificatiecodes", _api(registration.post))
    door = DoorRecorder(c)
    app.router.add_post(f"{PREFIX}/aanvragen", _api(intake.create, door))
    app.router.add_post(f"{PREFIX}/aanvragen/{{aanvraag_id}}/wijzigingen", _api(intake.update, door))
    app.router.add_get(f"{PREFIX}/aanvragen/{{aanvraag_id}}", _api(status.get))

    handler = EsisExchangeHandler(c)
    c.handlers[KIND_AANVRAAG] = handler
    c.handlers[KIND_WIJZIGING] = handler

    mail = MailSettings.from_section(c.settings.section("mail"))
    if mail.enabled and c.settings.runs_workers:  # an intake-only process leaves sending to the workers
        app.cleanup_ctx.append(_mail_sender(MailSender(c.db, mail)))


def _mail_sender(sender: MailSender) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(_: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(sender.run(stop))
        log.info("mail_verzender_gestart", smtp_host=sender.settings.smtp_host)
        yield
        stop.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return ctx
