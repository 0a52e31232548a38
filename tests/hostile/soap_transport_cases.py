"""Hostile OSO notificaties: SOAP 1.1 over HTTP (media type, charset, SOAPAction)."""

from __future__ import annotations

from adapters.parnassys.soap import action_for
from tests.hostile.corpus_types import Case
from tests.hostile.soap_build import XML, _plain, _post, _with_prolog, envelope
from tests.hostile.targets import SOAP_PATH
from tests.hostile.wire import HttpInput

__all__ = ["SOAP_TRANSPORT_CASES"]

SOAP_TRANSPORT_CASES: list[Case] = [
    # -- SOAP 1.1 over HTTP: media type, charset and SOAPAction (docs/partners/parnassys.md, "Transport") --------
    *(
        Case(
            f"content-type-{name}",
            "soap",
            "transport",
            "SOAP_CONTENT_TYPE",
            415,
            _plain(envelope(), **{"Content-Type": ctype}),
        )
        for name, ctype in (
            ("json", "application/json"),
            ("tekst", "text/plain; charset=utf-8"),
            ("soap12", "application/soap+xml; charset=utf-8"),
            ("utf16", "text/xml; charset=utf-16"),
            ("latin1", "text/xml; charset=ISO-8859-1"),
            ("formulier", "application/x-www-form-urlencoded"),
        )
    ),
    Case(
        "content-type-ontbreekt",
        "soap",
        "transport",
        "SOAP_CONTENT_TYPE",
        415,
        lambda _p: HttpInput(SOAP_PATH, envelope(), {"SOAPAction": XML["SOAPAction"]}, cert="plain"),
    ),
    Case(
        "xml-in-utf16-met-bom",
        "soap",
        "invalid_utf8",
        "SOAP_CONTENT_TYPE",
        415,
        _plain(envelope().decode().replace("utf-8", "UTF-16").encode("utf-16")),
    ),
    Case(
        "xml-in-latin1-verklaard",
        "soap",
        "invalid_utf8",
        "SOAP_CONTENT_TYPE",
        415,
        _plain(_with_prolog(b'<?xml version="1.0" encoding="ISO-8859-1"?>', use=b"SW\xe9")),
    ),
    Case(
        "soapaction-ontbreekt",
        "soap",
        "transport",
        "SOAP_SOAPACTION_ONTBREEKT",
        500,
        lambda _p: HttpInput(SOAP_PATH, envelope(), {"Content-Type": XML["Content-Type"]}, cert="plain"),
    ),
    Case("soapaction-leeg", "soap", "transport", "SOAP_SOAPACTION_ONJUIST", 500, _plain(envelope(), SOAPAction='""')),
    Case(
        "soapaction-andere-operatie",
        "soap",
        "transport",
        "SOAP_SOAPACTION_ONJUIST",
        500,
        _plain(envelope(), SOAPAction=f'"{action_for("documentRequest")}"'),
    ),
    Case(
        "soapaction-van-4-kb",
        "soap",
        "huge_attribute",
        "SOAP_SOAPACTION_ONJUIST",
        500,
        _plain(envelope(), SOAPAction='"' + "urn:x:" * 700 + '"'),
    ),
    Case(
        "routeringskenmerk-van-een-cijfer",
        "soap",
        "broken",
        "ROUTERING_BUITEN_500_REEKS",
        500,
        lambda _p: _post(envelope(bronRouteringsKenmerk="1")),
    ),
]
