"""A big SOAP answer read as it arrives, without a DOM of the envelope and without the raw body in memory.

For a ``documentResponse`` of tens or hundreds of megabytes (bijlagen in Base64) the DOM path — the whole
body as bytes, a libxml2 tree of the envelope, then the dossier serialised again — costs about five times
the response in memory. Here the body's chunks go, as they come, into an lxml feed parser (hardened as
`soap.hardened_parser`) whose *target*:

- builds a *skeleton* of the envelope: every element and text, except the contents of the dossier: each
  element child of ``<operation>Response/dossier`` is kept as an empty element of the same name, so the
  caller checks faults (`soap.fault_findings`), the response and the number of dossiers on the skeleton
  with the same code as on the DOM path;
- writes the first child of the first such ``dossier`` — the OSO dossier — event by event into a sealed
  spool (`gateway.store.spool`: an unlinked file, encrypted under a key held only in memory), with the
  namespace declarations in scope at its root, followed by its tail text: what ``etree.tostring(child)``
  gives on the DOM path. Memory: the skeleton and a few 256 KiB buffers, whatever the dossier's size.

Every outcome is the DOM path's (`soap.parse_xml`), decided only when the whole body was read: a DOCTYPE is
``SOAP_DTD_NIET_TOEGESTAAN``; a syntax error is ``SOAP_DTD_NIET_TOEGESTAAN`` when ``<!DOCTYPE`` is in the
first 4 KiB or ``<!ENTITY`` anywhere, else ``SOAP_ONGELDIG`` with the same Dutch detail; an empty body is
``SOAP_ONGELDIG`` (leeg bericht). The parser runs with ``huge_tree`` (the body's size is not known up front);
libxml2's normal depth limit (256), which the DOM path applies to bodies up to `HUGE_BYTES`, is applied here
too for such bodies (docs/assumptions/oso.md, "documentResponse read as it arrives").

The spool is the stream's until `close` hands it over in `Streamed.dossier`, then the caller's to close. When
`close` refuses the body, or the caller abandons it (`discard`), the stream closes it: no file, no key left.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from adapters.parnassys.refusals import refusal
from adapters.parnassys.soap import NS, SOAP_ENV, SoapRejected, hardened_parser, syntax_detail
from gateway.dossier.reader import decoded_attributes
from gateway.store.spool import SealedSpool

__all__ = ["HUGE_BYTES", "SoapStream", "Streamed"]

HUGE_BYTES = 10 * 1024 * 1024  # the DOM path parses bodies over this with huge_tree (client._once)
_NORMAL_MAX_DEPTH = 256  # libxml2's element depth limit without huge_tree
_BODY = f"{{{SOAP_ENV}}}Body"
_DOSSIER = f"{{{NS}}}dossier"


@dataclass(frozen=True)
class Streamed:
    root: etree._Element  # the skeleton of the envelope
    dossier: SealedSpool | None  # the first dossier child, serialised on its own, sealed (None: there was none)


_XML_NS = "http://www.w3.org/XML/1998/namespace"  # bound to the prefix xml without a declaration
# What the skeleton keeps outside the dossier (headers, signature, the aanvraag, a fault) is a few kilobytes in any
# real answer; one that puts megabytes there instead of in the dossier is refused rather than held in memory
MAX_OUTSIDE_CHARACTERS = 16 * 1024 * 1024  # text and attribute values, together
MAX_OUTSIDE_ELEMENTS = 50_000


def _text_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _attr_escape(text: str) -> str:
    text = _text_escape(text).replace('"', "&quot;")
    return text.replace("\n", "&#10;").replace("\t", "&#9;")


class _DossierWriter:
    """One element subtree written event by event into a sealed spool, as ``etree.tostring`` would: the
    namespaces in scope declared at its root, below it the document's own declarations and prefixes. Text goes
    out in the pieces libxml2 hands over (≤ one fed chunk); the spool buffers and seals per 256 KiB, so
    nothing in memory grows with the dossier."""

    def __init__(
        self, tag: str, attrib: dict[str, str], in_scope: dict[str | None, str], spool_dir: Path | None
    ) -> None:
        self.out = SealedSpool(spool_dir)
        self._scopes: list[dict[str | None, str]] = []
        self._names: list[str] = []
        self.start(tag, attrib, in_scope)

    def _prefix(self, uri: str, attribute: bool) -> str | None:
        """A prefix bound to ``uri`` here, not shadowed by an inner declaration (None: the default)."""
        if uri == _XML_NS:
            return "xml"
        shadowed: set[str | None] = set()
        for scope in reversed(self._scopes):
            for prefix, bound in scope.items():
                if bound == uri and prefix not in shadowed and not (attribute and prefix is None):
                    return prefix
            shadowed.update(scope)
        raise ValueError(f"geen prefix voor namespace {uri}")  # the parser already checked every prefix

    def _name(self, clark: str, attribute: bool = False) -> str:
        if not clark.startswith("{"):
            return clark
        uri, local = clark[1:].split("}", 1)
        prefix = self._prefix(uri, attribute)
        return local if prefix is None else f"{prefix}:{local}"

    def start(self, tag: str, attrib: dict[str, str], declared: dict[str | None, str]) -> None:
        self._scopes.append(declared)
        name = self._name(tag)
        parts = ["<", name]
        for prefix, uri in declared.items():
            parts.append(
                f' xmlns="{_attr_escape(uri)}"' if prefix is None else f' xmlns:{prefix}="{_attr_escape(uri)}"'
            )
        for key, value in attrib.items():
            parts.append(f' {self._name(key, attribute=True)}="{_attr_escape(value)}"')
        parts.append(">")
        self.out.write("".join(parts).encode("utf-8"))
        self._names.append(name)

    def data(self, text: str) -> None:
        self.out.write(_text_escape(text).encode("utf-8"))  # replace() returns Base64 text itself: no copy

    def end(self) -> bool:
        """Close the current element; True when that was the subtree's root."""
        self._scopes.pop()
        self.out.write(f"</{self._names.pop()}>".encode())
        return not self._names

    tail = data  # text after the subtree, up to its next sibling: etree.tostring writes it too

    def value(self) -> SealedSpool:
        return self.out.seal()


