"""Reading an ESIS request body: the JSON part under a size limit, then each document streamed part by part
into the blob store — never whole in memory.

A document over the limit is refused (413) the moment the limit is passed; a document whose first bytes are
not PDF or Word is refused (415) as soon as those bytes are in. In both cases the rest of the body is not
read: the answer goes out and the connection is closed. What is PDF or Word is decided by the bytes
(`verification.attachments.sniff`, reused from the dossier checks), never by the name: a ZIP is only DOCX
when its directory says so, an OLE2 file only DOC when it has a ``WordDocument`` stream.
"""

from __future__ import annotations

import asyncio
import io
import re
import tempfile
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath
from typing import IO, Any, TypeVar
from urllib.parse import unquote

from aiohttp import BodyPartReader, MultipartReader, hdrs, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.multipart import content_disposition_filename, parse_content_disposition

from adapters.esis.config import EsisLimits
from adapters.esis.errors import ApiError, refused
from adapters.esis.refusals import refusal_message
from gateway.inspection import Inspection, WorkLimitReached, inspect_document
from gateway.store.blob_barrier import current_barrier
from gateway.store.blobs import BlobStore, BlobTooLarge, BlobWriter
from verification.attachments import check_bestandsnaam
from verification.bsn import contains_bsn
from verification.findings import Finding

__all__ = [
    "PendingDocuments",
    "StoredDocument",
    "media_type",
    "read_json_body",
    "read_json_part",
    "stream_documents",
]

