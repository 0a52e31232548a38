"""The SWV dossier: read it (hardened, streaming, bounded memory), judge it the way the standard does,
and unpack its documents into bijlagen.

    report = read_dossier(path_or_bytes_or_file_or_parsed, blobs=blob_store, limits=DossierLimits())

`read_dossier` never raises on bad input: bad input becomes findings. It raises only for what is not the
dossier's fault: `BlobStoreUnavailable` (the bijlagen cannot be stored) and `DossierSourceUnavailable` (the
file-like it was given could not be read: the disk, a damaged spool) — the worker tries the exchange again.
``report.valid`` is True when the dossier is XSD-valid and has no blocking dossier-level finding; findings on
a single attachment (corrupt ZIP, wrong type, too large) are kept with that attachment and do not make the
dossier invalid — the secretariaat decides whether the request may go on without it
(docs/assumptions/dossier.md).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from functools import partial
from typing import BinaryIO

import structlog
from lxml import etree

from gateway.pipeline.contracts import PupilIdentity
from gateway.store.blobs import BlobStore, BlobStoreUnavailable
from verification.dossier import NS, check_dossier
from verification.dossier.free_text import check_free_text
from verification.findings import Finding, fout

from . import schema as _schema
from .model import MB, DossierLimits, DossierReport, ParsedDossier
from .reader import ReadResult, StreamingReader
from .small import read_small, read_tree

__all__ = ["MB", "DossierLimits", "DossierReport", "DossierSourceUnavailable", "ParsedDossier", "read_dossier"]


class DossierSourceUnavailable(Exception):
    """The file-like holding the dossier's bytes could not be read (a disk error, a damaged spool): our storage
    failed, not the dossier. Not an OSError on purpose (as `BlobStoreUnavailable`): nothing may catch it as bad
    input and refuse the school's dossier for it."""


log = structlog.get_logger(__name__)
_P = f"{{{NS}}}"


def read_dossier(
    source: BinaryIO | bytes | os.PathLike[str] | str | ParsedDossier,
    *,
    blobs: BlobStore | None = None,
    limits: DossierLimits = DossierLimits(),
    schema: str | os.PathLike[str] = "own",
) -> DossierReport:
    """Read, validate and unpack one dossier. ``schema``: "own" (schemas/dossier), "official" (the
    Edustandaard XSD beside the project) or a path to an XSD. A `ParsedDossier` is read as its bytes would
    be, without parsing it again (one that may exceed the fast path's size is serialised and read as bytes)."""
    result, stop = _read(source, blobs, limits)
    if stop is not None:
        report = DossierReport(valid=False, findings=[stop, *_attachment_findings(result.attachments)])
        report.attachments = result.attachments
        _log(report)
        return report
    root = result.root
    assert root is not None
    findings: list[Finding] = []
    if root.tag != _P + "dossier":
        findings.append(
            fout(
                "DOSSIER_GEEN_OSO_DOSSIER",
                "Het bestand is geen OSO-dossier (verwacht het element 'dossier' in de namespace van de OSO "
                "gegevensset 2019).",
                "/",
            )
        )
    findings += _schema.validate(root, schema, limits.max_schema_findings)
    if root.tag == _P + "dossier":
        findings += check_dossier(root)
        findings += check_free_text(root)  # a BSN typed into any text (PaO.LL12)
    if result.documents > limits.max_attachments:
        findings.append(
            fout(
                "DOSSIER_TE_VEEL_BIJLAGEN",
                f"Het dossier bevat meer dan {limits.max_attachments} bijlagen. Stuur minder bijlagen mee.",
                None,
            )
        )
    valid = not any(f.blocking for f in findings)
    report = DossierReport(
        valid=valid,
        findings=[*findings, *_attachment_findings(result.attachments)],
        attachments=result.attachments,
        **_identity(root),
    )
    _log(report)
    return report


