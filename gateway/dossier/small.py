"""The fast path for small dossiers: parse in C at once, then do what the streaming reader does.

A dossier up to ``DossierLimits.fast_path_bytes`` is parsed whole by libxml2 (hardened: no DTD loaded,
no entity resolved, no network) instead of through Python callbacks, which is several times faster for
the common case of a dossier with a few small documents. The same limits and the same findings apply:
a DOCTYPE, nesting, element count, an oversized text node; BSN values are blanked before anything else
looks at the tree; every ``bestandsinhoud`` goes through the same Base64 decoder and unpacker. The XSD
then judges the real document, not a skeleton. The test suite runs the corpus through both paths.
"""

from __future__ import annotations

from lxml import etree

from gateway.store.blobs import BlobStore
from verification.dossier import NS, path_of
from verification.findings import Finding, fout

from .base64stream import Base64Error
from .extract import DocumentInfo, unpack
from .model import DossierLimits
from .reader import ReadResult, TooBig, attribute_too_large, base64_error, role_of, spool_zip, too_big

__all__ = ["read_small"]

_P = f"{{{NS}}}"
_INHOUD = _P + "bestandsinhoud"
_MASKED = (_P + "bsn", _P + "onderwijsnummer")
_NAMES = (_P + "voornaam", _P + "roepnaam", _P + "achternaam")

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True
)


def read_small(data: bytes, *, blobs: BlobStore | None, limits: DossierLimits) -> tuple[ReadResult, Finding | None]:
    """Returns the result and the finding that stopped the read (None when the read completed)."""
    result = ReadResult()
    root = etree.fromstring(data, _PARSER)  # XMLSyntaxError is handled by the caller
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
    stop = _limits(root, limits)
    if stop is not None:
        return result, stop
    names = tuple(el.text for leerling in root.iter(_P + "leerling") for el in leerling.iterchildren(*_NAMES))
    documents = 0
    for document in root.iter(_P + "document"):
        documents += 1
        if documents > limits.max_attachments:
            break
        draft = _document(document, names, blobs, limits)
        if draft is not None:
            result.attachments.append(draft)
    result.root = root
    result.documents = sum(1 for _ in root.iter(_P + "document"))
    return result, None


def _limits(root: etree._Element, limits: DossierLimits) -> Finding | None:
    """The streaming reader's limits, asked of the parsed tree with XPath (evaluated in C)."""
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
    if root.xpath("count(//*)") > limits.max_elements:
        return fout("DOSSIER_TE_VEEL_ELEMENTEN", "Het dossier bevat onredelijk veel elementen.", None)
    if root.xpath("boolean(/*" + "/*" * limits.max_depth + ")"):
        return fout("DOSSIER_TE_DIEP", "Het dossier is onredelijk diep genest.", None)
    return None


def _document(document: etree._Element, names: tuple, blobs: BlobStore | None, limits: DossierLimits):
    inhoud = document.find(_INHOUD)
    if inhoud is None:
        return None
    bestandsnaam = document.findtext(_P + "bestandsnaam")
    raw, decoder = spool_zip(limits, in_memory=True)
    errors: list[Finding] = []
    try:
        try:
            decoder.feed(inhoud.text or "")
            for child in inhoud:  # text after a child element (the schema refuses those anyway)
                decoder.feed(child.tail or "")
            decoder.close()
        except Base64Error:
            errors.append(base64_error(bestandsnaam, document))
        except TooBig:
            errors.append(too_big(bestandsnaam, document, limits))
        info = DocumentInfo(
            bestandsnaam=bestandsnaam or "",
            omschrijving=document.findtext(_P + "omschrijving"),
            role=role_of(document),
            location=path_of(document),
        )
        return unpack(
            raw,
            0 if errors else raw.tell(),
            info,
            blobs=blobs,
            limits=limits,
            pupil_names=names,
            early=tuple(errors),
        )
    finally:
        raw.close()
