"""SOAP 1.1 over HTTP on the notificatie endpoint: Content-Type, charset, SOAPAction, the WSDL's address and
whether a reply is signed — each refusal with its existing code, and nothing stored."""

from __future__ import annotations

import aiohttp
import pytest
from lxml import etree

from adapters.parnassys.identity import SenderConfig
from adapters.parnassys.soap import SOAP_ENV, WSSE
from tests.parnassys.conftest import PLAIN_OIN, SOAP_ACTION, TOPICUS_OIN, client_ssl, notificatie, raw_envelope

WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"


async def post(gw, pki, body: bytes, headers: dict[str, str], *, cert: str = "plain") -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            gw.url, data=body, ssl=client_ssl(pki, cert), headers=headers, skip_auto_headers=["Content-Type"]
        ) as resp:
            return resp.status, await resp.read()


def codes(body: bytes) -> list[str]:
    root = etree.fromstring(body)
    return [el.text for el in root.iter("{http://xml.kennisnet.nl/schemas/Overstapservice/20200910}code")]


def nothing_stored(gw) -> bool:
    return not gw.inbox.puts and not gw.inbox.refusals


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "application/json",
        "text/plain; charset=utf-8",
        "application/soap+xml; charset=utf-8",  # SOAP 1.2's media type
        "text/xml; charset=utf-16",
        "text/xml; charset=ISO-8859-1",
    ],
)
async def test_a_body_that_is_not_text_xml_in_utf8_is_refused_unread(pki, start_gateway, content_type):
    gw = await start_gateway()
    headers = {"SOAPAction": SOAP_ACTION} | ({"Content-Type": content_type} if content_type else {})

    status, body = await post(gw, pki, raw_envelope(PLAIN_OIN), headers)

    assert status == 415 and codes(body) == ["SOAP_CONTENT_TYPE"]
    assert nothing_stored(gw)


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("utf-16 with a byte-order mark", lambda xml: xml.decode().replace("utf-8", "UTF-16").encode("utf-16")),
        ("utf-16 without a byte-order mark", lambda xml: xml.decode().replace("utf-8", "UTF-16").encode("utf-16-le")),
        ("iso-8859-1 declared", lambda xml: xml.decode().replace("utf-8", "ISO-8859-1").encode("latin-1")),
    ],
)
async def test_xml_in_another_encoding_is_refused_whatever_the_header_says(pki, start_gateway, name, encode):
    gw = await start_gateway()
    body = encode(raw_envelope(PLAIN_OIN))

    status, answer = await post(gw, pki, body, {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": SOAP_ACTION})

    assert status == 415 and codes(answer) == ["SOAP_CONTENT_TYPE"], name
    assert nothing_stored(gw)


@pytest.mark.parametrize("content_type", ["text/xml", 'text/xml; charset="UTF-8"', "Text/XML;charset=utf8"])
async def test_text_xml_without_charset_or_with_utf8_is_accepted(pki, start_gateway, content_type):
    gw = await start_gateway()
    status, body = await post(
        gw, pki, raw_envelope(PLAIN_OIN), {"Content-Type": content_type, "SOAPAction": SOAP_ACTION}
    )
    assert status == 200 and b"NotificatieOntvangen" in body
    assert len(gw.inbox.puts) == 1


@pytest.mark.parametrize(
    ("soap_action", "code"),
    [
        (None, "SOAP_SOAPACTION_ONTBREEKT"),
        ('""', "SOAP_SOAPACTION_ONJUIST"),
        ('"http://xml.kennisnet.nl/schemas/Overstapservice/20200910/documentRequest"', "SOAP_SOAPACTION_ONJUIST"),
        ('"urn:iets-anders"', "SOAP_SOAPACTION_ONJUIST"),
    ],
)
async def test_a_missing_or_wrong_soap_action_is_refused(pki, start_gateway, soap_action, code):
    gw = await start_gateway()
    headers = {"Content-Type": "text/xml; charset=utf-8"} | ({"SOAPAction": soap_action} if soap_action else {})

    status, body = await post(gw, pki, raw_envelope(PLAIN_OIN), headers)

    assert status == 500 and codes(body) == [code]
    assert nothing_stored(gw)


async def test_an_unquoted_soap_action_naming_the_operation_is_accepted(pki, start_gateway):
    gw = await start_gateway()
    headers = {"Content-Type": "text/xml", "SOAPAction": SOAP_ACTION.strip('"')}
    status, _ = await post(gw, pki, raw_envelope(PLAIN_OIN), headers)
    assert status == 200 and len(gw.inbox.puts) == 1


def wsdl_address(text: bytes) -> str:
    return etree.fromstring(text).find(f".//{{{WSDL_SOAP}}}address").get("location")


async def test_the_wsdl_address_is_public_url_whatever_the_host_header(pki, start_gateway):
    gw = await start_gateway(public_url="https://swv.example.nl/")
    async with aiohttp.ClientSession() as session:
        async with session.get(
            f"{gw.url}?wsdl", ssl=client_ssl(pki, None), headers={"Host": "evil.example", "X-Forwarded-Host": "x.y"}
        ) as resp:
            text = await resp.read()
    assert wsdl_address(text) == "https://swv.example.nl/oso/swv"
    assert b"evil.example" not in text and b"x.y" not in text


async def test_behind_a_tls_terminating_proxy_the_wsdl_says_https(pki, start_gateway):
    gw = await start_gateway(tls=False, public_url="https://swv.example.nl")
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{gw.url}?wsdl") as resp:
            assert wsdl_address(await resp.read()) == "https://swv.example.nl/oso/swv"


def security_header(body: bytes) -> etree._Element | None:
    return etree.fromstring(body).find(f"{{{SOAP_ENV}}}Header/{{{WSSE}}}Security")


async def test_a_2w_be_sender_gets_an_unsigned_reply_and_an_unsigned_fault(pki, start_gateway):
    gw = await start_gateway()
    headers = {"Content-Type": "text/xml", "SOAPAction": SOAP_ACTION}

    _, accepted = await post(gw, pki, raw_envelope(PLAIN_OIN), headers)
    status, refused = await post(gw, pki, raw_envelope(PLAIN_OIN, doel="LAS"), headers)

    assert b"NotificatieOntvangen" in accepted and security_header(accepted) is None
    assert status == 500 and codes(refused) == ["NOTIFICATIE_DOEL_ONJUIST"] and security_header(refused) is None


async def test_a_2w_be_s_sender_gets_signed_replies(pki, start_gateway):
    gw = await start_gateway()
    headers = {"Content-Type": "text/xml", "SOAPAction": SOAP_ACTION}
    body = raw_envelope(TOPICUS_OIN, sign_with=pki.topicus, **notificatie())

    status, reply = await post(gw, pki, body, headers, cert="topicus")

    security = security_header(reply)
    assert status == 200 and security is not None
    assert security.get(f"{{{SOAP_ENV}}}mustUnderstand") == "1"


async def test_sign_replies_per_sender_overrides_the_profile(pki, start_gateway):
    gw = await start_gateway(
        senders=(
            SenderConfig(TOPICUS_OIN, "Topicus", "2W-be-S", sign_replies=False),
            SenderConfig(PLAIN_OIN, "Leverancier 2W-be", "2W-be", sign_replies=True),
        )
    )
    headers = {"Content-Type": "text/xml", "SOAPAction": SOAP_ACTION}

    _, to_plain = await post(gw, pki, raw_envelope(PLAIN_OIN), headers)
    _, to_topicus = await post(gw, pki, raw_envelope(TOPICUS_OIN, sign_with=pki.topicus), headers, cert="topicus")

    assert security_header(to_plain) is not None
    assert security_header(to_topicus) is None


async def test_a_caller_not_yet_identified_gets_an_unsigned_fault(pki, start_gateway):
    gw = await start_gateway()
    status, body = await post(
        gw, pki, raw_envelope(TOPICUS_OIN), {"Content-Type": "text/xml", "SOAPAction": SOAP_ACTION}, cert="stranger"
    )
    assert status == 403 and codes(body) == ["TLS_AFZENDER_ONBEKEND"] and security_header(body) is None
