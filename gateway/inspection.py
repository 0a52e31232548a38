"""The one attachment inspector: what a document really is and whether it is safe to keep, for every channel.

The OSO dossier reader (after unwrapping a ``bestandsinhoud``) and the ESIS upload (after streaming a
document into the blob store) both hand the document's bytes to `inspect_document`, and both get the same
`Inspection`: the type sniffed from the bytes and findings with one set of codes (``BIJLAGE_*``, the pure
rules of ``verification.attachments``).

What is checked, in this order, each before the work it protects:

- the 10 MB rule on the document itself (``BIJLAGE_TE_GROOT``);
- a document that is a ZIP container (DOCX/XLSX/PPTX, ODT/ODS/..., or a plain ZIP) is read as the ZIP it is:
  the end record's entry count (``BIJLAGE_ZIP_BOM`` beyond ``max_entries``: a directory of a million entries is
  refused unread), then per entry of the central directory the name (``BIJLAGE_PAD_ONVEILIG``), the
  encryption flag (``BIJLAGE_ZIP_VERSLEUTELD``), the method (stored/deflated, else ``BIJLAGE_ZIP_ONGELDIG``)
  and the announced sizes (``BIJLAGE_ZIP_BOM``: ratio, or all entries together over ``max_inflated_bytes``);
- then every entry is *actually inflated*, streaming, in pieces of at most ``chunk_bytes``, never kept: the
  bytes that come out are counted against what the entry announced (an entry that inflates to more than its
  header says is a bomb with lying size headers: ``BIJLAGE_ZIP_BOM`` the moment the excess appears), against
  the ratio and against the total budget; the CRC is checked (``BIJLAGE_ZIP_ONGELDIG``);
- an entry that is itself a ZIP is inspected the same way, one level down, within the same budget; deeper
  than ``max_depth`` is ``BIJLAGE_ZIP_TE_DIEP_GENEST``;
- the type: sniffed from the first bytes, the names in the ZIP directory, the ODF ``mimetype`` entry, the
  OLE2 directory (``verification.attachments.sniff``), judged by ``check_type``.

Memory stays bounded: one chunk of compressed input and one of output at a time, plus a nested ZIP spooled
to a temporary file (memory up to ``spool_bytes``).
"""

from __future__ import annotations

import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from verification import attachments as rules
from verification.findings import Finding, fout

__all__ = ["Inspection", "InspectionLimits", "WorkLimitReached", "inspect_document"]

MB = 1024 * 1024
_ZIP_HEADS = (b"PK\x03\x04", b"PK\x05\x06")
_EOCD_TAIL = 65536 + 22
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_ENCRYPTED = 0x1
_MIMETYPE_MAX = 200
_SHORT_ENTRIES = 64  # a DOCX has a dozen or two entries; each costs ≈ 10 µs however tiny it is


@dataclass(frozen=True, slots=True)
class InspectionLimits:
    max_bytes: int = 10 * MB  # the document itself (handbook: 10 MB per bijlage)
    max_inflated_bytes: int = 100 * MB  # all entries of a container together, actually inflated
    max_ratio: float = 100.0  # inflated / compressed size of one entry ...
    ratio_from_bytes: int = 1 * MB  # ... judged only for entries that inflate beyond this
    max_entries: int = 10_000  # entries of one container
    max_depth: int = 2  # a ZIP inside a container inside ...: containers below the document itself
    chunk_bytes: int = 256 * 1024
    spool_bytes: int = 1 * MB  # a nested ZIP stays in memory up to this size, then on disk


@dataclass(frozen=True, slots=True)
class Inspection:
    detected: str | None  # an allowed type, a label of a refused one ("zip", "exe", ...), or None
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.blocking)


class _Refused(Exception):
    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.code)
        self.finding = finding


class WorkLimitReached(Exception):
    """The inspection would inflate more than the ``work_limit`` it was given, or read more entries than a short
    inspection reads: no verdict yet; inspect the document again without one (in a thread)."""


@dataclass(slots=True)
class _Budget:
    left: int
    short: bool = False  # a work limit below the bomb limit: running out is `WorkLimitReached`, not a bomb
    entries_left: int = _SHORT_ENTRIES  # a short inspection reads no more entries than this, nested ones too

    def exhausted(self, bestandsnaam: str, location: str | None) -> Exception:
        return WorkLimitReached() if self.short else _bomb(bestandsnaam, location)


@dataclass(slots=True)
class _Container:
    names: list[str]
    mimetype: bytes | None


