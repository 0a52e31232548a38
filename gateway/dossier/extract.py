"""Turn one decoded ``bestandsinhoud`` (a ZIP holding one document) into a `BijlageDraft`, defensively.

The ZIP arrives in a spooled temporary file (memory up to ``spool_bytes``, then disk). Before a byte is
decompressed: the end-of-central-directory record says how many entries there are (a directory of a
million entries is refused unread), and the entry's announced sizes are judged (size limit, ZIP bomb
ratio). Then the entry is streamed in chunks into the blob store (or, without a store, into a spooled
file), hashed as it goes, its type sniffed from its bytes, and the pure rules of
``verification.attachments`` decide. A bad attachment keeps its original bytes: the decoded ZIP is stored
as a blob and the draft points at it, with the blocking finding, for the secretariaat to look at.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, BinaryIO

from gateway.inspection import inspect_document
from gateway.pipeline.contracts import BijlageDraft
from gateway.store.blobs import BlobStore, BlobTooLarge
from verification import attachments as rules
from verification.findings import Finding, fout

from .model import DossierLimits
from .zipentry import plain_entry

__all__ = ["DocumentInfo", "unpack"]

_HEAD = 8192
# the one entry of a ZIP, how to open it, and the findings on its name
_Entry = tuple[zipfile.ZipInfo, Callable[[], IO[bytes]], list[Finding]]
_EOCD_TAIL = 65536 + 22
_MAX_INNER_NAMES = 10_000  # names listed inside a document that is itself a ZIP (docx, xlsx, odt, ...)


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    bestandsnaam: str
    omschrijving: str | None
    role: str
    location: str


class _Sink:
    """Where an unpacked document goes: the blob store's writer, or a spooled file when there is none. A
    document announced no larger than ``spool_bytes`` is also kept in memory while it is written, so that
    it is hashed in one call (without a store) and sniffed without reading it back from the store."""

    def __init__(self, blobs: BlobStore | None, limits: DossierLimits, expected: int) -> None:
        self._blobs = blobs
        self._writer = blobs.writer(max_size=limits.max_attachment_bytes) if blobs is not None else None
        self._spool = limits.spool_bytes
        self._memory: list[bytes] | None = [] if expected <= limits.spool_bytes else None
        self._file: IO[bytes] | None = None  # without a store, for a document announced larger
        self._hash: hashlib._Hash | None = None  # of what went to _file
        if self._writer is None and self._memory is None:
            self._to_file([])
        self.size = 0
        self.head = b""
        self.key: str | None = None

    def write(self, data: bytes) -> None:
        if len(self.head) < _HEAD:
            self.head += data[: _HEAD - len(self.head)]
        self.size += len(data)
        if self._writer is not None:
            self._writer.write(data)
        if self._memory is not None and self.size > self._spool:
            # more than announced: zipfile stops at the announced size, so this is only defensive
            kept, self._memory = self._memory, None
            if self._writer is None:
                self._to_file(kept)
        if self._memory is not None:
            self._memory.append(data)
        elif self._file is not None and self._hash is not None:
            self._hash.update(data)
            self._file.write(data)

    def _to_file(self, kept: list[bytes]) -> None:
        self._file = tempfile.SpooledTemporaryFile(max_size=self._spool)
        self._hash = hashlib.sha256()
        for piece in kept:
            self._hash.update(piece)
            self._file.write(piece)

    def finish(self) -> tuple[str, IO[bytes]]:
        """Commit; returns the sha256 and a readable file of the content (for sniffing)."""
        content = b"".join(self._memory) if self._memory is not None else None
        if self._writer is not None:
            assert self._blobs is not None
            ref = self._writer.commit()
            self.key = ref.key
            return ref.sha256, io.BytesIO(content) if content is not None else self._blobs.open(ref.key)
        if content is not None:
            return hashlib.sha256(content).hexdigest(), io.BytesIO(content)
        assert self._file is not None and self._hash is not None
        self._file.seek(0)
        return self._hash.hexdigest(), self._file

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.abort()
        if self._file is not None:
            self._file.close()


def unpack(
    raw: BinaryIO,
    raw_size: int,
    info: DocumentInfo,
    *,
    blobs: BlobStore | None,
    limits: DossierLimits,
    pupil_names: tuple[str | None, ...],
    early: tuple[Finding, ...] = (),
) -> BijlageDraft:
    """``early``: findings the reader already made while decoding (bad Base64, too large); when one is
    blocking the ZIP is not opened."""
    advice = [
        *rules.check_bestandsnaam(info.bestandsnaam, info.location),
        *rules.check_omschrijving(info.omschrijving, pupil_names, info.location),
    ]
    if any(f.blocking for f in early):
        return _refused(raw, raw_size, info, blobs, limits, [*early, *advice], keep=True)
    problem, entry = _open_entry(raw, raw_size, info, limits)
    if problem:
        return _refused(raw, raw_size, info, blobs, limits, [*problem, *advice], keep=True)
    assert entry is not None
    member, opener, naming = entry
    sink = _Sink(blobs, limits, member.file_size)
    try:
        with opener() as stream:
            while chunk := stream.read(limits.chunk_bytes):
                if sink.size + len(chunk) > limits.max_attachment_bytes:
                    raise BlobTooLarge(limits.max_attachment_bytes)
                sink.write(chunk)
    except BlobTooLarge:
        sink.abort()
        too_big = rules.check_size(
            limits.max_attachment_bytes + 1, limits.max_attachment_bytes, info.bestandsnaam, info.location
        )
        return _refused(raw, raw_size, info, blobs, limits, [*too_big, *advice], keep=False)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError):
        sink.abort()
        return _refused(raw, raw_size, info, blobs, limits, [_corrupt(info), *advice], keep=True)
    sha256, content = sink.finish()
    try:
        inspection = inspect_document(
            content, sink.size, info.bestandsnaam, info.location, limits.inspection, head=sink.head
        )
    finally:
        content.close()
    key = sink.key
    if inspection.blocking and blobs is not None and key is not None:
        # the inspector judges the content alone, so no good bijlage can share this blob: nothing refused stays
        blobs.delete(key)
        key = None
    found = [*early, *naming, *inspection.findings, *advice]
    detected = inspection.detected
    return BijlageDraft(
        bestandsnaam=info.bestandsnaam,
        role=info.role,
        blob_key=key,
        size=sink.size,
        sha256=sha256,
        detected_type=detected,
        omschrijving=info.omschrijving,
        findings=tuple(found),
    )


def _corrupt(info: DocumentInfo) -> Finding:
    return fout(
        "BIJLAGE_ZIP_ONGELDIG",
        f"De bijlage '{info.bestandsnaam}' is geen leesbaar ZIP-bestand (afgebroken of beschadigd). Voeg het "
        "document opnieuw toe en verstuur de aanvraag opnieuw.",
        info.location,
    )


def _open_entry(
    raw: BinaryIO, raw_size: int, info: DocumentInfo, limits: DossierLimits
) -> tuple[list[Finding], _Entry | None]:
    """The findings on the ZIP itself, or its one entry and how to open it. A ZIP in memory that holds one
    plain file is read without `zipfile.ZipFile` (gateway.dossier.zipentry; same verdicts)."""
    data = raw.getvalue() if isinstance(raw, io.BytesIO) else None  # the bytes themselves, not a copy
    if data is not None and len(data) == raw_size:
        count = rules.zip_entry_count(data, max(0, raw_size - _EOCD_TAIL))
    else:
        data = None
        raw.seek(max(0, raw_size - _EOCD_TAIL))
        count = rules.zip_entry_count(raw.read(_EOCD_TAIL))
    if count is None:
        return [_corrupt(info)], None
    if count > 16:
        return [_several(info)], None
    plain = plain_entry(data) if data is not None and count == 1 else None
    if plain is not None:
        return _judge(plain.info, plain.open, info, limits)
    raw.seek(0)
    try:
        archive = zipfile.ZipFile(raw)
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, ValueError):
        return [_corrupt(info)], None
    if not members:
        return [
            fout(
                "BIJLAGE_ZIP_LEEG",
                f"De ZIP van bijlage '{info.bestandsnaam}' bevat geen bestand. Voeg het document opnieuw toe.",
                info.location,
            )
        ], None
    if len(members) > 1:
        return [_several(info)], None
    member = members[0]
    return _judge(member, lambda: archive.open(member), info, limits)


def _judge(
    member: zipfile.ZipInfo, opener: Callable[[], IO[bytes]], info: DocumentInfo, limits: DossierLimits
) -> tuple[list[Finding], _Entry | None]:
    if member.flag_bits & 0x1:
        return [
            fout(
                "BIJLAGE_ZIP_VERSLEUTELD",
                f"De bijlage '{info.bestandsnaam}' is met een wachtwoord beveiligd en kan niet worden gelezen. "
                "Stuur het document zonder wachtwoord.",
                info.location,
            )
        ], None
    if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return [_corrupt(info)], None
    naming = rules.check_entry_name(member.filename, info.bestandsnaam, info.location)
    unsafe = [f for f in naming if f.blocking]
    judged = rules.check_zip_entry(
        member.file_size,
        member.compress_size,
        max_size=limits.max_attachment_bytes,
        max_ratio=limits.max_zip_ratio,
        ratio_from=limits.zip_ratio_from_bytes,
        bestandsnaam=info.bestandsnaam,
        location=info.location,
    )
    if unsafe or judged:
        return [*unsafe, *judged], None
    return [], (member, opener, naming)


def _several(info: DocumentInfo) -> Finding:
    return fout(
        "BIJLAGE_ZIP_MEERDERE_BESTANDEN",
        f"De ZIP van bijlage '{info.bestandsnaam}' bevat meer dan één bestand. Voeg elk document als aparte "
        "bijlage toe.",
        info.location,
    )


def _refused(
    raw: BinaryIO,
    raw_size: int,
    info: DocumentInfo,
    blobs: BlobStore | None,
    limits: DossierLimits,
    findings: list[Finding],
    *,
    keep: bool,
) -> BijlageDraft:
    """A bad attachment: its findings, and nothing of its bytes. (It used to keep the decoded ZIP for the
    secretariaat, but no row ever pointed at it: an orphan with a child's document in it. The school sends
    the document again.)"""
    key = None
    return BijlageDraft(
        bestandsnaam=info.bestandsnaam,
        role=info.role,
        blob_key=key,
        size=raw_size,
        sha256=key,
        detected_type=None,
        omschrijving=info.omschrijving,
        findings=tuple(findings),
    )
