"""Hostile and broken notificaties for the OSO endpoint (``POST /oso/swv``)."""

from __future__ import annotations

import datetime as dt
import gzip
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from lxml import etree

from adapters.parnassys.soap import ANONYMOUS, NS, SOAP_ENV, WSA, WSU, action_for, build_envelope, to_bytes
from adapters.parnassys.wssec import DS, sign_envelope
from tests.hostile.corpus_types import Case
from tests.hostile.targets import DOEL_RK, GATEWAY_OIN, PLAIN_OIN, SOAP_PATH, TOPICUS_OIN, HostilePki
from tests.hostile.wire import HttpInput, chunked

__all__ = ["SOAP_CASES", "envelope", "notificatie_values"]

XML = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action_for("notificatieRequest")}"'}
Tamper = Callable[[etree._Element], None]


def notificatie_values(**overrides: str) -> dict[str, str]:
    values = {
        "bronBrin": "14SS",
        "bronRouteringsKenmerk": "0000000700014SS00500",
        "doelBrin": "14SS",
        "doelRouteringsKenmerk": DOEL_RK,
        "koppelsleutel": str(uuid.uuid4()),
        "doel": "SWV",
    }
    values.update(overrides)
    return values


def envelope(
    pki: HostilePki | None = None,
    *,
    sender: str = "plain",
    operation: str = "notificatieRequest",
    action: str | None = None,
    sign: str | None = None,
    now: dt.datetime | None = None,
    before_sign: Tamper | None = None,
    after_sign: Tamper | None = None,
    message_id: str | None = None,
    **fields: str,
) -> bytes:
    """A notificatie envelope as a real sender builds it, with a hook to break it before or after signing."""
    from_oin = TOPICUS_OIN if sender == "topicus" else PLAIN_OIN
    op = etree.Element(f"{{{NS}}}{operation}")
    for name, value in notificatie_values(**fields).items():
        etree.SubElement(op, f"{{{NS}}}{name}").text = value
    env = build_envelope(
        op,
        action=action or action_for(operation),
        to=f"https://127.0.0.1{SOAP_PATH}?oin={GATEWAY_OIN}",
        from_address=f"{ANONYMOUS}?oin={from_oin}",
        message_id=message_id,
    )
    if before_sign is not None:
        before_sign(env)
    if sign is not None:
        assert pki is not None
        signer = pki.certs[sign]
        sign_envelope(env, key=signer.key, certificate=signer.cert, now=now)
    if after_sign is not None:
        after_sign(env)
    return to_bytes(env)


def _post(body: bytes | Callable[[], AsyncIterator[bytes]], cert: str | None = "plain", **headers: str) -> HttpInput:
    return HttpInput(SOAP_PATH, body, {**XML, **headers}, cert=cert)


def _plain(body: bytes, **headers: str) -> Callable[[HostilePki], HttpInput]:
    return lambda _pki: _post(body, **headers)


def _signed(**kw: Any) -> Callable[[HostilePki], HttpInput]:
    def build(pki: HostilePki) -> HttpInput:
        return _post(envelope(pki, sender="topicus", sign="topicus", **kw), cert="topicus")

    return build


def _with_prolog(prolog: bytes, *, use: bytes | None = None) -> bytes:
    body = envelope()
    body = body.replace(b"<?xml version='1.0' encoding='utf-8'?>", prolog)
    if use is not None:
        body = body.replace(b"<oso:doel>SWV</oso:doel>", b"<oso:doel>" + use + b"</oso:doel>")
    return body


_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b"]>"
)


def _deep(levels: int) -> bytes:
    inner = b"<x>" * levels + b"</x>" * levels
    return envelope().replace(b"<oso:doel>SWV</oso:doel>", b"<oso:doel>SWV</oso:doel>" + inner)


def _remove(xpath: str) -> Tamper:
    def tamper(env: etree._Element) -> None:
        for el in env.xpath(xpath, namespaces={"wsa": WSA, "soap": SOAP_ENV, "oso": NS}):
            el.getparent().remove(el)

    return tamper


def _duplicate_action(env: etree._Element) -> None:
    header = env.find(f"{{{SOAP_ENV}}}Header")
    extra = etree.SubElement(header, f"{{{WSA}}}Action")
    extra.text = action_for("notificatieRequest")


def _wrap(keep_id: bool) -> Tamper:
    def tamper(env: etree._Element) -> None:
        """Signature wrapping: the signed Body hides in a header, a forged Body takes its place."""
        body = env.find(f"{{{SOAP_ENV}}}Body")
        header = env.find(f"{{{SOAP_ENV}}}Header")
        wrapper = etree.SubElement(header, "{urn:aanvaller}Omhulsel")
        env.remove(body)
        wrapper.append(body)
        forged = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
        if keep_id:
            forged.set(f"{{{WSU}}}Id", body.get(f"{{{WSU}}}Id"))
        op = etree.SubElement(forged, f"{{{NS}}}notificatieRequest")
        for name, value in notificatie_values(bronBrin="66XX", doelBrin="66XX").items():
            etree.SubElement(op, f"{{{NS}}}{name}").text = value

    return tamper