class _Target:
    """The lxml parser target: skeleton of the envelope, the dossier written aside."""

    def __init__(self, response_tag: str, spool_dir: Path | None) -> None:
        self._response_tag = response_tag
        self._spool_dir = spool_dir
        self._builder = etree.TreeBuilder()
        self._tags: list[str] = []
        self._scopes: list[dict[str | None, str]] = []  # namespace declarations per open element
        self._skip = 0  # > 0: inside a dossier child that is not written (depth below it)
        self._writer: _DossierWriter | None = None
        self._tail: _DossierWriter | None = None  # the written dossier, still collecting its tail text
        self._chosen = ""  # "" → "response" (the first response is open) → "wrapper" (its first dossier) → "done"
        self.doctype_seen = False
        self.max_depth = 0
        self.dossier: SealedSpool | None = None
        self._outside = 0  # characters of text and attribute values kept in the skeleton
        self._outside_elements = 0
        self.bloated = False  # more than that outside the dossier: the skeleton is given up, the answer refused

    def doctype(self, *_: Any) -> None:
        self.doctype_seen = True  # refused when the body is complete, as the DOM path does

    def start(self, tag: str, attrib: dict[str, str], nsmap: dict[str, str] | None = None) -> None:
        declared = {(prefix or None): uri for prefix, uri in nsmap.items()} if nsmap else {}
        attrib = decoded_attributes(attrib)
        self._tags.append(tag)
        self._scopes.append(declared)
        depth = len(self._tags)
        self.max_depth = max(self.max_depth, depth)
        if self._writer is not None:
            self._writer.start(tag, attrib, declared)
            return
        if self._skip:
            self._skip += 1
            return
        self._finish_tail()
        if self._in_wrapper(depth):
            if not self.bloated:
                self._builder.start(tag, {})  # the dossier stands in the skeleton as an empty element
            if self._chosen == "wrapper" and self.dossier is None:
                self._writer = _DossierWriter(tag, attrib, self._in_scope(), self._spool_dir)
            else:
                self._skip = 1
            return
        self._outside_elements += 1
        self._keep(sum(len(v) for v in attrib.values()) if attrib else 0)
        self._choose(tag, depth)
        if not self.bloated:
            self._builder.start(tag, attrib)

    def _keep(self, characters: int) -> None:
        self._outside += characters
        if self._outside > MAX_OUTSIDE_CHARACTERS or self._outside_elements > MAX_OUTSIDE_ELEMENTS:
            self.bloated = True  # from here on nothing more is built; `close` refuses the answer

    def _choose(self, tag: str, depth: int) -> None:
        if self._chosen == "" and tag == self._response_tag and depth == 3 and self._tags[1] == _BODY:
            self._chosen = "response"
        elif self._chosen == "response" and tag == _DOSSIER and depth == 4:
            self._chosen = "wrapper"

    def _in_wrapper(self, depth: int) -> bool:
        """Is the element at ``depth`` a child of some ``Body/<response>/dossier``?"""
        return (
            depth == 5 and self._tags[3] == _DOSSIER and self._tags[2] == self._response_tag and self._tags[1] == _BODY
        )

    def _in_scope(self) -> dict[str | None, str]:
        merged: dict[str | None, str] = {}
        for scope in self._scopes:
            merged.update(scope)
        return {prefix: uri for prefix, uri in merged.items() if uri}  # xmlns="" undeclares, it adds nothing

    def data(self, text: str) -> None:
        if self._writer is not None:
            self._writer.data(text)
        elif self._skip:
            return
        elif self._tail is not None:
            self._tail.tail(text)
        else:
            self._keep(len(text))
            if not self.bloated:
                self._builder.data(text)

    def end(self, tag: str) -> None:
        self._tags.pop()
        self._scopes.pop()
        if self._writer is not None:
            if self._writer.end():
                self._tail, self._writer = self._writer, None
                self._built_end(tag)
            return
        if self._skip:
            self._skip -= 1
            if not self._skip:
                self._built_end(tag)
            return
        self._finish_tail()
        depth = len(self._tags) + 1
        if (self._chosen, depth) in (("response", 3), ("wrapper", 4)):
            self._chosen = "done"  # the DOM path looks only at the first response and its first dossier
        self._built_end(tag)

    def _built_end(self, tag: str) -> None:
        if not self.bloated:
            self._builder.end(tag)

    def _finish_tail(self) -> None:
        if self._tail is not None:
            self.dossier = self._tail.value()
            self._tail = None

    def discard(self) -> None:
        """Close every spool written so far (the body was refused or abandoned)."""
        for writer in (self._writer, self._tail):
            if writer is not None:
                writer.out.close()
        if self.dossier is not None:
            self.dossier.close()
        self._writer = self._tail = None
        self.dossier = None

    def close(self) -> etree._Element | None:
        if self._tags or self.bloated:
            return None  # lxml may call close() after a syntax error; the skeleton is incomplete (or given up)
        self._finish_tail()
        return self._builder.close()


