"""The hardened, streaming dossier reader: one pass over the XML in bounded memory.

The XML is fed to libxml2 in chunks through lxml's *target* interface, so no text node is ever held whole:

- every element, attribute and ordinary text goes into a *skeleton* tree (lxml TreeBuilder), except that
  the text of ``bestandsinhoud`` becomes one placeholder character and the text of ``bsn`` /
  ``onderwijsnummer`` becomes ``0`` — the skeleton is XSD-valid exactly when the real dossier is (both are
  ``nonEmptyStringType``: only "empty or not" matters), and a BSN never enters memory we keep;
- the text of ``bestandsinhoud`` is Base64-decoded piece by piece into a spooled temporary file, and when
  its ``document`` closes the ZIP is unpacked (gateway.dossier.extract) straight into the blob store;
- a DOCTYPE (and with it every DTD, entity declaration, XXE and billion-laughs construction), a text
  node over ``max_text_bytes``, nesting over ``max_depth`` and more than ``max_elements`` elements stop the
  read at once with a finding.
"""

from __future__ import annotations

import io
import tempfile
from typing import IO, Any

from lxml import etree

from gateway.pipeline.contracts import BijlageDraft
from gateway.store.blobs import BlobStore, BlobStoreUnavailable
from verification.dossier import NS, path_of
from verification.findings import Finding, fout

from .base64stream import Base64Error, Base64Stream
from .extract import DocumentInfo, unpack
from .model import DossierLimits

__all__ = [
    "ReadResult",
    "Stop",
    "StreamingReader",
    "base64_error",
    "decoded_attributes",
    "role_of",
    "spool_zip",
    "too_big",
]

_P = f"{{{NS}}}"
_DOCUMENT = _P + "document"
_INHOUD = _P + "bestandsinhoud"
_MASKED = {_P + "bsn": "0", _P + "onderwijsnummer": "0"}
_ROLES = {_P + "opp": "opp", _P + "toelichting_onderwijsbehoeften": "toelichting_onderwijsbehoeften"}
_NAME_FIELDS = {_P + "voornaam", _P + "roepnaam", _P + "achternaam"}