def _change_field(env: etree._Element) -> None:
    env.find(f".//{{{NS}}}koppelsleutel").text = str(uuid.uuid4())


def _sha1(env: etree._Element) -> None:
    env.find(f".//{{{DS}}}SignatureMethod").set("Algorithm", "http://www.w3.org/2000/09/xmldsig#rsa-sha1")


def _garbage_token(env: etree._Element) -> None:
    token = env.find(
        ".//{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd}BinarySecurityToken"
    )
    token.text = "dGhpcyBpcyBub3QgYSBjZXJ0aWZpY2F0ZQ=="


def _second_security(env: etree._Element) -> None:
    header = env.find(f"{{{SOAP_ENV}}}Header")
    security = header.find(
        "{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd}Security"
    )
    header.append(etree.fromstring(etree.tostring(security)))


def _unsigned_header(env: etree._Element) -> None:
    header = env.find(f"{{{SOAP_ENV}}}Header")
    etree.SubElement(header, f"{{{WSA}}}ReplyTo").append(etree.Element(f"{{{WSA}}}Address"))
    header[-1][0].text = "https://aanvaller.example/"


def _forwarded_cert(pki: HostilePki) -> HttpInput:
    from urllib.parse import quote

    pem = pki.certs["topicus"].cert_pem.decode()
    return _post(envelope(), cert=None, **{"X-SSL-Client-Cert": quote(pem)})


def _slow_oversized() -> Callable[[], AsyncIterator[bytes]]:
    async def body() -> AsyncIterator[bytes]:
        for _ in range(64):
            yield b"<a>" * 4096

    return body


def _gzip_bomb() -> bytes:
    return gzip.compress(b"<" + b" " * (50 * 1024 * 1024), compresslevel=9)


_POLYGLOT_ZIP = b"PK\x03\x04" + b"\x00" * 26 + b"<?xml version='1.0'?>"