_PDF = b"%PDF-"
_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SPOOL_BYTES = 1024 * 1024
# A document still in memory whose inspection inflates at most this much (and reads at most 64 entries) is
# inspected right here, in the event loop's thread (≈ 1 ms at the most, a 60 kB DOCX ≈ 58 µs): no thread hop.
# More is inspected in a thread (`WorkLimitReached`), with the same verdict.
_INLINE_INFLATE_BYTES = 1024 * 1024
# the inspector's findings that mean "not a PDF or Word document": answered as 415, like any other type
_NOT_WORD = frozenset({"BIJLAGE_TYPE_NIET_TOEGESTAAN", "BIJLAGE_ZIP_ONGELDIG"})
_T = TypeVar("_T")
_TOKEN_TYPE = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+/[A-Za-z0-9!#$%&'*+.^_`|~-]+")
# The Content-Disposition every multipart client writes for a form field: quoted values without quotes,
# backslashes, semicolons or a leading path separator (aiohttp's parser would change nothing in them)
_PLAIN_DISPOSITION = re.compile(r'form-data; name="([^"\\;/]*)"(?:; filename="([^"\\;/][^"\\;]*)")?')
# what aiohttp's multipart parser raises on a malformed body (bad headers, bad boundaries, bad encodings)
PARSE_ERRORS = (ValueError, AssertionError, RuntimeError, LookupError, HttpProcessingError)


@dataclass(frozen=True, slots=True)
class StoredDocument:
    bestandsnaam: str
    blob_key: str
    size: int
    detected_type: str
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    sha256: str = ""  # of the content (the blob key is keyed when encryption is on)

    def to_meta(self, soort: str, omschrijving: str | None) -> dict[str, Any]:
        return {
            "bestandsnaam": self.bestandsnaam,
            "soort": soort,
            "omschrijving": omschrijving,
            "blob_key": self.blob_key,
            "sha256": self.sha256 or self.blob_key,
            "size": self.size,
            "detected_type": self.detected_type,
            "findings": [f.to_dict() for f in self.findings],
        }


# Slow senders (slow-loris): every read of a request body must make progress within `read_idle_seconds`,
# and after `min_rate_grace_seconds` the body must have arrived at `min_bytes_per_second` on average. aiohttp
# has no body-read timeout of its own; the clock starts at the first read of the request (or its multipart
# reader), kept per reader object without touching the signatures of the readers.
_STARTED: weakref.WeakKeyDictionary[object, list[float]] = weakref.WeakKeyDictionary()
_PACE: web.RequestKey[list[float]] = web.RequestKey("esis_leestempo", list)


def _too_slow(limits: EsisLimits) -> ApiError:
    return refused(
        408,
        "ESIS_UPLOAD_TE_TRAAG",
        "body",
        close=True,
        kb_per_seconde=limits.min_bytes_per_second // 1024,
        stil_seconden=limits.read_idle_seconds,
    )


def _clock(owner: object) -> list[float]:
    """[start, bytes read] of a request (kept in the request's own mapping) or of a multipart reader."""
    if isinstance(owner, web.Request):
        if _PACE not in owner:
            owner[_PACE] = [time.monotonic(), 0.0]
        return owner[_PACE]
    state = _STARTED.get(owner)
    if state is None:
        state = _STARTED[owner] = [time.monotonic(), 0.0]
    return state


async def _paced(owner: object, limits: EsisLimits, read: Awaitable[_T]) -> _T:
    state = _clock(owner)
    try:
        async with asyncio.timeout(limits.read_idle_seconds):
            data = await read
    except TimeoutError:
        raise _too_slow(limits) from None
    if isinstance(data, bytes | bytearray):
        state[1] += len(data)
    elapsed = time.monotonic() - state[0]
    if elapsed > limits.min_rate_grace_seconds and state[1] < limits.min_bytes_per_second * elapsed:
        raise _too_slow(limits)
    return data


def media_type(request: web.Request) -> str:
    """The request's media type, lower case, as ``request.content_type`` gives it. A plain ``type/subtype``
    is read directly: aiohttp parses the whole header with the email package, which costs ≈ 0.3 ms for a
    multipart header (its boundary is new every request, so aiohttp's parse cache never hits); anything less
    plain (comments, quoting, no type) still gets aiohttp's own answer."""
    raw = request.headers.get(hdrs.CONTENT_TYPE)
    if raw is not None:
        plain = raw.split(";", 1)[0].strip()
        if _TOKEN_TYPE.fullmatch(plain):
            return plain.lower()
    return request.content_type


def _disposition(part: BodyPartReader) -> tuple[str | None, str | None]:
    """The part's form-field name and file name, from one parse of its Content-Disposition (aiohttp's
    ``name`` and ``filename`` each parse it again). The plain form (``form-data; name="…"; filename="…"``) is
    read directly: aiohttp's parser costs ≈ 50 µs a call (it escapes 128 characters for a regular expression on
    every call); anything less plain gets aiohttp's answer, and a test compares both for every header shape."""
    header = part.headers.get(hdrs.CONTENT_DISPOSITION)
    if header is not None and (plain := _PLAIN_DISPOSITION.fullmatch(header)) is not None:
        return plain.group(1), plain.group(2)
    _, params = parse_content_disposition(header)
    return content_disposition_filename(params, "name"), content_disposition_filename(params, "filename")


def _malformed(detail: str) -> ApiError:
    return refused(400, "ESIS_MULTIPART_ONGELDIG", "body", detail=detail)


def _detail(variant: str, **params: object) -> str:
    """What is wrong with the multipart message, in the words of the refusal table."""
    return refusal_message("ESIS_MULTIPART_ONGELDIG", variant, **params)


def _too_large_json(limit: int, location: str) -> ApiError:
    return refused(413, "ESIS_AANVRAAG_TE_GROOT", location, variant="gegevens", close=True, kb=limit // 1024)


async def read_json_body(request: web.Request, limits: EsisLimits) -> bytes:
    """The body of an ``application/json`` request, refused unread beyond the JSON limit."""
    if request.content_length is not None and request.content_length > limits.max_json_bytes:
        raise _too_large_json(limits.max_json_bytes, "body")
    buf = bytearray()
    while chunk := await _paced(request, limits, request.content.read(limits.chunk_bytes)):
        buf += chunk
        if len(buf) > limits.max_json_bytes:
            raise _too_large_json(limits.max_json_bytes, "body")
    return bytes(buf)


async def read_json_part(reader: MultipartReader, name: str, limits: EsisLimits) -> bytes:
    """The first part of a multipart body: it must be the JSON part ``name``."""
    try:
        part = await _paced(reader, limits, reader.next())
    except PARSE_ERRORS as exc:
        raise _malformed(type(exc).__name__) from None
    if part is None:
        raise _malformed(_detail("deel_ontbreekt", naam=name))
    if not isinstance(part, BodyPartReader) or _disposition(part)[0] != name:
        raise refused(400, "ESIS_MULTIPART_VOLGORDE", name, naam=name)
    _plain_encoding(part, name)
    buf = bytearray()
    try:
        while chunk := await _paced(reader, limits, part.read_chunk(limits.chunk_bytes)):
            buf += chunk
            if len(buf) > limits.max_json_bytes:
                raise _too_large_json(limits.max_json_bytes, name)
    except PARSE_ERRORS as exc:
        raise _malformed(type(exc).__name__) from None
    return bytes(buf)


def _plain_encoding(part: BodyPartReader, location: str) -> None:
    cte = part.headers.get(hdrs.CONTENT_TRANSFER_ENCODING, "binary").lower()
    ce = part.headers.get(hdrs.CONTENT_ENCODING, "identity").lower()
    if cte not in ("binary", "8bit", "7bit") or ce != "identity":
        raise _malformed(_detail("codering", naam=location))


def _safe_name(raw: str | None) -> str | None:
    if not raw:
        return None
    name = PureWindowsPath(PurePosixPath(raw).name).name.strip()
    name = "".join(ch for ch in name if ch >= " " and ch != "\x7f")
    if name.strip(". ") == "":  # "." or "..": a path step, not a name
        return None
    return name[:255] or None


def _type_refusal(bestandsnaam: str, location: str, *, close: bool) -> ApiError:
    return refused(415, "ESIS_DOCUMENT_TYPE_NIET_TOEGESTAAN", location, close=close, naam=bestandsnaam)


def _head_plausible(head: bytes, allowed: tuple[str, ...]) -> bool:
    wants_word = "doc" in allowed or "docx" in allowed
    return (
        ("pdf" in allowed and head.startswith(_PDF))
        or ("docx" in allowed and head.startswith(_ZIP))
        or (wants_word and head.startswith(_OLE2))
    )


def _inspect(
    content: IO[bytes],
    size: int,
    head: bytes,
    bestandsnaam: str,
    location: str,
    limits: EsisLimits,
    work_limit: int | None = None,
) -> Inspection:
    """The document through the one attachment inspector (it reads the ZIP or OLE2 directory and inflates a
    container's entries, streaming; with ``work_limit`` no more than that, else `WorkLimitReached`)."""
    content.seek(0)
    return inspect_document(content, size, bestandsnaam, location, limits.inspection, head=head, work_limit=work_limit)


async def _inspected(
    spool: IO[bytes], size: int, head: bytes, bestandsnaam: str, location: str, limits: EsisLimits
) -> Inspection:
    """A container or OLE2 document's inspection: right here when it is small (in memory, and inflating no more
    than ``_INLINE_INFLATE_BYTES``), else in a thread, where a large one's reads and inflation do not hold up
    the other requests."""
    if size <= _SPOOL_BYTES:  # the spool has not rolled over to a file: no disk read on the event loop
        try:
            return _inspect(spool, size, head, bestandsnaam, location, limits, work_limit=_INLINE_INFLATE_BYTES)
        except WorkLimitReached:
            pass
    return await asyncio.to_thread(_inspect, spool, size, head, bestandsnaam, location, limits)


class PendingDocuments:
    """Documents of one request, written but not yet visible in the blob store: each writer holds its bytes
    under a temporary name until `commit` (just before the exchange is put in the inbox); `abort` (any
    refusal) removes them, so a refused request leaves nothing behind."""

    def __init__(self) -> None:
        self.documents: list[StoredDocument] = []
        self._writers: list[BlobWriter] = []
        self._barrier = current_barrier()  # made inside the request's `durable_together`

    def add(self, document: StoredDocument, writer: BlobWriter) -> None:
        self.documents.append(document)
        self._writers.append(writer)

    def commit(self) -> None:
        """Make every document visible and durable (in a thread: it links the blobs into place, or completes
        the uploads). Written under a durability barrier (`durable_together`, around the whole request), the
        local blobs are made durable together by one ``syncfs`` here instead of one ``fsync`` each."""
        self.link()
        self.flush()

    def phases(self) -> tuple[Callable[[], None], ...]:
        """`commit` as the inbox's ``prepare`` phases (link, then flush), run by the database's writer before
        the transaction that stores the exchange (gateway.store.db: no thread hop of their own, one ``syncfs``
        for every request of a batch) — only for local blobs under a barrier, whose commit is a few file-system
        calls; any other store (an upload to complete, an fsync per blob) gives ``()``: `commit` them first.
        """
        if self._writers and self._barrier is not None and self._barrier.joined:
            return (self.link, self.flush)
        return ()

    def link(self) -> None:
        """Every document visible under its name (not yet durable under a barrier: `flush`)."""
        try:
            for w in self._writers:
                w.commit()
        except BaseException:
            self.abort()
            raise

    def flush(self) -> None:
        """The barrier's one ``syncfs``; raises when a write-back failed: then no row may point at them."""
        try:
            if self._barrier is not None:
                self._barrier.flush()
        except BaseException:
            self.abort()
            raise
        self._writers.clear()

    def abort(self) -> None:
        for w in self._writers:
            w.abort()
        self._writers.clear()


async def _store_part(
    part: BodyPartReader,
    bestandsnaam: str,
    location: str,
    blobs: BlobStore,
    limits: EsisLimits,
    pending: PendingDocuments,
    *,
    owner: object | None = None,
) -> None:
    owner = owner if owner is not None else part
    writer = blobs.writer(max_size=limits.max_document_bytes)
    checked = False
    # what the inspector reads: the head says PDF (nothing more to read) or a container/OLE2 file, which is
    # spooled (memory up to 1 MiB, then an anonymous temporary file) and inspected before it is committed
    spool: IO[bytes] | None = None
    early = bytearray()
    try:
        while True:
            try:
                chunk = await _paced(owner, limits, part.read_chunk(limits.chunk_bytes))
            except PARSE_ERRORS as exc:
                raise _malformed(type(exc).__name__) from None
            if not chunk:
                break
            try:
                writer.write(chunk)
            except BlobTooLarge:
                raise refused(
                    413,
                    "ESIS_DOCUMENT_TE_GROOT",
                    location,
                    close=True,
                    naam=bestandsnaam,
                    mb=limits.max_document_bytes // (1024 * 1024),
                ) from None
            if spool is not None:
                spool.write(chunk)
            elif not checked:
                early += chunk
                if writer.size >= 8:
                    checked = True
                    if not _head_plausible(writer.head, limits.allowed_types):
                        raise _type_refusal(bestandsnaam, location, close=True)
                    if not writer.head.startswith(_PDF):
                        spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)
                        spool.write(early)
                    early = bytearray()
        if writer.size == 0:
            raise refused(422, "ESIS_DOCUMENT_LEEG", location, naam=bestandsnaam)
        if not checked and not _head_plausible(writer.head, limits.allowed_types):
            raise _type_refusal(bestandsnaam, location, close=False)
        head = writer.head
        if spool is None and not head.startswith(_PDF):
            spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)
            spool.write(early)  # a document shorter than 8 bytes
        if spool is None:  # a PDF: judged by its head alone (no container to read), no thread needed
            inspection = _inspect(io.BytesIO(head), writer.size, head, bestandsnaam, location, limits)
        else:
            inspection = await _inspected(spool, writer.size, head, bestandsnaam, location, limits)
        blocking = inspection.blocking
        detected = inspection.detected
        if blocking and blocking[0].code not in _NOT_WORD:
            raise ApiError(422, blocking)  # the inspector's own code (BIJLAGE_ZIP_BOM, ...), as on the OSO path
        if detected not in limits.allowed_types:
            raise _type_refusal(bestandsnaam, location, close=False)
    except BaseException:
        writer.abort()  # nothing of a refused document stays: it was never visible
        raise
    finally:
        if spool is not None:
            spool.close()
    assert detected is not None
    warnings = [f for f in inspection.findings if not f.blocking]
    warnings += check_bestandsnaam(bestandsnaam, location)
    document = StoredDocument(bestandsnaam, writer.name, writer.size, detected, tuple(warnings), writer.digest)
    pending.add(document, writer)