class Stop(Exception):
    """Raised from a parser callback to end the read; carries the finding that explains why."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.code)
        self.finding = finding


def attribute_too_large(where: str | None) -> Finding:
    """An attribute value over ``max_text_bytes``: the same refusal as an oversized text node."""
    return fout(
        "DOSSIER_TEKST_TE_GROOT",
        "Het dossier bevat een attribuut dat veel groter is dan toegestaan; het dossier is niet gelezen.",
        where,
    )


def _stop(reader: StreamingReader, finding: Finding) -> Stop:
    reader.stopped = finding
    return Stop(finding)


class ReadResult:
    def __init__(self) -> None:
        self.root: etree._Element | None = None
        self.attachments: list[BijlageDraft] = []
        self.findings: list[Finding] = []  # dossier-level findings of the read itself
        self.documents = 0  # document elements seen (also those over max_attachments)


class _Document:
    __slots__ = ("bestandsnaam", "decoder", "element", "errors", "omschrijving", "raw", "role")

    def __init__(self, element: etree._Element, role: str) -> None:
        self.element = element
        self.role = role
        self.bestandsnaam: str | None = None
        self.omschrijving: str | None = None
        self.raw: IO[bytes] | None = None
        self.decoder: Base64Stream | None = None
        self.errors: list[Finding] = []


def decoded_attributes(attrib: dict[str, str]) -> dict[str, str]:
    """An element's attributes as a parser *target* should see them: without resolve_entities libxml2 hands a
    target each "&" of an attribute value as "&#38;" (its tree builder decodes it, a target must)."""
    if attrib and any("&#38;" in v for v in attrib.values()):
        return {k: v.replace("&#38;", "&") for k, v in attrib.items()}
    return attrib


class StreamingReader:
    """The parser target: feed chunks of bytes to ``reader.parser.feed``; ``reader.parser.close()`` returns
    the skeleton's root element."""

    def __init__(self, *, blobs: BlobStore | None, limits: DossierLimits) -> None:
        self._blobs = blobs
        self._limits = limits
        self._builder = etree.TreeBuilder()
        self._stack: list[etree._Element] = []
        self._elements = 0
        self._text = 0  # characters of text in the current element (and its tails)
        self._mode: str | None = None  # None | "inhoud" | "masked"
        self._placed = False  # placeholder already written for the current inhoud/masked element
        self._doc: _Document | None = None
        self._field: list[str] | None = None  # collects bestandsnaam / omschrijving / names
        self._names: list[str | None] = []
        self._documents = 0
        self.stopped: Finding | None = None  # set when a callback ended the read
        self.outage: BlobStoreUnavailable | None = None  # the blob store failed: not the dossier's fault
        self.result = ReadResult()
        self.parser = etree.XMLParser(
            target=self,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )

    # --------------------------------------------------------------------------------- target API

    def doctype(self, *_: Any) -> None:
        raise _stop(
            self,
            fout(
                "XML_DTD_NIET_TOEGESTAAN",
                "Het dossier bevat een DOCTYPE (DTD of entiteiten). Dat is niet toegestaan in een OSO-dossier; "
                "het dossier is niet gelezen.",
                "/",
            ),
        )

    def start(self, tag: str, attrib: dict[str, str], nsmap: dict[str, str] | None = None) -> None:
        self._elements += 1
        if self._elements > self._limits.max_elements:
            raise _stop(self, fout("DOSSIER_TE_VEEL_ELEMENTEN", "Het dossier bevat onredelijk veel elementen.", None))
        if len(self._stack) >= self._limits.max_depth:
            raise _stop(self, fout("DOSSIER_TE_DIEP", "Het dossier is onredelijk diep genest.", None))
        attrib = decoded_attributes(attrib)
        if attrib and any(len(v) > self._limits.max_text_bytes for v in attrib.values()):
            where = path_of(self._stack[-1]) if self._stack else "/"
            raise _stop(self, attribute_too_large(where))
        element = self._builder.start(tag, attrib)
        self._stack.append(element)
        self._text = 0
        self._placed = False
        if tag == _INHOUD and self._doc is not None and self._doc.raw is None:
            self._mode = "inhoud"
            self._start_inhoud(self._doc)
        elif tag in _MASKED:
            self._mode = "masked"
        elif tag == _DOCUMENT:
            self._documents += 1
            self._doc = _Document(element, self._role())
        elif self._doc is not None and tag in (_P + "bestandsnaam", _P + "omschrijving"):
            self._field = []
        elif tag in _NAME_FIELDS and len(self._stack) >= 2 and self._stack[-2].tag == _P + "leerling":
            self._field = []

    def data(self, text: str) -> None:
        if self._mode == "inhoud":
            self._inhoud_data(text)
            return
        if self._mode == "masked":
            if not self._placed and text:
                self._builder.data(_MASKED.get(self._stack[-1].tag, "0"))
                self._placed = True
            return
        self._text += len(text)
        if self._text > self._limits.max_text_bytes:
            where = path_of(self._stack[-1]) if self._stack else None
            raise _stop(
                self,
                fout(
                    "DOSSIER_TEKST_TE_GROOT",
                    "Het dossier bevat een tekstveld dat veel groter is dan toegestaan; het dossier is niet gelezen.",
                    where,
                ),
            )
        if self._field is not None:
            self._field.append(text)
        self._builder.data(text)

    def end(self, tag: str) -> None:
        element = self._stack.pop()
        self._builder.end(tag)
        if self._mode is not None and tag in (_INHOUD, *_MASKED):
            if self._mode == "inhoud" and self._doc is not None:
                self._end_inhoud(self._doc)
            self._mode = None
        elif self._field is not None:
            value = "".join(self._field)
            self._field = None
            if self._doc is not None and tag == _P + "bestandsnaam":
                self._doc.bestandsnaam = value
            elif self._doc is not None and tag == _P + "omschrijving":
                self._doc.omschrijving = value
            elif tag in _NAME_FIELDS:
                self._names.append(value)
        elif tag == _DOCUMENT and self._doc is not None and self._doc.element is element:
            try:
                self._finish_document(self._doc)
            except BlobStoreUnavailable as exc:
                self.outage = exc  # lxml may report it as a syntax error; `_feed` raises this instead
                raise
            self._doc = None
        self._text = 0

    def comment(self, text: str) -> None:  # comments and PIs never reach the skeleton
        pass

    def pi(self, target: str, data: str | None = None) -> None:
        pass

    def close(self) -> etree._Element | None:
        self.result.documents = self._documents
        if self.stopped is not None:
            return None  # lxml calls close() even after a callback raised; the skeleton is incomplete
        return self._builder.close()

    # --------------------------------------------------------------------------------- documents

    def _role(self) -> str:
        return role_of(self._stack[-1])

    def _start_inhoud(self, doc: _Document) -> None:
        if self._documents > self._limits.max_attachments:
            return  # counted, not decoded: the dossier gets DOSSIER_TE_VEEL_BIJLAGEN
        doc.raw, doc.decoder = spool_zip(self._limits)

    def _inhoud_data(self, text: str) -> None:
        if not self._placed and text:
            self._builder.data("A")  # the placeholder the schema sees
            self._placed = True
        doc = self._doc
        if doc is None or doc.decoder is None or doc.errors:
            return
        try:
            doc.decoder.feed(text)
        except Base64Error:
            doc.errors.append(self._base64_error(doc))
        except TooBig:
            doc.errors.append(self._too_big(doc))

    def _end_inhoud(self, doc: _Document) -> None:
        if doc.decoder is None or doc.errors:
            return
        try:
            doc.decoder.close()
        except Base64Error:
            doc.errors.append(self._base64_error(doc))

    def _base64_error(self, doc: _Document) -> Finding:
        return base64_error(doc.bestandsnaam, doc.element)

    def _too_big(self, doc: _Document) -> Finding:
        return too_big(doc.bestandsnaam, doc.element, self._limits)

    def _finish_document(self, doc: _Document) -> None:
        if doc.raw is None:
            return  # no bestandsinhoud (the schema reports it) or over the attachment count
        info = DocumentInfo(
            bestandsnaam=doc.bestandsnaam or "",
            omschrijving=doc.omschrijving,
            role=doc.role,
            location=path_of(doc.element),
        )
        raw = doc.raw
        try:
            # after a Base64 or size error the partial ZIP means nothing: it is not kept (the raw exchange,
            # kept by the inbox, still has the text exactly as it came)
            size = 0 if doc.errors else raw.tell()
            draft = unpack(
                raw,  # type: ignore[arg-type]  # typeshed: ZipExtFile is IO[bytes], unpack wants BinaryIO
                size,
                info,
                blobs=self._blobs,
                limits=self._limits,
                pupil_names=tuple(self._names),
                early=tuple(doc.errors),
            )
        finally:
            raw.close()
        self.result.attachments.append(draft)