def _read(
    source: BinaryIO | bytes | os.PathLike[str] | str | ParsedDossier, blobs: BlobStore | None, limits: DossierLimits
) -> tuple[ReadResult, Finding | None]:
    """The read's result and the finding that stopped it: the fast path for a dossier small enough (a parsed one
    without parsing it again), else — or when libxml2 refused it on the way — the streaming reader."""
    raw: BinaryIO | bytes | os.PathLike[str] | str
    if isinstance(source, ParsedDossier):
        if 0 < source.size <= _fast_path_size(limits):
            parsed = source
            read = _read_small(lambda: read_tree(parsed.root, parsed.size, blobs=blobs, limits=limits))
            if read is not None:
                return read
        raw = etree.tostring(source.root, encoding="utf-8")  # too big for the fast path, or refused on it: as bytes
    else:
        raw = source
    small = _small_bytes(raw, limits)
    read = _read_small(partial(read_small, small, blobs=blobs, limits=limits)) if small is not None else None
    if read is not None:
        return read
    reader = StreamingReader(blobs=blobs, limits=limits)
    stop = _feed(reader, small if small is not None else raw, limits)
    return reader.result, stop


def _fast_path_size(limits: DossierLimits) -> int:
    """The largest dossier read whole (larger ones, and any over the size limit, are the streaming reader's)."""
    return min(limits.fast_path_bytes, limits.max_dossier_bytes)


def _small_bytes(source: object, limits: DossierLimits) -> bytes | None:
    """The whole dossier when it is small enough for the fast path (and not empty), else None. The size
    limit is the streaming reader's to report."""
    small = _fast_path_size(limits)
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source) if 0 < len(source) <= small else None
    if isinstance(source, str | os.PathLike):
        try:
            size = os.path.getsize(source)
            if 0 < size <= small:
                with open(source, "rb") as f:
                    # read(small + 1) in effect, without allocating small + 1 bytes first (≈ 0.1 ms)
                    data = f.read(size + 1)
                    if len(data) > size:  # the file grew since it was measured
                        data += f.read(small - len(data) + 1)
                    return data
        except OSError:
            return None
    return None


def _read_small(read: Callable[[], tuple[ReadResult, Finding | None]]) -> tuple[ReadResult, Finding | None] | None:
    """The fast path's result (``read``: `read_small` or `read_tree`), or None when libxml2 refused the bytes:
    then the streaming reader reads them again and names the precise reason (libxml2's own guards, e.g.
    nesting deeper than 256, surface here as a syntax error, while the streaming reader stops earlier with
    DOSSIER_TE_DIEP)."""
    try:
        result, stop = read()
    except etree.XMLSyntaxError:
        return None
    except BlobStoreUnavailable:
        raise  # an outage of the blob store is not the dossier's fault: the exchange is tried again later
    except Exception:  # hostile input must become a finding, never a crash
        log.exception("dossier_onleesbaar")
        return ReadResult(), _unreadable()
    return result, stop


def _feed(
    reader: StreamingReader, source: BinaryIO | bytes | os.PathLike[str] | str, limits: DossierLimits
) -> Finding | None:
    """Feed the source to the parser in chunks; returns the finding that stopped the read, if any."""
    too_big = fout(
        "DOSSIER_TE_GROOT",
        f"Het dossier is groter dan {limits.max_dossier_bytes // MB} MB en is niet gelezen.",
        None,
    )
    chunk = limits.chunk_bytes
    seen = 0
    try:
        if isinstance(source, bytes | bytearray | memoryview):
            view = memoryview(source)
            if len(view) > limits.max_dossier_bytes:
                return too_big
            if not len(view):
                return _not_xml()
            for at in range(0, len(view), chunk):
                reader.parser.feed(bytes(view[at : at + chunk]))
        else:
            handle: BinaryIO
            if isinstance(source, str | os.PathLike):
                if os.path.getsize(source) > limits.max_dossier_bytes:
                    return too_big
                handle = open(source, "rb")
                owned = True
            else:
                handle, owned = source, False
            try:
                while block := _read_block(handle, chunk, owned):
                    seen += len(block)
                    if seen > limits.max_dossier_bytes:
                        return too_big
                    reader.parser.feed(block)
            finally:
                if owned:
                    handle.close()
            if not seen:
                return _not_xml()
        reader.result.root = reader.parser.close()
    except (BlobStoreUnavailable, DossierSourceUnavailable):
        raise  # an outage of the blob store or our disk is not the dossier's fault: tried again later
    except Exception as e:  # hostile input must become a finding, never a crash
        if reader.outage is not None:
            raise reader.outage from None
        if reader.stopped is not None:
            return reader.stopped
        if isinstance(e, etree.XMLSyntaxError):
            return _not_xml(str(e))
        log.exception("dossier_onleesbaar")
        return _unreadable()
    if reader.result.root is None:
        return _not_xml()
    return None


