"""The ESIS intake: new requests (`POST /esis/v1/aanvragen`) and updates
(`POST /esis/v1/aanvragen/{id}/wijzigingen`).

Synchronous and cheap, in this order, so that a request is refused before its documents are read whenever
possible: verification code → JSON → vestiging of the code (403) → SWV (422) → aanvraagtype, exactly as the
SWV words it (422 with the closest wordings) → the declared documents against the aanvraagtype's rules →
documents streamed into the blob store (413/415) → one `inbox.put` → 202 with the exchange id and a status
URL. A refusal stores nothing in the database; documents already streamed stay as unreferenced
content-addressed blobs.

Idempotency: a new request's inbox key is its ESIS request id (``esis:<BRIN6>/<omgeving>:<id>``), so a
retried create returns the first answer and never makes a second hulpvraag; an update's key is its
``Idempotency-Key`` header (or, without one, a hash of its content). The same key with different content is
refused (409).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from aiohttp import web

from adapters.esis.auth import Authenticator
from adapters.esis.config import EsisLimits
from adapters.esis.door import NAMED_AANVRAAGTYPE
from adapters.esis.errors import ApiError, refused
from adapters.esis.handoff import (
    KIND_AANVRAAG,
    KIND_WIJZIGING,
    AanvraagFields,
    EsisAanvraagHandoff,
    EsisWijzigingHandoff,
    HandoffDocument,
    Withdrawal,
)
from adapters.esis.refusals import refusal, refusal_message
from adapters.esis.upload import (
    PARSE_ERRORS,
    PendingDocuments,
    StoredDocument,
    media_type,
    read_json_body,
    read_json_part,
    stream_documents,
)
from adapters.esis.wire import (
    AANVRAAG_ID,
    DocumentMeta,
    WireError,
    decode_json,
    parse_aanvraag,
    parse_wijziging,
)
from gateway.components import Components
from gateway.logging import get_logger
from gateway.pipeline.contracts import NewExchange, PutResult
from gateway.pipeline.ports.catalogue import aanvraagtypes_of
from gateway.pipeline.ports.exchanges import ExchangeView, SeenExchange, exchange_by_key, seen_exchange
from gateway.registry.codes import VerifiedSender
from gateway.store.blob_barrier import durable_together
from verification.aanvraagtype import AanvraagtypeRegel, check_aanvraag, find_aanvraagtype, suggest_aanvraagtypes

__all__ = ["KIND_AANVRAAG", "KIND_WIJZIGING", "EsisIntake", "exchange_key", "request_key"]

log = get_logger(__name__)

IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._:-]{1,100}")


def request_key(sender: VerifiedSender, aanvraag_id: str) -> str:
    """``<omgeving>:<ESIS request id>``; the omgeving is qualified by the code's vestiging, because ESIS
    request ids are only unique within one ESIS environment (docs/assumptions/esis.md)."""
    return f"{sender.brin6}/{sender.environment}:{aanvraag_id}"


def exchange_key(sender: VerifiedSender, aanvraag_id: str) -> str:
    return f"esis:{request_key(sender, aanvraag_id)}"


def _update_key(sender: VerifiedSender, aanvraag_id: str, token: str) -> str:
    return f"{exchange_key(sender, aanvraag_id)}:w:{hashlib.sha256(token.encode()).hexdigest()[:32]}"


def _content_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _accepted(result: PutResult, sender: VerifiedSender, aanvraag_id: str, *, replay: bool) -> web.Response:
    status_url = f"/esis/v1/aanvragen/{aanvraag_id}"
    body = {
        "uitwisseling_id": result.exchange_id,
        "esis_aanvraag_id": aanvraag_id,
        "status": result.state,
        "status_url": status_url,
        "correlatie_id": result.correlation_id,
        "herhaald": replay,
    }
    headers = {"Location": status_url}
    if replay:
        headers["Idempotent-Replay"] = "true"
    return web.json_response(body, status=202, headers=headers)


async def _documents_ready(pending: PendingDocuments) -> tuple[Callable[[], None], ...]:
    """The documents visible and durable just before the row that points at them is committed: as the inbox's
    ``prepare`` phases when the blobs are local under the request's barrier (the database's writer links and
    syncs them before its transaction: no thread hop, one ``syncfs`` per batch), else committed here first (in
    a thread: an upload to complete, an fsync per blob). Either way no row is committed before they are durable,
    and a failure stores nothing (docs/assumptions/db-hot-path.md)."""
    phases = pending.phases()
    if not phases and pending.documents:
        await asyncio.to_thread(pending.commit)
    return phases


class EsisIntake:
    def __init__(self, c: Components, limits: EsisLimits, auth: Authenticator) -> None:
        self.c, self.limits, self.auth = c, limits, auth

    # -- shared steps -------------------------------------------------------------------------------
    async def _body(self, request: web.Request, part_name: str) -> tuple[dict[str, Any], Any]:
        """The JSON of the request and, for multipart bodies, the reader positioned at the documents."""
        length = request.content_length
        if length is not None and length > self.limits.max_request_bytes:
            raise refused(
                413,
                "ESIS_AANVRAAG_TE_GROOT",
                "body",
                variant="bericht",
                close=True,
                documenten=self.limits.max_documents,
                mb=self.limits.max_document_bytes // (1024 * 1024),
            )
        ctype = media_type(request)
        reader = None
        if ctype == "application/json":
            raw = await read_json_body(request, self.limits)
        elif ctype == "multipart/form-data":
            try:
                reader = await request.multipart()
            except PARSE_ERRORS:
                raise refused(400, "ESIS_MULTIPART_ONGELDIG", "Content-Type", variant="boundary") from None
            raw = await read_json_part(reader, part_name, self.limits)
        else:
            raise refused(415, "ESIS_CONTENT_TYPE_ONGELDIG", "Content-Type", variant="aanvraag")
        try:
            return decode_json(raw, part_name), reader
        except WireError as e:
            raise ApiError(400, e.findings) from None

    async def _catalogue(self) -> list[AanvraagtypeRegel]:
        return await aanvraagtypes_of(self.c.db, self.c.settings.swv_code)

    async def _existing(self, key: str) -> SeenExchange | None:
        """The exchange already stored under ``key`` (a retry), as far as the duplicate check needs it."""
        return await seen_exchange(self.c.db, key)

    async def _documents(self, reader: Any) -> tuple[PendingDocuments, list[StoredDocument]]:
        pending = PendingDocuments()
        try:
            stored: list[StoredDocument] = (
                await stream_documents(reader, self.c.blobs, self.limits, pending) if reader else []
            )
        except BaseException:
            pending.abort()
            raise
        return pending, stored

    def _document_meta(
        self, stored: list[StoredDocument], declared: Sequence[DocumentMeta], *, required_declared: bool = True
    ) -> list[dict[str, Any]]:
        by_name = {d.bestandsnaam: d for d in declared}
        arrived = {d.bestandsnaam for d in stored}
        missing = [n for n in by_name if n not in arrived]
        if missing and required_declared:
            raise ApiError(422, [refusal("ESIS_DOCUMENT_ONTBREEKT", "documenten", naam=n) for n in missing])
        out = []
        for doc in stored:
            meta = by_name.get(doc.bestandsnaam)
            out.append(doc.to_meta(meta.soort if meta else "overig", meta.omschrijving if meta else None))
        return out

    def _replay_or_conflict(self, existing: SeenExchange, content: str, code: str, *, aanvraag_id: str = "") -> None:
        if existing.content_sha256 != content:
            raise refused(409, code, "esis_aanvraag_id", aanvraag_id=aanvraag_id)

    # -- create -------------------------------------------------------------------------------------
    async def create(self, request: web.Request) -> web.Response:
        sender = await self.auth.authenticate(request)
        data, reader = await self._body(request, "aanvraag")
        try:
            aanvraag = parse_aanvraag(data, max_documents=self.limits.max_documents)
        except WireError as e:
            raise ApiError(422, e.findings) from None
        request[NAMED_AANVRAAGTYPE] = aanvraag.korte_omschrijving[:200]  # kept with a refusal at the door
        if aanvraag.brin6 != sender.brin6:
            raise refused(
                403,
                "ESIS_VESTIGING_HOORT_NIET_BIJ_CODE",
                "vestiging.brin6",
                code_vestiging=sender.brin6,
                vestiging=aanvraag.brin6,
            )
        ours = self.c.settings.swv_code
        if aanvraag.swv_code != ours or sender.swv_code != ours:
            raise refused(422, "ESIS_SWV_ONBEKEND", "swv_code", gevraagd=aanvraag.swv_code, ons=ours)
        catalogue = await self._catalogue()
        self._check_aanvraagtype(aanvraag.korte_omschrijving, catalogue, [d.soort for d in aanvraag.documenten])
        key = exchange_key(sender, aanvraag.aanvraag_id)
        content = _content_hash(data)
        existing = await self._existing(key)
        if existing is not None:
            self._replay_or_conflict(
                existing,
                content,
                "ESIS_AANVRAAG_AL_ONTVANGEN",
                aanvraag_id=aanvraag.aanvraag_id,
            )
            log.info("esis_aanvraag_herhaald", exchange_id=existing.id, aanvraag_id=aanvraag.aanvraag_id)
            return _accepted(
                PutResult(existing.id, False, existing.state, existing.correlation_id),
                sender,
                aanvraag.aanvraag_id,
                replay=True,
            )
        with durable_together():  # the documents' blobs: one syncfs before the row, not an fsync each
            pending, stored = await self._documents(reader)
            try:
                return await self._put_create(request, sender, aanvraag, data, key, content, pending, stored)
            finally:
                pending.abort()  # a no-op once committed; removes every document of a refused request

    async def _put_create(
        self,
        request: web.Request,
        sender: VerifiedSender,
        aanvraag: Any,
        data: dict[str, Any],
        key: str,
        content: str,
        pending: PendingDocuments,
        stored: list[StoredDocument],
    ) -> web.Response:
        documenten = self._document_meta(stored, aanvraag.documenten)
        handoff = EsisAanvraagHandoff(
            request_key=request_key(sender, aanvraag.aanvraag_id),
            omgeving=sender.environment,
            code_id=sender.code_id,
            vingerafdruk=sender.fingerprint,
            inhoud_sha256=content,
            idempotency_key=request.headers.get("Idempotency-Key"),
            aanvraag=AanvraagFields.from_stored(aanvraag.to_meta()),
            documenten=tuple(HandoffDocument.from_stored(d) for d in documenten),
        )
        raw = json.dumps(data, ensure_ascii=False).encode()
        result = await self.c.inbox.put(
            NewExchange(
                key=key,
                source="esis",
                kind=KIND_AANVRAAG,
                swv_code=aanvraag.swv_code,
                payload=raw,
                brin6=sender.brin6,
                handoff=handoff,
            ),
            prepare=await _documents_ready(pending),
        )
        log.info(
            "esis_aanvraag_ontvangen",
            exchange_id=result.exchange_id,
            brin6=sender.brin6,
            aanvraag_id=aanvraag.aanvraag_id,
            documenten=len(documenten),
            nieuw=result.created,
        )
        return _accepted(result, sender, aanvraag.aanvraag_id, replay=not result.created)

    def _check_aanvraagtype(self, naam: str, catalogue: list[AanvraagtypeRegel], roles: list[str]) -> None:
        regel = find_aanvraagtype(naam, catalogue)
        if regel is None:
            hints = suggest_aanvraagtypes(naam, catalogue)
            tip = (
                refusal_message("ESIS_AANVRAAGTYPE_ONBEKEND", "tip", suggesties=", ".join(repr(h) for h in hints))
                if hints
                else ""
            )
            raise ApiError(
                422,
                [refusal("ESIS_AANVRAAGTYPE_ONBEKEND", "korte_omschrijving", naam=naam, tip=tip)],
                extra={"suggesties": hints},
            )
        blocking = [f for f in check_aanvraag(naam, catalogue, bijlage_roles=roles, source_system="esis") if f.blocking]
        if blocking:
            raise ApiError(422, blocking)

    # -- update -------------------------------------------------------------------------------------
    async def update(self, request: web.Request) -> web.Response:
        sender = await self.auth.authenticate(request)
        aanvraag_id = request.match_info["aanvraag_id"]
        if not AANVRAAG_ID.fullmatch(aanvraag_id):
            raise refused(404, "ESIS_AANVRAAG_ONBEKEND", "aanvraag_id", variant="vorm")
        original = await exchange_by_key(self.c.db, exchange_key(sender, aanvraag_id))
        if original is not None and isinstance(original.meta.get("aanvraag"), dict):
            request[NAMED_AANVRAAGTYPE] = str(original.meta["aanvraag"].get("korte_omschrijving") or "")[:200]
        if original is None:
            raise refused(404, "ESIS_AANVRAAG_ONBEKEND", "aanvraag_id", variant="wijziging", aanvraag_id=aanvraag_id)
        idem = request.headers.get("Idempotency-Key")
        if idem is not None and not IDEMPOTENCY_KEY.fullmatch(idem):
            raise refused(400, "ESIS_IDEMPOTENCY_KEY_ONGELDIG", "Idempotency-Key")
        data, reader = await self._body(request, "wijziging")
        try:
            wijziging = parse_wijziging(data, max_documents=self.limits.max_documents)
        except WireError as e:
            raise ApiError(422, e.findings) from None
        content = _content_hash(data)
        key: str | None = None
        if idem is not None:
            key = _update_key(sender, aanvraag_id, "idem:" + idem)
            existing = await self._existing(key)
            if existing is not None:
                self._replay_or_conflict(
                    existing,
                    content,
                    "ESIS_IDEMPOTENCY_KEY_HERGEBRUIKT",
                )
                return _accepted(
                    PutResult(existing.id, False, existing.state, existing.correlation_id),
                    sender,
                    aanvraag_id,
                    replay=True,
                )
        with durable_together():
            pending, stored = await self._documents(reader)
            try:
                return await self._put_update(
                    request, sender, aanvraag_id, original, wijziging, data, idem, content, key, pending, stored
                )
            finally:
                pending.abort()

    async def _put_update(
        self,
        request: web.Request,
        sender: VerifiedSender,
        aanvraag_id: str,
        original: ExchangeView,
        wijziging: Any,
        data: dict[str, Any],
        idem: str | None,
        content: str,
        key: str | None,
        pending: PendingDocuments,
        stored: list[StoredDocument],
    ) -> web.Response:
        documenten = self._document_meta(stored, wijziging.documenten)
        if wijziging.omschrijving is None and not wijziging.verwijder and not documenten:
            raise refused(422, "ESIS_WIJZIGING_LEEG", "wijziging")
        if idem is None:
            token = "inhoud:" + content + ":" + ",".join(d["sha256"] for d in documenten)
            key = _update_key(sender, aanvraag_id, token)
        handoff = EsisWijzigingHandoff(
            request_key=request_key(sender, aanvraag_id),
            aanvraag_id=aanvraag_id,
            omgeving=sender.environment,
            code_id=sender.code_id,
            vingerafdruk=sender.fingerprint,
            inhoud_sha256=content,
            idempotency_key=idem,
            omschrijving=wijziging.omschrijving,
            verwijder=tuple(Withdrawal(r.sha256, r.bestandsnaam) for r in wijziging.verwijder),
            documenten=tuple(HandoffDocument.from_stored(d) for d in documenten),
        )
        result = await self.c.inbox.put(
            NewExchange(
                key=key,  # type: ignore[arg-type]  # debt (issue 17): Optional not narrowed
                source="esis",
                kind=KIND_WIJZIGING,
                swv_code=original.swv_code,
                payload=json.dumps(data, ensure_ascii=False).encode(),
                brin6=sender.brin6,
                handoff=handoff,
            ),
            prepare=await _documents_ready(pending),
        )
        log.info(
            "esis_wijziging_ontvangen",
            exchange_id=result.exchange_id,
            brin6=sender.brin6,
            aanvraag_id=aanvraag_id,
            documenten=len(documenten),
            ingetrokken=len(wijziging.verwijder),
            nieuw=result.created,
        )
        return _accepted(result, sender, aanvraag_id, replay=not result.created)
