"""The fast path for small dossiers: parse in C at once, then do what the streaming reader does.

A dossier up to ``DossierLimits.fast_path_bytes`` is parsed whole by libxml2 (hardened: no DTD loaded,
no entity resolved, no network) instead of through Python callbacks, which is several times faster for
the common case of a dossier with a few small documents. The same limits and the same findings apply:
a DOCTYPE, nesting, element count, an oversized text node; BSN values are blanked before anything else
looks at the tree; every ``bestandsinhoud`` goes through the same Base64 decoder and unpacker. The XSD
then judges the real document, not a skeleton. The test suite runs the corpus through both paths.
"""

from __future__ import annotations

import io
import threading

from lxml import etree

from gateway.store.blobs import BlobStore
from verification.dossier import NS, path_of
from verification.findings import Finding, fout

from .base64stream import Base64Error, Base64Stream, decode_whole
from .extract import DocumentInfo, unpack
from .model import DossierLimits
from .reader import ReadResult, TooBig, attribute_too_large, base64_error, role_of, too_big

__all__ = ["read_small", "read_tree"]

_P = f"{{{NS}}}"
_INHOUD = _P + "bestandsinhoud"
_BESTANDSNAAM = _P + "bestandsnaam"
_OMSCHRIJVING = _P + "omschrijving"
_FIELDS = (_BESTANDSNAAM, _OMSCHRIJVING, _INHOUD)
_MASKED = (_P + "bsn", _P + "onderwijsnummer")
_NAMES = (_P + "voornaam", _P + "roepnaam", _P + "achternaam")

# Encodings in which every character takes at least one byte (see `_limits`).
_BYTE_PER_CHARACTER_OR_MORE = frozenset(
    {"UTF-8", "UTF8", "US-ASCII", "ASCII", "ISO-8859-1", "LATIN1", "UTF-16", "UTF-16LE", "UTF-16BE"}
)

_local = threading.local()

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True
)


def read_small(data: bytes, *, blobs: BlobStore | None, limits: DossierLimits) -> tuple[ReadResult, Finding | None]:
    """Returns the result and the finding that stopped the read (None when the read completed)."""
    root = etree.fromstring(data, _PARSER)  # XMLSyntaxError is handled by the caller
    return read_tree(root, len(data), blobs=blobs, limits=limits)


def read_tree(
    root: etree._Element, size: int, *, blobs: BlobStore | None, limits: DossierLimits
) -> tuple[ReadResult, Finding | None]:
    """`read_small` on a dossier parsed already (`ParsedDossier`: parsed as `_PARSER` parses, the root of its own
    document; ``size`` at least its size in bytes)."""
    result = ReadResult()
    if root.getroottree().docinfo.doctype or root.getroottree().docinfo.internalDTD is not None:
        return result, fout(
            "XML_DTD_NIET_TOEGESTAAN",
            "Het dossier bevat een DOCTYPE (DTD of entiteiten). Dat is niet toegestaan in een OSO-dossier; "
            "het dossier is niet gelezen.",
            "/",
        )
    for el in root.iter(*_MASKED):
        if el.text:
            el.text = "0"  # the number itself is never kept
    stop = _limits(root, limits, size)
    if stop is not None:
        return result, stop
    names = tuple(el.text for leerling in root.iter(_P + "leerling") for el in leerling.iterchildren(*_NAMES))
    documents, places = 0, _Places()
    for document in root.iter(_P + "document"):
        documents += 1  # all are counted, those over max_attachments are not read
        location = places.of(document)
        if documents <= limits.max_attachments:
            draft = _document(document, location, names, blobs, limits)
            if draft is not None:
                result.attachments.append(draft)
    result.root = root
    result.documents = documents
    return result, None