class SoapStream:
    """Feed the body in chunks with `feed` (raises only when the spool cannot be written), then `close`
    (raises `SoapRejected` where `soap.parse_xml` would), or `discard` an abandoned body. The dossier is
    spooled in ``spool_dir`` (None: the system's temp dir)."""

    def __init__(self, response_tag: str, spool_dir: Path | None = None) -> None:
        self._target = _Target(response_tag, spool_dir)
        self._parser = hardened_parser(huge=True, target=self._target)
        self._error: etree.XMLSyntaxError | None = None
        self._size = 0
        self._head = b""  # the first 4 KiB: a DOCTYPE there explains a syntax error
        self._edge = b""  # the last bytes of the previous chunk: a marker may straddle two chunks
        self._entity = False  # "<!ENTITY" seen anywhere (any case)
        self._content = False  # a byte other than whitespace seen

    def feed(self, chunk: bytes) -> None:
        self._size += len(chunk)
        self._scan(chunk)
        if self._error is not None:
            return  # the rest is only scanned and counted, as the DOM path reads it all before parsing
        try:
            self._parser.feed(chunk)
        except etree.XMLSyntaxError as exc:
            self._error = exc

    def _scan(self, chunk: bytes) -> None:
        if len(self._head) < 4096:
            self._head += chunk[: 4096 - len(self._head)]
        if not self._content and chunk.strip():
            self._content = True
        if not self._entity:
            for part in (self._edge + chunk[:8], chunk):
                if b"<!" in part and b"<!ENTITY" in part.upper():
                    self._entity = True
        self._edge = (self._edge + chunk[-8:])[-8:]

    def discard(self) -> None:
        """Give the body up: every spool written so far is closed. Idempotent."""
        self._target.discard()

    def close(self) -> Streamed:
        """The skeleton and the spooled dossier (then the caller's to close); on refusal the spool is closed."""
        try:
            return self._close()
        except BaseException:
            self._target.discard()
            raise

    def _close(self) -> Streamed:
        if not self._content:
            raise SoapRejected(refusal("SOAP_ONGELDIG", detail="leeg bericht"))
        root: etree._Element | None = None
        if self._error is None:
            try:
                root = self._parser.close()
            except etree.XMLSyntaxError as exc:
                self._error = exc
        too_deep = self._size <= HUGE_BYTES and self._target.max_depth > _NORMAL_MAX_DEPTH
        if self._error is not None or too_deep:
            if b"<!DOCTYPE" in self._head.upper() or self._entity:
                raise SoapRejected(refusal("SOAP_DTD_NIET_TOEGESTAAN"))
            if too_deep:
                raise SoapRejected(refusal("SOAP_ONGELDIG", detail="de XML is dieper genest dan toegestaan"))
            assert self._error is not None
            raise SoapRejected(refusal("SOAP_ONGELDIG", detail=syntax_detail(self._error))) from self._error
        if self._target.doctype_seen:
            raise SoapRejected(refusal("SOAP_DTD_NIET_TOEGESTAAN"))
        if self._target.bloated:
            outside = "het antwoord bevat buiten het dossier onredelijk veel tekst of elementen"
            raise SoapRejected(refusal("SOAP_ONGELDIG", detail=outside))
        assert root is not None
        dossier, self._target.dossier = self._target.dossier, None  # handed over: the caller closes it
        return Streamed(root=root, dossier=dossier)
