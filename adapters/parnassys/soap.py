"""SOAP 1.1 + WS-Addressing on the wire: hardened parsing, envelope building and faults.

Pure functions over bytes and lxml trees; no I/O. The parser refuses DTDs and entities outright (a
DOCTYPE is a refusal, not something to ignore), never touches the network and is only handed bytes whose
size was checked first (see `endpoint.read_limited`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from adapters.parnassys.refusals import refusal
from verification.findings import Finding

__all__ = [
    "NS",
    "SOAP_ENV",
    "WSA",
    "WSSE",
    "WSU",
    "Addressing",
    "Envelope",
    "SoapRejected",
    "action_for",
    "build_envelope",
    "build_fault",
    "oin_from_address",
    "parse_envelope",
    "parse_xml",
]

NS = "http://xml.kennisnet.nl/schemas/Overstapservice/20200910"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://www.w3.org/2005/08/addressing"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
ANONYMOUS = "http://www.w3.org/2005/08/addressing/anonymous"

_WSA_HEADERS = ("Action", "MessageID", "To", "From", "ReplyTo", "FaultTo", "RelatesTo")


def action_for(operation: str) -> str:
    """The wsa:Action of an OSO operation in our WSDL (ASSUMPTION: ``<namespace>/<message>``)."""
    return f"{NS}/{operation}"


class SoapRejected(Exception):
    """The message cannot be accepted at the transport level; carries the finding for the fault."""

    def __init__(self, finding: Finding, *, status: int = 500) -> None:
        super().__init__(f"{finding.code}: {finding.message}")
        self.finding = finding
        self.status = status


def hardened_parser(huge: bool = False, target: object | None = None) -> etree.XMLParser:
    """No DTD, entities or network; comments and PIs dropped (``target``: a parser target instead of a tree)."""
    return etree.XMLParser(
        target=target,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
        huge_tree=huge,
        collect_ids=False,
    )


def parse_xml(data: bytes, *, huge: bool = False) -> etree._Element:
    """Parse bytes with a hardened parser; any DOCTYPE is refused (``SOAP_DTD_NIET_TOEGESTAAN``)."""
    if not data.strip():
        raise SoapRejected(refusal("SOAP_ONGELDIG", detail="leeg bericht"))
    try:
        tree = etree.fromstring(data, parser=hardened_parser(huge)).getroottree()
    except etree.XMLSyntaxError as exc:
        if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data.upper():
            raise SoapRejected(refusal("SOAP_DTD_NIET_TOEGESTAAN")) from exc
        raise SoapRejected(refusal("SOAP_ONGELDIG", detail=syntax_detail(exc))) from exc
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise SoapRejected(refusal("SOAP_DTD_NIET_TOEGESTAAN"))
    return tree.getroot()


def syntax_detail(exc: etree.XMLSyntaxError) -> str:
    """What is wrong with the XML, in Dutch and with its place: the partner reads it in the fault, so none of
    libxml2's English text (which also names parser options of ours) goes out."""
    text = str(exc).lower()
    line, column = exc.position if exc.position else (exc.lineno or 0, 0)
    where = f" (regel {line}, kolom {column})" if line else ""
    if "depth" in text:
        return "de XML is dieper genest dan toegestaan"
    if "encoding" in text or "invalid bytes" in text or "not utf-8" in text:
        return f"het bericht bevat bytes die geen geldige UTF-8-tekens zijn{where}"
    if "xmlchar" in text or "char value" in text:
        return f"het bericht bevat een teken dat in XML niet is toegestaan{where}"
    if "premature end" in text or "extra content" in text or "not properly terminated" in text:
        return f"de XML is niet compleet of loopt door na het hoofdelement{where}"
    return f"de XML is niet goed gevormd{where}"


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Addressing:
    action: str | None
    message_id: str | None
    to: str | None
    from_address: str | None
    relates_to: str | None
    elements: dict[str, etree._Element]  # local name → the (single) header element


@dataclass(frozen=True)
class Envelope:
    root: etree._Element
    header: etree._Element | None
    body: etree._Element
    operation: etree._Element  # the single child of Body
    addressing: Addressing

    @property
    def operation_name(self) -> str:
        return etree.QName(self.operation).localname

    @property
    def operation_ns(self) -> str | None:
        return etree.QName(self.operation).namespace

    def security(self) -> etree._Element | None:
        if self.header is None:
            return None
        found = self.header.findall(f"{{{WSSE}}}Security")
        if len(found) > 1:
            raise SoapRejected(refusal("WSS_HANDTEKENING_ONGELDIG", detail="meer dan één wsse:Security"))
        return found[0] if found else None


