"""Every way a notificatie is refused, one test each — and no refusal leaves anything half-stored.

Transport and security refusals are answered with a SOAP fault and never stored; content refusals of an
authenticated sender are recorded once (``record_refusal``) so the secretariaat sees them; no refusal
ever reaches ``inbox.put``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import uuid

import aiohttp
import pytest
import requests
import xmlsec
import zeep.exceptions
from lxml import etree

from adapters.parnassys.soap import NS, WSA, WSU
from tests.parnassys.conftest import (
    GATEWAY_OIN,
    PLAIN_OIN,
    SOAP_ACTION,
    TOPICUS_OIN,
    call,
    client_ssl,
    make_client,
    notificatie,
    raw_envelope,
)

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


def fault_codes(exc: zeep.exceptions.Fault) -> list[str]:
    return [el.text for el in exc.detail.iter(f"{{{NS}}}code")]


async def refused_by_zeep(client, **values) -> list[str]:
    with pytest.raises(zeep.exceptions.Fault) as info:
        await call(client, **values)
    return fault_codes(info.value)


async def post_raw(gw, pki, body: bytes, *, cert: str | None = "plain", headers=None) -> tuple[int, str]:
    ctx = client_ssl(pki, cert)
    async with aiohttp.ClientSession() as session:
        async with session.post(
            gw.url,
            data=body,
            ssl=ctx,
            headers={"Content-Type": "text/xml", "SOAPAction": SOAP_ACTION, **(headers or {})},
        ) as resp:
            return resp.status, await resp.text()


def nothing_stored(gw) -> bool:
    return not gw.inbox.puts and not gw.inbox.refusals


def only_refusal_recorded(gw, code: str) -> bool:
    if gw.inbox.puts or len(gw.inbox.refusals) != 1:
        return False
    ((_, findings),) = gw.inbox.refusals.values()
    return findings[0].code == code


# -- transport: SOAP ------------------------------------------------------------------------------------


async def test_malformed_soap_is_refused(pki, start_gateway):
    gw = await start_gateway()
    status, text = await post_raw(gw, pki, b"<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/'><s:Body>")
    assert status == 500 and "SOAP_ONGELDIG" in text
    assert nothing_stored(gw)


@pytest.mark.parametrize(
    ("body", "dutch"),
    [
        (b"<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/'><s:Body>", "niet compleet"),
        (b"<a>" * 300 + b"</a>" * 300, "dieper genest"),
        (b"<a>\xff\xfe</a>", "geen geldige UTF-8"),
        (b"<a>&#0;</a>", "in XML niet is toegestaan"),
        (b"<a><b></a>", "niet goed gevormd (regel 1"),
    ],
)
async def test_a_malformed_message_is_explained_in_dutch_without_the_parsers_english(pki, start_gateway, body, dutch):
    gw = await start_gateway()
    status, text = await post_raw(gw, pki, body)
    assert status == 500 and "SOAP_ONGELDIG" in text and dutch in text
    for english in ("line", "column", "XML_PARSE_HUGE", "Excessive", "expected", "Premature"):
        assert english not in text
    assert nothing_stored(gw)


async def test_unknown_operation_is_refused(pki, start_gateway):
    gw = await start_gateway()
    tc_wsdl = str(__import__("adapters.parnassys.wsdl", fromlist=["SCHEMA_DIR"]).SCHEMA_DIR / "oso-trafficcenter.wsdl")
    client = await make_client(pki, gw, wsdl=tc_wsdl)
    with pytest.raises(zeep.exceptions.Fault) as info:
        await asyncio.to_thread(
            client.service.overdracht, koppelsleutel=str(uuid.uuid4()), overdrachtsoort="SWVaanvraag"
        )
    assert fault_codes(info.value) == ["SOAP_ONBEKENDE_OPERATIE"]
    assert nothing_stored(gw)


async def test_doctype_and_entities_are_refused(pki, start_gateway):
    gw = await start_gateway()
    body = (
        raw_envelope(PLAIN_OIN)
        .replace(
            b"<?xml version='1.0' encoding='utf-8'?>",
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        )
        .replace(b"<oso:doel>SWV</oso:doel>", b"<oso:doel>&xxe;</oso:doel>")
    )
    status, text = await post_raw(gw, pki, body)
    assert status == 500 and "SOAP_DTD_NIET_TOEGESTAAN" in text and "root:" not in text
    assert nothing_stored(gw)


async def _raw_http(gw, pki, head: bytes, first_part: bytes) -> bytes:
    host, port = gw.url.split("//")[1].split("/")[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port), ssl=client_ssl(pki, "plain"), server_hostname=host)
    writer.write(head + first_part)
    await writer.drain()
    response = await asyncio.wait_for(reader.read(65536), timeout=10)
    writer.close()
    return response


async def test_body_over_the_limit_is_refused_before_it_is_read_whole(pki, start_gateway):
    gw = await start_gateway(max_body_bytes=4096)
    # announce 50 MB but send only 1 KB: the answer comes without the server waiting for the rest
    head = b"POST /oso/swv HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nContent-Length: 50000000\r\n\r\n"
    response = await _raw_http(gw, pki, head, b"<" * 1024)
    assert response.startswith(b"HTTP/1.1 413") and b"SOAP_TE_GROOT" in response
    assert nothing_stored(gw)


async def test_chunked_body_over_the_limit_is_refused_while_streaming(pki, start_gateway):
    gw = await start_gateway(max_body_bytes=4096)
    head = b"POST /oso/swv HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunk = b"a" * 8192
    response = await _raw_http(gw, pki, head, b"%x\r\n%s\r\n" % (len(chunk), chunk))  # never terminated
    assert response.startswith(b"HTTP/1.1 413") and b"SOAP_TE_GROOT" in response
    assert nothing_stored(gw)


# -- transport: TLS and sender identity ------------------------------------------------------------------


async def test_missing_client_certificate_is_refused(pki, start_gateway):
    gw = await start_gateway()
    status, text = await post_raw(gw, pki, raw_envelope(PLAIN_OIN), cert=None)
    assert status == 403 and "TLS_CLIENTCERTIFICAAT_ONTBREEKT" in text
    assert nothing_stored(gw)


async def test_certificate_from_another_ca_fails_the_tls_handshake(pki, start_gateway):
    gw = await start_gateway()
    client = await make_client(pki, gw, cert="topicus")  # WSDL fetched with a good certificate
    client.transport.session.cert = pki.pair("foreign")
    client.transport.session.close()  # no pooled connection from the good certificate
    with pytest.raises(requests.exceptions.RequestException):
        await call(client, **notificatie())
    assert nothing_stored(gw)


async def test_unregistered_oin_is_refused(pki, start_gateway):
    gw = await start_gateway()
    status, text = await post_raw(gw, pki, raw_envelope("00000003999999999999"), cert="stranger")
    assert status == 403 and "TLS_AFZENDER_ONBEKEND" in text
    assert nothing_stored(gw)


async def test_wsa_from_oin_other_than_the_certificate_is_refused(pki, start_gateway):
    gw = await start_gateway()
    client = await make_client(pki, gw, from_oin=PLAIN_OIN)  # Topicus certificate, claims another OIN
    assert await refused_by_zeep(client, **notificatie()) == ["WSA_FROM_OIN_AFWIJKEND"]
    assert nothing_stored(gw)


async def test_signing_certificate_other_than_the_tls_certificate_is_refused(pki, start_gateway):
    gw = await start_gateway()
    client = await make_client(pki, gw, signer="plain")  # TLS as Topicus, signed with another certificate
    assert await refused_by_zeep(client, **notificatie()) == ["WSS_CERTIFICAAT_AFWIJKEND"]
    assert nothing_stored(gw)


async def test_wsa_to_for_another_oin_is_refused(pki, start_gateway):
    gw = await start_gateway(gateway_oin="00000001800000000099")
    _status, text = await post_raw(gw, pki, raw_envelope(PLAIN_OIN))
    assert "WSA_TO_OIN_AFWIJKEND" in text
    assert nothing_stored(gw)


async def test_missing_wsa_action_is_refused(pki, start_gateway):
    gw = await start_gateway()
    body = raw_envelope(PLAIN_OIN)
    root = etree.fromstring(body)
    action = root.find(f".//{{{WSA}}}Action")
    action.getparent().remove(action)
    _status, text = await post_raw(gw, pki, etree.tostring(root))
    assert "WSA_ACTION_ONTBREEKT" in text
    assert nothing_stored(gw)


# -- WS-Security (2W-be-S) ---------------------------------------------------------------------------


async def test_missing_signature_where_2w_be_s_is_required_is_refused(pki, start_gateway):
    gw = await start_gateway()
    client = await make_client(pki, gw, signer=None)
    assert await refused_by_zeep(client, **notificatie()) == ["WSS_HANDTEKENING_ONTBREEKT"]
    assert nothing_stored(gw)


def _break_signature_value(env: etree._Element) -> None:
    value = env.find(".//{http://www.w3.org/2000/09/xmldsig#}SignatureValue")
    raw = bytearray(__import__("base64").b64decode("".join(value.text.split())))
    raw[10] ^= 0xFF
    value.text = __import__("base64").b64encode(bytes(raw)).decode()


async def test_invalid_signature_is_refused(pki, start_gateway):
    gw = await start_gateway()
    client = await make_client(pki, gw, tamper=_break_signature_value)
    assert await refused_by_zeep(client, **notificatie()) == ["WSS_HANDTEKENING_ONGELDIG"]
    assert nothing_stored(gw)


async def test_sha1_signature_is_refused(pki, start_gateway):
    gw = await start_gateway()
    client = await make_client(pki, gw, digest=xmlsec.Transform.SHA1, method=xmlsec.Transform.RSA_SHA1)
    assert await refused_by_zeep(client, **notificatie()) == ["WSS_ALGORITME_NIET_TOEGESTAAN"]
    assert nothing_stored(gw)


def _change_body(env: etree._Element) -> None:
    env.find(f".//{{{NS}}}bronBrin").text = "99XX"
    env.find(f".//{{{NS}}}doelBrin").text = "99XX"


async def test_tampered_body_is_refused(pki, start_gateway):
    gw = await start_gateway()
    client = await make_client(pki, gw, tamper=_change_body)
    assert await refused_by_zeep(client, **notificatie()) == ["WSS_HANDTEKENING_ONGELDIG"]
    assert nothing_stored(gw)


def _wrap_body(keep_id: bool):
    def tamper(env: etree._Element) -> None:
        """Signature wrapping: the signed Body moves into a header wrapper, a forged Body takes its place."""
        body = env.find(f"{{{SOAP}}}Body")
        header = env.find(f"{{{SOAP}}}Header")
        wrapper = etree.SubElement(header, "{urn:attacker}Wrapper")
        env.remove(body)
        wrapper.append(body)
        forged = etree.SubElement(env, f"{{{SOAP}}}Body")
        if keep_id:
            forged.set(f"{{{WSU}}}Id", body.get(f"{{{WSU}}}Id"))
        request = etree.SubElement(forged, f"{{{NS}}}notificatieRequest")
        for name, value in notificatie(bronBrin="66XX", doelBrin="66XX").items():
            etree.SubElement(request, f"{{{NS}}}{name}").text = value

    return tamper


async def test_wrapped_signature_with_an_unsigned_body_is_refused(pki, start_gateway):
    gw = await start_gateway()
    client = await make_client(pki, gw, tamper=_wrap_body(keep_id=False))
    assert await refused_by_zeep(client, **notificatie()) == ["WSS_NIET_ONDERTEKEND"]
    assert nothing_stored(gw)


async def test_wrapped_signature_with_a_duplicated_id_is_refused(pki, start_gateway):
    gw = await start_gateway()
    client = await make_client(pki, gw, tamper=_wrap_body(keep_id=True))
    assert await refused_by_zeep(client, **notificatie()) == ["WSS_DUBBELE_ID"]
    assert nothing_stored(gw)


async def test_unsigned_addressing_headers_are_refused(pki, start_gateway):
    gw = await start_gateway()
    client = await make_client(pki, gw, sign_addressing=False)  # what zeep's stock BinarySignature does
    assert await refused_by_zeep(client, **notificatie()) == ["WSS_NIET_ONDERTEKEND"]
    assert nothing_stored(gw)


async def test_stale_timestamp_is_refused(pki, start_gateway):
    gw = await start_gateway()
    client = await make_client(pki, gw, created=lambda: dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    assert await refused_by_zeep(client, **notificatie()) == ["WSS_TIMESTAMP_VERLOPEN"]
    assert nothing_stored(gw)


async def test_timestamp_from_the_future_is_refused(pki, start_gateway):
    gw = await start_gateway()
    client = await make_client(pki, gw, created=lambda: dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    assert await refused_by_zeep(client, **notificatie()) == ["WSS_TIMESTAMP_VERLOPEN"]
    assert nothing_stored(gw)


async def test_replayed_message_id_is_refused(pki, start_gateway):
    gw = await start_gateway()
    client = await make_client(pki, gw, message_id=f"urn:uuid:{uuid.uuid4()}")
    values = notificatie()
    assert await call(client, **values) == "NotificatieOntvangen"
    assert await refused_by_zeep(client, **notificatie()) == ["WSA_MESSAGEID_HERHAALD"]
    assert len(gw.inbox.puts) == 1 and not gw.inbox.refusals


# -- content of an authenticated sender: recorded as refused, never put --------------------------------


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"bronBrin": "14ZZ", "doelBrin": "14ZZ", "bronRouteringsKenmerk": "500"}, "VESTIGING_ONBEKEND"),
        ({"bronRouteringsKenmerk": "502"}, "VESTIGING_ONBEKEND"),
        ({"bronRouteringsKenmerk": "0000000700014SS00400"}, "ROUTERING_BUITEN_500_REEKS"),
        ({"doel": "PaO"}, "NOTIFICATIE_DOEL_ONJUIST"),
        ({"doelBrin": "15TT"}, "NOTIFICATIE_BRIN_AFWIJKEND"),
        ({"doelRouteringsKenmerk": "00000001899999999999"}, "NOTIFICATIE_DOEL_ROUTERING_ONBEKEND"),
        ({"bronBrin": "14ss", "doelBrin": "14ss"}, "NOTIFICATIE_VELD_ONGELDIG"),
    ],
    ids=[
        "unknown_school",
        "unknown_vestiging",
        "outside_500_range",
        "doel_not_swv",
        "bron_not_doel",
        "doel_routering_not_ours",
        "brin_format",
    ],
)
async def test_content_refusal_is_recorded_once_and_never_put(pki, start_gateway, fields, code):
    gw = await start_gateway()
    client = await make_client(pki, gw)
    values = notificatie(**fields)
    assert (await refused_by_zeep(client, **values))[0] == code
    assert only_refusal_recorded(gw, code)
    assert f"oso:{values['koppelsleutel']}" in gw.inbox.refusals


async def test_missing_mandate_is_recorded_once_and_never_put(pki, start_gateway):
    gw = await start_gateway()
    gw.checks.mandates.clear()
    client = await make_client(pki, gw)
    assert await refused_by_zeep(client, **notificatie()) == ["MANDAAT_ONTBREEKT"]
    assert only_refusal_recorded(gw, "MANDAAT_ONTBREEKT")


async def test_malformed_koppelsleutel_is_refused_without_a_record(pki, start_gateway):
    gw = await start_gateway()
    client = await make_client(pki, gw)
    assert await refused_by_zeep(client, **notificatie(koppelsleutel="niet-een-guid")) == ["NOTIFICATIE_VELD_ONGELDIG"]
    assert nothing_stored(gw)  # no key to record it under: answered and logged only


async def test_inbox_failure_is_a_server_fault_and_stores_nothing(pki, start_gateway):
    gw = await start_gateway()
    gw.inbox.fail_next_put = True
    client = await make_client(pki, gw)
    values = notificatie()
    assert await refused_by_zeep(client, **values) == ["INTAKE_TIJDELIJK_NIET_BESCHIKBAAR"]
    assert nothing_stored(gw)
    assert await call(client, **values) == "NotificatieOntvangen"  # ParnasSys may simply send it again


def test_ssl_module_is_present():
    assert ssl.OPENSSL_VERSION and GATEWAY_OIN and TOPICUS_OIN


async def test_a_refused_notificatie_is_recorded_with_its_fields_whole(pki, start_gateway):
    gw = await start_gateway()
    client = await make_client(pki, gw)
    long_doel = "S" * 100  # over the 64-character field limit: refused, and kept as sent for the secretariaat
    values = notificatie(doel=long_doel)
    assert "NOTIFICATIE_VELD_ONGELDIG" in await refused_by_zeep(client, **values)
    ((recorded, _),) = gw.inbox.refusals.values()
    assert recorded.handoff.fields["doel"] == long_doel
    assert recorded.handoff.stored()["doel"] == long_doel  # what the inbox row keeps: not cut to 64 characters