async def stream_documents(
    reader: MultipartReader, blobs: BlobStore, limits: EsisLimits, pending: PendingDocuments
) -> list[StoredDocument]:
    """Every remaining part is a document (form field ``document``, with a file name). The documents are
    written into ``pending``: invisible until the caller commits them."""
    stored = pending.documents
    names: set[str] = set()
    while True:
        try:
            part = await _paced(reader, limits, reader.next())
        except PARSE_ERRORS as exc:
            raise _malformed(type(exc).__name__) from None
        if part is None:
            return stored
        index = len(stored)
        location = f"document[{index}]"
        if not isinstance(part, BodyPartReader):
            raise _malformed(_detail("genest"))
        field_name, filename = _disposition(part)
        if field_name != "document":
            raise _malformed(_detail("deel_onbekend", naam=field_name))
        _plain_encoding(part, location)
        if index >= limits.max_documents:
            raise refused(422, "ESIS_TE_VEEL_DOCUMENTEN", location, maximum=limits.max_documents)
        name = _safe_name(filename)
        if name is None:
            raise refused(422, "ESIS_DOCUMENT_NAAM_ONTBREEKT", location)
        if contains_bsn(name) or contains_bsn(unquote(name)):  # clients percent-encode spaces in file names
            raise refused(
                422, "ESIS_BSN_NIET_TOEGESTAAN", location, variant="in_tekst", veld=f"{location}.bestandsnaam"
            )
        if name in names:
            raise refused(422, "ESIS_DOCUMENT_DUBBEL", location, variant="in_bericht", naam=name)
        names.add(name)
        await _store_part(part, name, location, blobs, limits, pending, owner=reader)
