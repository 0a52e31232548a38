"""Hostile OSO notificaties: the XML itself (DTDs and entities, structure and encoding)."""

from __future__ import annotations

from adapters.parnassys.soap import SOAP_ENV
from tests.hostile.corpus_types import Case
from tests.hostile.soap_build import _plain, _post, _with_prolog, envelope

__all__ = ["SOAP_XML_CASES"]

_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b"]>"
)


def _deep(levels: int) -> bytes:
    inner = b"<x>" * levels + b"</x>" * levels
    return envelope().replace(b"<oso:doel>SWV</oso:doel>", b"<oso:doel>SWV</oso:doel>" + inner)


_POLYGLOT_ZIP = b"PK\x03\x04" + b"\x00" * 26 + b"<?xml version='1.0'?>"
SOAP_XML_CASES: list[Case] = [
    # -- DTDs and entities -------------------------------------------------------------------------
    Case(
        "xxe-systeem-entiteit",
        "soap",
        "xxe",
        "SOAP_DTD_NIET_TOEGESTAAN",
        500,
        _plain(
            _with_prolog(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', use=b"&xxe;")
        ),
    ),
    Case(
        "xxe-parameter-entiteit",
        "soap",
        "xxe",
        "SOAP_DTD_NIET_TOEGESTAAN",
        500,
        _plain(
            _with_prolog(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>')
        ),
    ),
    Case(
        "externe-dtd",
        "soap",
        "xxe",
        "SOAP_DTD_NIET_TOEGESTAAN",
        500,
        _plain(_with_prolog(b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/oso.dtd">')),
    ),
    Case(
        "billion-laughs",
        "soap",
        "billion_laughs",
        "SOAP_DTD_NIET_TOEGESTAAN",
        500,
        _plain(_with_prolog(_LAUGHS, use=b"&lol9;")),
    ),
    Case(
        "kwadratische-blowup",
        "soap",
        "billion_laughs",
        "SOAP_DTD_NIET_TOEGESTAAN",
        500,
        _plain(
            _with_prolog(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "' + b"A" * 2000 + b'">]>', use=b"&a;" * 1500)
        ),
    ),
    Case(
        "interne-dtd-zonder-entiteit",
        "soap",
        "xxe",
        "SOAP_DTD_NIET_TOEGESTAAN",
        500,
        _plain(_with_prolog(b'<?xml version="1.0"?><!DOCTYPE Envelope [<!ELEMENT Envelope ANY>]>')),
    ),
    # -- structure and encoding --------------------------------------------------------------------
    Case("diepe-nesting", "soap", "deep_nesting", "SOAP_ONGELDIG", 500, lambda _p: _post(_deep(5000))),
    Case("leeg-bericht", "soap", "broken", "SOAP_ONGELDIG", 500, _plain(b"")),
    Case("afgekapt-bericht", "soap", "truncated", "SOAP_ONGELDIG", 500, lambda _p: _post(envelope()[:-40])),
    Case(
        "ongeldige-utf8",
        "soap",
        "invalid_utf8",
        "SOAP_ONGELDIG",
        500,
        lambda _p: _post(envelope().replace(b"<oso:doel>SWV", b"<oso:doel>SW\xc3\x28\xff")),
    ),
    Case(
        "utf16-verklaard-utf8-gestuurd",
        "soap",
        "invalid_utf8",
        "SOAP_CONTENT_TYPE",  # only UTF-8 is read (docs/partners/parnassys.md, "Transport")
        415,
        _plain(_with_prolog(b'<?xml version="1.0" encoding="UTF-16"?>')),
    ),
    Case(
        "nul-teken-als-verwijzing",
        "soap",
        "invalid_utf8",
        "SOAP_ONGELDIG",
        500,
        lambda _p: _post(envelope().replace(b"<oso:doel>SWV", b"<oso:doel>SWV&#0;")),
    ),
    Case(
        "pdf-in-plaats-van-xml",
        "soap",
        "polyglot",
        "SOAP_ONGELDIG",
        500,
        _plain(b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"),
    ),
    Case("zip-xml-polyglot", "soap", "polyglot", "SOAP_ONGELDIG", 500, lambda _p: _post(_POLYGLOT_ZIP + envelope())),
    Case(
        "soap12-envelope",
        "soap",
        "broken",
        "SOAP_ONGELDIG",
        500,
        lambda _p: _post(envelope().replace(SOAP_ENV.encode(), b"http://www.w3.org/2003/05/soap-envelope")),
    ),
    Case(
        "twee-operaties-in-body",
        "soap",
        "broken",
        "SOAP_ONGELDIG",
        500,
        lambda _p: _post(envelope().replace(b"</soap:Body>", b"<oso:notificatieRequest/></soap:Body>")),
    ),
    Case(
        "onbekende-operatie",
        "soap",
        "broken",
        "SOAP_ONBEKENDE_OPERATIE",
        500,
        lambda _p: _post(envelope(operation="documentRequest")),
    ),
]