def _read_block(handle: BinaryIO, size: int, owned: bool) -> bytes:
    """The next block of a file-like the caller gave (a failure there is ours: `DossierSourceUnavailable`); of a
    file we opened from a path (the CLI's check of a file) a failure stays the dossier's DOSSIER_ONLEESBAAR."""
    if owned:
        return handle.read(size)
    try:
        return handle.read(size)
    except OSError as exc:
        raise DossierSourceUnavailable(f"het dossier kon niet van de eigen schijf worden gelezen: {exc}") from exc


def _unreadable() -> Finding:
    return fout(
        "DOSSIER_ONLEESBAAR",
        "Het dossier kon niet worden gelezen. Het secretariaat is op de hoogte; probeer het later opnieuw.",
        None,
    )


def _not_xml(detail: str | None = None) -> Finding:
    extra = f" ({detail})" if detail else ""
    return fout(
        "DOSSIER_GEEN_XML",
        f"Het dossier is geen goedgevormde XML{extra}. Laat de leverancier van het leerlingadministratiesysteem "
        "dit controleren.",
        None,
    )


def _attachment_findings(attachments: list) -> list[Finding]:
    return [f for a in attachments for f in a.findings]


def _identity(root: etree._Element) -> dict:
    school = _firsts(root, "huidigeschool", "metadata")
    metadata = school.get("metadata")
    school_fields = _firsts(school.get("huidigeschool"), "leerling", "brincode", "vestigingscode")
    pupil = None
    if (leerling := school_fields.get("leerling")) is not None:
        fields = _firsts(leerling, "leerlingid", "voornaam", "achternaam", "geboortedatum", "voorvoegsel")
        pupil = PupilIdentity(
            leerlingid=_text(fields, "leerlingid"),
            voornaam=_text(fields, "voornaam"),
            achternaam=_text(fields, "achternaam"),
            geboortedatum=_date(_text(fields, "geboortedatum")),
            tussenvoegsel=_text(fields, "voorvoegsel"),
        )
    has_school = "huidigeschool" in school
    return {
        "pupil": pupil,
        "brin": _text(school_fields, "brincode") if has_school else None,
        "vestigingscode": _text(school_fields, "vestigingscode") if has_school else None,
        "overstap": _text(_firsts(metadata, "overstap"), "overstap") if metadata is not None else None,
    }


def _firsts(parent: etree._Element | None, *names: str) -> dict[str, etree._Element]:
    """The first child of each name (in the dossier namespace), as ``parent.find`` would find it; one walk."""
    found: dict[str, etree._Element] = {}
    if parent is not None:
        for child in parent.iterchildren(*(_P + n for n in names)):
            found.setdefault(child.tag[len(_P) :], child)
    return found


def _text(found: dict[str, etree._Element], name: str) -> str | None:
    """What ``parent.findtext`` gives: None without the element, "" for an empty one."""
    element = found.get(name)
    return None if element is None else (element.text or "")


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip()) if value else None
    except ValueError:
        return None


def _log(report: DossierReport) -> None:
    log.info(
        "dossier_gecontroleerd",
        valid=report.valid,
        codes=sorted({f.code for f in report.findings}),
        bijlagen=len(report.attachments),
    )
