"""SOAP 1.1 over HTTP: the transport rules a notificatie must follow before its XML is read.

- ``Content-Type: text/xml`` (SOAP 1.1 §6.1.1; WS-I Basic Profile R1109); ``charset`` absent or ``utf-8``.
  DECISION (docs/partners/parnassys.md, "Transport"): only UTF-8. UTF-16 doubles every size limit and no
  Edukoppeling client sends it; ISO-8859-1 is not allowed by WS-I BP (R4003: UTF-8 or UTF-16). A body whose
  byte-order mark or XML declaration names another encoding is refused the same way, whatever the header says.
- ``SOAPAction`` present, quoted or not, equal to the ``soapAction`` of the operation in our WSDL (SOAP 1.1
  §6.1.1; WS-I BP R2744), which is also its ``wsa:Action``.

Pure functions; each refusal is the existing ``SOAP_CONTENT_TYPE`` or a ``SOAP_SOAPACTION_*`` code.
"""

from __future__ import annotations

import re

from adapters.parnassys.refusals import refusal
from adapters.parnassys.soap import SoapRejected

__all__ = ["check_body_encoding", "check_content_type", "check_soap_action"]

_UTF8 = {"utf-8", "utf8"}
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")
_BOMS = {
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe\x00\x00": "UTF-32",
}


def _media(header: str | None) -> tuple[str, dict[str, str]]:
    if not header:
        return "", {}
    kind, *params = header.split(";")
    values: dict[str, str] = {}
    for param in params:
        name, _, value = param.partition("=")
        values[name.strip().lower()] = value.strip().strip('"').lower()
    return kind.strip().lower(), values


def check_content_type(header: str | None) -> None:
    """``text/xml`` with no charset or ``charset=utf-8``; else ``SOAP_CONTENT_TYPE`` (HTTP 415)."""
    kind, params = _media(header)
    shown = (header or "geen Content-Type")[:80]
    if kind != "text/xml":
        raise SoapRejected(refusal("SOAP_CONTENT_TYPE", "HTTP Content-Type", received=shown), status=415)
    charset = params.get("charset")
    if charset is not None and charset not in _UTF8:
        raise SoapRejected(refusal("SOAP_CONTENT_TYPE", "HTTP Content-Type", received=shown), status=415)


def check_body_encoding(body: bytes) -> None:
    """The XML itself must be UTF-8: no UTF-16/32 byte-order mark, no other ``encoding=`` declaration."""
    for bom, name in sorted(_BOMS.items(), key=lambda item: -len(item[0])):
        if body.startswith(bom):
            raise SoapRejected(refusal("SOAP_CONTENT_TYPE", "XML-declaratie", received=f"XML in {name}"), status=415)
    if body[:2] in (b"\x00<", b"<\x00"):  # UTF-16 without a byte-order mark
        raise SoapRejected(refusal("SOAP_CONTENT_TYPE", "XML-declaratie", received="XML in UTF-16"), status=415)
    declared = _DECLARED.match(body[:200].removeprefix(b"\xef\xbb\xbf"))
    if declared is not None and declared.group(1).decode("ascii").lower() not in _UTF8:
        received = f"XML in {declared.group(1).decode('ascii')[:40]}"
        raise SoapRejected(refusal("SOAP_CONTENT_TYPE", "XML-declaratie", received=received), status=415)


def check_soap_action(header: str | None, *, expected: str, operation: str) -> None:
    """The HTTP ``SOAPAction`` names the operation that is in the Body."""
    if header is None:
        raise SoapRejected(
            refusal("SOAP_SOAPACTION_ONTBREEKT", "HTTP SOAPAction", expected=expected, operation=operation)
        )
    value = header.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].strip()
    if value != expected:
        raise SoapRejected(
            refusal(
                "SOAP_SOAPACTION_ONJUIST",
                "HTTP SOAPAction",
                received=(value or "leeg")[:120],
                expected=expected,
                operation=operation,
            )
        )