def inspect_document(
    content: IO[bytes],
    size: int,
    bestandsnaam: str,
    location: str | None,
    limits: InspectionLimits = InspectionLimits(),
    *,
    head: bytes | None = None,
    work_limit: int | None = None,
) -> Inspection:
    """Inspect a readable, seekable document of ``size`` bytes. ``head``: its first bytes when the caller
    already has them (up to 8 KiB).

    ``work_limit``: inflate at most this many bytes and read at most 64 entries (nested ones too), for an
    inspection that must stay short (in the event loop's thread); a container announcing, holding or inflating
    more raises `WorkLimitReached` instead of a verdict. Within the limit the verdict is the one without it: the limit
    only ends an inspection earlier than the bomb budget would, never changes what it finds."""
    too_big = rules.check_size(size, limits.max_bytes, bestandsnaam, location)
    if too_big:
        return Inspection(None, tuple(too_big))
    if head is None or (len(head) < 8192 and len(head) < size):
        content.seek(0)
        head = content.read(8192)
    zip_names: list[str] | None = None
    odf_mimetype: bytes | None = None
    ole_names: list[str] | None = None
    if head.startswith(_ZIP_HEADS):
        try:
            found = _container(content, size, bestandsnaam, location, limits, _budget(limits, work_limit), 0)
        except _Refused as refused:
            return Inspection("zip", (refused.finding,))
        zip_names, odf_mimetype = found.names, found.mimetype
    elif (where := rules.ole2_directory_offset(head[:512])) is not None:
        offset, length = where
        content.seek(offset)
        ole_names = rules.ole2_names(content.read(length))
    detected = rules.sniff(head, zip_names=zip_names, odf_mimetype=odf_mimetype, ole_names=ole_names)
    return Inspection(detected, tuple(rules.check_type(detected, bestandsnaam, location)))


def _budget(limits: InspectionLimits, work_limit: int | None) -> _Budget:
    if work_limit is None or work_limit >= limits.max_inflated_bytes:
        return _Budget(limits.max_inflated_bytes)
    return _Budget(work_limit, short=True)


def _corrupt(bestandsnaam: str, location: str | None) -> _Refused:
    return _Refused(
        fout(
            "BIJLAGE_ZIP_ONGELDIG",
            f"De bijlage '{bestandsnaam}' is geen leesbaar bestand (afgebroken of beschadigd). Sla het document "
            "opnieuw op en verstuur het opnieuw.",
            location,
        )
    )


def _bomb(bestandsnaam: str, location: str | None) -> _Refused:
    return _Refused(
        fout(
            "BIJLAGE_ZIP_BOM",
            f"De bijlage '{bestandsnaam}' pakt uit tot een onwaarschijnlijk groot bestand (ZIP-bom) en is niet "
            "aangenomen. Sla het document opnieuw op (bijvoorbeeld als PDF) en verstuur het opnieuw.",
            location,
        )
    )


def _container(
    content: IO[bytes],
    size: int,
    bestandsnaam: str,
    location: str | None,
    limits: InspectionLimits,
    budget: _Budget,
    depth: int,
) -> _Container:
    if depth > limits.max_depth:
        raise _Refused(
            fout(
                "BIJLAGE_ZIP_TE_DIEP_GENEST",
                f"De bijlage '{bestandsnaam}' bevat archieven in archieven en is niet uitgepakt. Sla het document "
                "op als PDF en verstuur het opnieuw.",
                location,
            )
        )
    content.seek(max(0, size - _EOCD_TAIL))
    count = rules.zip_entry_count(content.read(_EOCD_TAIL))
    if count is None:
        raise _corrupt(bestandsnaam, location)
    if count > limits.max_entries:
        raise _bomb(bestandsnaam, location)
    budget.entries_left -= count
    if budget.short and budget.entries_left < 0:
        raise WorkLimitReached()
    content.seek(0)
    try:
        archive = zipfile.ZipFile(content)  # reads the central directory only
        members = archive.infolist()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError):
        raise _corrupt(bestandsnaam, location) from None
    if len(members) > limits.max_entries:
        raise _bomb(bestandsnaam, location)
    announced = 0
    for m in members:
        if m.flag_bits & _ENCRYPTED:
            raise _Refused(
                fout(
                    "BIJLAGE_ZIP_VERSLEUTELD",
                    f"De bijlage '{bestandsnaam}' is met een wachtwoord beveiligd en kan niet worden gelezen. "
                    "Stuur het document zonder wachtwoord.",
                    location,
                )
            )
        if m.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _corrupt(bestandsnaam, location)
        unsafe = [f for f in rules.check_entry_name(m.filename, m.filename, location) if f.blocking]
        if unsafe:
            raise _Refused(
                fout(
                    "BIJLAGE_PAD_ONVEILIG",
                    f"De bijlage '{bestandsnaam}' bevat een bestand met een onveilige padnaam en is niet "
                    "aangenomen. Sla het document opnieuw op en verstuur het opnieuw.",
                    location,
                )
            )
        announced += m.file_size
        if m.file_size > limits.ratio_from_bytes and m.file_size > limits.max_ratio * max(1, m.compress_size):
            raise _bomb(bestandsnaam, location)
    if announced > budget.left:
        raise budget.exhausted(bestandsnaam, location)
    mimetype: bytes | None = None
    for m in members:
        if m.is_dir():
            continue
        first = _inflate(content, size, m, bestandsnaam, location, limits, budget, depth)
        if m.filename == "mimetype" and depth == 0:
            mimetype = first[:_MIMETYPE_MAX]
    return _Container([m.filename for m in members], mimetype)