def _limits(root: etree._Element, limits: DossierLimits, size: int) -> Finding | None:
    """The streaming reader's limits, asked of the parsed tree with XPath (evaluated in C).

    A text node or attribute value cannot hold more characters than the document has bytes when every
    character takes at least one byte (only the predefined entities and character references are left
    after the DOCTYPE check, and they are longer than what they stand for): a document no larger than
    ``max_text_bytes`` in such an encoding needs no search for long texts."""
    encoding = (root.getroottree().docinfo.encoding or "").upper()
    if size > limits.max_text_bytes or encoding not in _BYTE_PER_CHARACTER_OR_MORE:
        too_long = root.xpath(
            "//*[not(self::d:bestandsinhoud)][text()[string-length(.) > $n]]",
            namespaces={"d": NS},
            n=limits.max_text_bytes,
        )
        if too_long:
            return fout(
                "DOSSIER_TEKST_TE_GROOT",
                "Het dossier bevat een tekstveld dat veel groter is dan toegestaan; het dossier is niet gelezen.",
                path_of(too_long[0]),
            )
        big_attribute = root.xpath("//@*[string-length(.) > $n]/..", n=limits.max_text_bytes)
        if big_attribute:
            return attribute_too_large(path_of(big_attribute[0]))
    # every element takes at least four bytes ("<a/>") in these encodings
    fewer = size < 4 * limits.max_elements and encoding in _BYTE_PER_CHARACTER_OR_MORE
    if not fewer and root.xpath("count(//*)") > limits.max_elements:
        return fout("DOSSIER_TE_VEEL_ELEMENTEN", "Het dossier bevat onredelijk veel elementen.", None)
    if _deeper_than(limits.max_depth)(root):
        return fout("DOSSIER_TE_DIEP", "Het dossier is onredelijk diep genest.", None)
    return None


def _deeper_than(depth: int) -> etree.XPath:
    """``boolean(/*/*/…)``: an element below ``depth`` levels; compiled once per thread (XPath evaluators
    are not shared between threads)."""
    cache: dict[int, etree.XPath] = _local.__dict__.setdefault("deeper_than", {})
    found = cache.get(depth)
    if found is None:
        found = cache[depth] = etree.XPath("boolean(/*" + "/*" * depth + ")")
    return found


class _Places:
    """`path_of` of every document, asked in document order: its parent's path once, then a count per parent
    (every sibling of the same name is asked, in order, so the count is its position)."""

    def __init__(self) -> None:
        self._parents: dict[etree._Element, tuple[str, int]] = {}

    def of(self, document: etree._Element) -> str:
        parent = document.getparent()
        if parent is None:
            return path_of(document)
        base, before = self._parents.get(parent) or (path_of(parent), 0)
        self._parents[parent] = (base, before + 1)
        return f"{base}/document[{before + 1}]"


def _document(document: etree._Element, location: str, names: tuple, blobs: BlobStore | None, limits: DossierLimits):
    fields: dict[str, etree._Element] = {}
    for child in document.iterchildren(*_FIELDS):  # the first of each, as find() takes it
        fields.setdefault(child.tag, child)
    inhoud = fields.get(_INHOUD)
    if inhoud is None:
        return None
    bestandsnaam = _text(fields.get(_BESTANDSNAAM))
    errors: list[Finding] = []
    raw = b""
    try:
        raw = _decode(inhoud, limits.max_zip_bytes)
    except Base64Error:
        errors.append(base64_error(bestandsnaam, document))
    except TooBig:
        errors.append(too_big(bestandsnaam, document, limits))
    info = DocumentInfo(
        bestandsnaam=bestandsnaam or "",
        omschrijving=_text(fields.get(_OMSCHRIJVING)),
        role=role_of(document),
        location=location,
    )
    return unpack(
        io.BytesIO(raw),
        0 if errors else len(raw),
        info,
        blobs=blobs,
        limits=limits,
        pupil_names=names,
        early=tuple(errors),
    )


def _text(element: etree._Element | None) -> str | None:
    """What ``parent.findtext(tag)`` gives for the element found (or not)."""
    return None if element is None else (element.text or "")


def _decode(inhoud: etree._Element, limit: int) -> bytes:
    """The decoded ZIP of one ``bestandsinhoud``, with the streaming reader's verdicts: raises Base64Error
    or TooBig (over ``limit`` bytes) the way its decoder and spool do."""
    if not len(inhoud):  # the usual case: one text node, decoded at once
        data, complete = decode_whole(inhoud.text or "")
        if len(data) > limit:
            raise TooBig
        if not complete:
            raise Base64Error("length is not a multiple of four")
        return data
    out = bytearray()  # text after a child element (the schema refuses those anyway)

    def sink(piece: bytes) -> None:
        if len(out) + len(piece) > limit:
            raise TooBig
        out.extend(piece)

    decoder = Base64Stream(sink)
    decoder.feed(inhoud.text or "")
    for child in inhoud:
        decoder.feed(child.tail or "")
    decoder.close()
    return bytes(out)