SOAP_CASES: list[Case] = [
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
    # -- size ---------------------------------------------------------------------------------------
    Case(
        "te-groot-content-length",
        "soap",
        "oversized_body",
        "SOAP_TE_GROOT",
        413,
        lambda _p: _post(b"<" * 2048, **{"Content-Length": "50000000"}),
    ),
    Case(
        "te-groot-chunked",
        "soap",
        "oversized_body",
        "SOAP_TE_GROOT",
        413,
        lambda _p: HttpInput(
            SOAP_PATH,
            chunked(_slow_oversized(), last=False),
            {**XML, "Transfer-Encoding": "chunked"},
            cert="plain",
            content_length=False,
        ),
    ),
    Case(
        "ongeldige-chunk-framing",
        "soap",
        "truncated",
        "HTTP_VERZOEK_ONGELDIG",
        400,
        lambda _p: HttpInput(
            SOAP_PATH,
            b"zz\r\n" + envelope(),
            {**XML, "Transfer-Encoding": "chunked"},
            cert="plain",
            content_length=False,
        ),
    ),
    Case(
        "enorm-attribuut",
        "soap",
        "huge_attribute",
        "SOAP_TE_GROOT",
        413,
        lambda _p: _post(envelope().replace(b"<oso:doel>", b'<oso:doel a="' + b"A" * 200_000 + b'">')),
    ),
    Case(
        "gzip-bom",
        "soap",
        "zip_bomb",
        "SOAP_TE_GROOT",
        413,
        lambda _p: _post(_gzip_bomb(), **{"Content-Encoding": "gzip"}),
    ),
    # -- WS-Addressing ------------------------------------------------------------------------------
    Case(
        "wsa-action-dubbel",
        "soap",
        "header_injection",
        "WSA_HEADER_DUBBEL",
        500,
        lambda _p: _post(envelope(before_sign=_duplicate_action)),
    ),
    Case(
        "wsa-action-ontbreekt",
        "soap",
        "broken",
        "WSA_ACTION_ONTBREEKT",
        500,
        lambda _p: _post(envelope(before_sign=_remove("//wsa:Action"))),
    ),
    Case(
        "wsa-action-onjuist",
        "soap",
        "broken",
        "WSA_ACTION_ONJUIST",
        500,
        lambda _p: _post(envelope(action="urn:iets-anders")),
    ),
    Case(
        "wsa-messageid-ontbreekt",
        "soap",
        "broken",
        "WSA_MESSAGEID_ONTBREEKT",
        500,
        lambda _p: _post(envelope(before_sign=_remove("//wsa:MessageID"))),
    ),
    Case(
        "wsa-from-ander-oin",
        "soap",
        "impersonation",
        "WSA_FROM_OIN_AFWIJKEND",
        500,
        lambda _p: _post(envelope(sender="topicus")),
    ),
    # -- TLS identity --------------------------------------------------------------------------------
    Case(
        "geen-clientcertificaat",
        "soap",
        "impersonation",
        "TLS_CLIENTCERTIFICAAT_ONTBREEKT",
        403,
        lambda _p: _post(envelope(), cert=None),
    ),
    Case(
        "onbekende-afzender",
        "soap",
        "impersonation",
        "TLS_AFZENDER_ONBEKEND",
        403,
        lambda _p: _post(envelope(), cert="stranger"),
    ),
    Case("vervalste-proxy-header", "soap", "impersonation", "TLS_PROXY_NIET_VERTROUWD", 403, _forwarded_cert),
    # -- WS-Security (2W-be-S) ---------------------------------------------------------------------------
    Case(
        "handtekening-ontbreekt",
        "soap",
        "signature_wrapping",
        "WSS_HANDTEKENING_ONTBREEKT",
        500,
        lambda _p: _post(envelope(sender="topicus"), cert="topicus"),
    ),
    Case(
        "signature-wrapping-body-verplaatst",
        "soap",
        "signature_wrapping",
        "WSS_NIET_ONDERTEKEND",
        500,
        _signed(after_sign=_wrap(keep_id=False)),
    ),
    Case(
        "signature-wrapping-dubbele-id",
        "soap",
        "signature_wrapping",
        "WSS_DUBBELE_ID",
        500,
        _signed(after_sign=_wrap(keep_id=True)),
    ),
    Case(
        "body-gewijzigd-na-ondertekenen",
        "soap",
        "signature_wrapping",
        "WSS_HANDTEKENING_ONGELDIG",
        500,
        _signed(after_sign=_change_field),
    ),
    Case(
        "ongetekende-wsa-header-toegevoegd",
        "soap",
        "signature_wrapping",
        "WSS_NIET_ONDERTEKEND",
        500,
        _signed(after_sign=_unsigned_header),
    ),
    Case(
        "twee-security-headers",
        "soap",
        "signature_wrapping",
        "WSS_HANDTEKENING_ONGELDIG",
        500,
        _signed(after_sign=_second_security),
    ),
    Case(
        "sha1-handtekening",
        "soap",
        "signature_wrapping",
        "WSS_ALGORITME_NIET_TOEGESTAAN",
        500,
        _signed(after_sign=_sha1),
    ),
    Case(
        "onleesbaar-token", "soap", "signature_wrapping", "WSS_TOKEN_ONGELDIG", 500, _signed(after_sign=_garbage_token)
    ),
    Case(
        "ondertekend-met-ander-certificaat",
        "soap",
        "impersonation",
        "WSS_CERTIFICAAT_AFWIJKEND",
        500,
        lambda pki: _post(envelope(pki, sender="topicus", sign="plain"), cert="topicus"),
    ),
    Case(
        "timestamp-verlopen",
        "soap",
        "replay",
        "WSS_TIMESTAMP_VERLOPEN",
        500,
        _signed(now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)),
    ),
    Case(
        "timestamp-in-de-toekomst",
        "soap",
        "replay",
        "WSS_TIMESTAMP_VERLOPEN",
        500,
        _signed(now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)),
    ),
    Case("herhaald-bericht", "soap", "replay", "WSA_MESSAGEID_HERHAALD", 500, _signed(), repeat=True),
    # -- notificatie content ---------------------------------------------------------------------------
    Case(
        "xinclude-wordt-niet-uitgevoerd",
        "soap",
        "xxe",
        "NOTIFICATIE_VELD_ONTBREEKT",
        500,
        lambda _p: _post(
            envelope().replace(
                b"<oso:doel>SWV</oso:doel>",
                b'<oso:doel><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd"'
                b' parse="text"/></oso:doel>',
            )
        ),
    ),
    Case(
        "koppelsleutel-padtraversal",
        "soap",
        "path_traversal",
        "NOTIFICATIE_VELD_ONGELDIG",
        500,
        lambda _p: _post(envelope(koppelsleutel="../../../../etc/passwd")),
    ),
    Case(
        "brin-sql-injectie",
        "soap",
        "injection",
        "NOTIFICATIE_VELD_ONGELDIG",
        500,
        lambda _p: _post(envelope(bronBrin="14SS' OR '1'='1", doelBrin="14SS' OR '1'='1")),
    ),
    Case(
        "veld-van-10-kb",
        "soap",
        "huge_attribute",
        "NOTIFICATIE_VELD_ONGELDIG",
        500,
        lambda _p: _post(envelope(doelRouteringsKenmerk="9" * 10_000)),
    ),
    Case(
        "routeringskenmerk-buiten-500-reeks",
        "soap",
        "broken",
        "ROUTERING_BUITEN_500_REEKS",
        500,
        lambda _p: _post(envelope(bronRouteringsKenmerk="0000000700014SS00499")),
    ),
    Case("doel-paO", "soap", "broken", "NOTIFICATIE_DOEL_ONJUIST", 500, lambda _p: _post(envelope(doel="PaO"))),
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