class TooBig(Exception):
    pass


def base64_error(bestandsnaam: str | None, element: etree._Element) -> Finding:
    return fout(
        "BIJLAGE_BASE64_ONGELDIG",
        f"De inhoud van bijlage '{bestandsnaam or '?'}' is geen geldige Base64-tekst (afgebroken of "
        "beschadigd). Voeg het document opnieuw toe en verstuur de aanvraag opnieuw.",
        path_of(element),
    )


def too_big(bestandsnaam: str | None, element: etree._Element, limits: DossierLimits) -> Finding:
    mb = limits.max_attachment_bytes // (1024 * 1024)
    return fout(
        "BIJLAGE_TE_GROOT",
        f"De bijlage '{bestandsnaam or '?'}' is groter dan {mb} MB. Verklein het document of splits het op.",
        path_of(element),
    )


def role_of(element: etree._Element) -> str:
    """The role of a ``document`` in the dossier, from the block it sits in."""
    block = next(element.iterancestors(*_ROLES), None)  # the nearest such block, found in C
    return "overig" if block is None else _ROLES[block.tag]


def spool_zip(limits: DossierLimits, *, in_memory: bool = False) -> tuple[IO[bytes], Base64Stream]:
    """A spooled file for one decoded ZIP and the Base64 decoder that fills it (raises TooBig).
    ``in_memory``: the caller knows the ZIP is small (the fast path: the whole dossier is in memory)."""
    raw: IO[bytes] = io.BytesIO() if in_memory else tempfile.SpooledTemporaryFile(max_size=limits.spool_bytes)
    limit = limits.max_zip_bytes

    def sink(data: bytes) -> None:
        if raw.tell() + len(data) > limit:
            raise TooBig
        raw.write(data)

    return raw, Base64Stream(sink)