def parse_envelope(data: bytes, *, huge: bool = False) -> Envelope:
    """Parse and check the SOAP 1.1 structure: Envelope, optional Header, Body with exactly one child."""
    root = parse_xml(data, huge=huge)
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise SoapRejected(refusal("SOAP_ONGELDIG", detail="het hoofdelement is geen SOAP 1.1 Envelope"))
    children = [c for c in root if isinstance(c.tag, str)]
    header = None
    if children and children[0].tag == f"{{{SOAP_ENV}}}Header":
        header = children.pop(0)
    if len(children) != 1 or children[0].tag != f"{{{SOAP_ENV}}}Body":
        raise SoapRejected(refusal("SOAP_ONGELDIG", detail="Envelope moet één Header en één Body bevatten"))
    body = children[0]
    payload = [c for c in body if isinstance(c.tag, str)]
    if len(payload) != 1:
        raise SoapRejected(refusal("SOAP_ONGELDIG", detail="Body moet precies één element bevatten"))
    return Envelope(root, header, body, payload[0], _addressing(header))


def _addressing(header: etree._Element | None) -> Addressing:
    elements: dict[str, etree._Element] = {}
    if header is not None:
        for child in header:
            if not isinstance(child.tag, str):
                continue
            q = etree.QName(child)
            if q.namespace != WSA:
                continue
            if q.localname in elements:
                raise SoapRejected(refusal("WSA_HEADER_DUBBEL", f"wsa:{q.localname}", header=f"wsa:{q.localname}"))
            elements[q.localname] = child

    def text(name: str) -> str | None:
        el = elements.get(name)
        if el is None:
            return None
        if name in ("From", "ReplyTo", "FaultTo"):
            addr = el.find(f"{{{WSA}}}Address")
            return (addr.text or "").strip() if addr is not None else None
        return (el.text or "").strip() or None

    return Addressing(
        action=text("Action"),
        message_id=text("MessageID"),
        to=text("To"),
        from_address=text("From"),
        relates_to=text("RelatesTo"),
        elements=elements,
    )


def oin_from_address(address: str | None) -> str | None:
    """The OIN in an Edukoppeling address (``…?oin=00000003…``), or None."""
    if not address:
        return None
    values = parse_qs(urlsplit(address).query).get("oin")
    return values[0] if values else None


def build_envelope(
    body_child: etree._Element,
    *,
    action: str,
    to: str | None = None,
    from_address: str | None = None,
    relates_to: str | None = None,
    message_id: str | None = None,
    extra_headers: Iterable[etree._Element] = (),
) -> etree._Element:
    """A SOAP 1.1 envelope with WS-Addressing 1.0 headers (Action, MessageID, To, From, RelatesTo)."""
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV, "wsa": WSA, "wsu": WSU, "oso": NS})
    header = etree.SubElement(env, f"{{{SOAP_ENV}}}Header")
    for el in extra_headers:
        header.append(el)
    etree.SubElement(header, f"{{{WSA}}}Action").text = action
    etree.SubElement(header, f"{{{WSA}}}MessageID").text = message_id or f"urn:uuid:{uuid.uuid4()}"
    if to:
        etree.SubElement(header, f"{{{WSA}}}To").text = to
    if from_address:
        frm = etree.SubElement(header, f"{{{WSA}}}From")
        etree.SubElement(frm, f"{{{WSA}}}Address").text = from_address
    if relates_to:
        etree.SubElement(header, f"{{{WSA}}}RelatesTo").text = relates_to
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    body.append(body_child)
    return env


def build_fault(
    findings: Sequence[Finding],
    *,
    server: bool = False,
    relates_to: str | None = None,
    from_address: str | None = None,
) -> etree._Element:
    """A SOAP 1.1 fault; ``detail`` carries each finding (code, Dutch melding, locatie) in our namespace."""
    first = findings[0]
    fault = etree.Element(f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(fault, "faultcode").text = "soap:Server" if server else "soap:Client"
    etree.SubElement(fault, "faultstring").text = f"{first.code}: {first.message}"
    detail = etree.SubElement(fault, "detail")
    fouten = etree.SubElement(detail, f"{{{NS}}}fouten")
    for f in findings:
        el = etree.SubElement(fouten, f"{{{NS}}}fout")
        etree.SubElement(el, f"{{{NS}}}code").text = f.code
        etree.SubElement(el, f"{{{NS}}}melding").text = f.message
        if f.location:
            etree.SubElement(el, f"{{{NS}}}locatie").text = f.location
    return build_envelope(
        fault,
        action=f"{WSA}/soap/fault",
        relates_to=relates_to,
        from_address=from_address,
    )


def fault_findings(root: etree._Element) -> list[Finding] | None:
    """Read our fault detail back (used by the outbound clients and the simulators); None if no fault."""
    fault = root.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    if fault is None:
        return None
    found: list[Finding] = []
    for el in fault.iter(f"{{{NS}}}fout"):
        code = el.findtext(f"{{{NS}}}code") or "ONBEKEND"
        found.append(
            Finding(code=code, message=el.findtext(f"{{{NS}}}melding") or "", location=el.findtext(f"{{{NS}}}locatie"))
        )
    if not found:
        found.append(Finding(code="SOAP_FAULT", message=fault.findtext("faultstring") or "SOAP fault"))
    return found


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def to_bytes(env: etree._Element) -> bytes:
    return etree.tostring(env, xml_declaration=True, encoding="utf-8")