def _data_start(content: IO[bytes], size: int, member: zipfile.ZipInfo, bestandsnaam: str, location: str | None) -> int:
    """Where the entry's stored data begins: after its local header, which must be there and fit the archive."""
    content.seek(member.header_offset)
    local = content.read(_LOCAL.size)
    if len(local) < _LOCAL.size:
        raise _corrupt(bestandsnaam, location)
    fields = _LOCAL.unpack(local)
    if fields[0] != b"PK\x03\x04":
        raise _corrupt(bestandsnaam, location)
    start = member.header_offset + _LOCAL.size + fields[10] + fields[11]
    if start + member.compress_size > size:
        raise _corrupt(bestandsnaam, location)
    return start


def _pump(
    content: IO[bytes],
    left_in: int,
    inflater: zlib._Decompress | None,
    chunk_bytes: int,
    take: Callable[[bytes], None],
    bestandsnaam: str,
    location: str | None,
) -> None:
    """Feed the entry's stored bytes (read from the current position) to ``take``: inflated in pieces of at
    most ``chunk_bytes`` when there is an inflater, as they are when stored; to the end of the deflate stream."""
    while left_in > 0 or (inflater is not None and inflater.unconsumed_tail):
        if inflater is not None and inflater.unconsumed_tail:
            data = inflater.unconsumed_tail
        else:
            data = content.read(min(chunk_bytes, left_in))
            if not data:
                raise _corrupt(bestandsnaam, location)
            left_in -= len(data)
        if inflater is None:
            take(data)
            continue
        try:
            take(inflater.decompress(data, chunk_bytes))
        except zlib.error:
            raise _corrupt(bestandsnaam, location) from None
        if inflater.eof:
            break
    if inflater is not None and not inflater.eof:
        try:  # output zlib still holds back after the last input
            while not inflater.eof and (piece := inflater.decompress(b"", chunk_bytes)):
                take(piece)
        except zlib.error:
            raise _corrupt(bestandsnaam, location) from None
        if not inflater.eof:
            raise _corrupt(bestandsnaam, location)  # the compressed data ends before the deflate stream


def _inflate(
    content: IO[bytes],
    size: int,
    member: zipfile.ZipInfo,
    bestandsnaam: str,
    location: str | None,
    limits: InspectionLimits,
    budget: _Budget,
    depth: int,
) -> bytes:
    """Inflate one entry streaming, counting what comes out; returns its first bytes. A nested ZIP is
    spooled and inspected one level down."""
    content.seek(_data_start(content, size, member, bestandsnaam, location))
    inflater = zlib.decompressobj(-15) if member.compress_type == zipfile.ZIP_DEFLATED else None
    crc = 0
    out_total = 0
    first = b""
    spool: IO[bytes] | None = None
    want = _MIMETYPE_MAX if member.filename == "mimetype" else 8

    def take(piece: bytes) -> None:
        nonlocal crc, out_total, first, spool
        if not piece:
            return
        out_total += len(piece)
        budget.left -= len(piece)
        if out_total > member.file_size:
            raise _bomb(bestandsnaam, location)  # more than the header announced
        if budget.left < 0:
            raise budget.exhausted(bestandsnaam, location)
        if out_total > limits.ratio_from_bytes and out_total > limits.max_ratio * max(1, member.compress_size):
            raise _bomb(bestandsnaam, location)
        crc = zlib.crc32(piece, crc)
        if len(first) < want:
            first += piece[: want - len(first)]
            if spool is None and first.startswith(b"PK\x03\x04"):
                spool = tempfile.SpooledTemporaryFile(max_size=limits.spool_bytes)
        if spool is not None:
            spool.write(piece)

    try:
        _pump(content, member.compress_size, inflater, limits.chunk_bytes, take, bestandsnaam, location)
        if out_total != member.file_size or crc != member.CRC:
            raise _corrupt(bestandsnaam, location)
        if spool is not None:
            _container(spool, out_total, bestandsnaam, location, limits, budget, depth + 1)
    finally:
        if spool is not None:
            spool.close()
    return first
