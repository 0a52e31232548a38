"""A notificatie from a registered ParnasSys supplier, sent by zeep from the served WSDL, is in the inbox
before it is acknowledged; a repeated one is answered as before and stored once."""

from __future__ import annotations

from urllib.parse import quote

import aiohttp

from tests.parnassys.conftest import PLAIN_OIN, SOAP_ACTION, TOPICUS_OIN, call, make_client, notificatie, raw_envelope


async def test_signed_notificatie_is_stored_then_acknowledged(pki, start_gateway):
    gw = await start_gateway()
    client = await make_client(pki, gw)
    values = notificatie()
    result = await call(client, **values)
    assert result == "NotificatieOntvangen"  # zeep also verified the gateway's signature on the reply
    (stored,) = gw.inbox.puts
    assert stored.key == f"oso:{values['koppelsleutel']}"
    assert (stored.source, stored.kind, stored.swv_code, stored.brin6) == (
        "parnassys",
        "oso_notificatie",
        "PO3008",
        "14SS00",
    )
    assert stored.handoff.sender_oin == TOPICUS_OIN and stored.handoff.sender_profile == "2W-be-S"
    assert stored.handoff.fields["doel"] == "SWV" and stored.handoff.fields["koppelsleutel"] == values["koppelsleutel"]
    assert b"notificatieRequest" in stored.payload
    assert not gw.inbox.refusals


async def test_repeated_koppelsleutel_is_answered_as_before_and_stored_once(pki, start_gateway):
    gw = await start_gateway()
    client = await make_client(pki, gw)
    values = notificatie()
    assert await call(client, **values) == "NotificatieOntvangen"
    assert await call(client, **values) == "NotificatieOntvangen"
    assert len(gw.inbox.puts) == 1


async def test_nevenvestiging_routeringskenmerk_gives_its_brin6(pki, start_gateway):
    gw = await start_gateway()
    client = await make_client(pki, gw)
    await call(client, **notificatie(bronRouteringsKenmerk="501"))
    assert gw.inbox.puts[0].brin6 == "14SS01"


async def test_profile_2w_be_sender_needs_no_signature(pki, start_gateway):
    gw = await start_gateway()
    client = await make_client(pki, gw, cert="plain", signer=None, from_oin=PLAIN_OIN)
    client.wsse = None
    assert await call(client, **notificatie()) == "NotificatieOntvangen"
    assert gw.inbox.puts[0].handoff.sender_profile == "2W-be"


async def test_wsdl_is_served_with_the_address_it_was_fetched_from(pki, start_gateway):
    gw = await start_gateway()
    client = await make_client(pki, gw)
    (service,) = client.wsdl.services.values()
    (port,) = service.ports.values()
    assert port.binding_options["address"] == gw.url
    assert list(port.binding._operations) == ["notificatie"]


async def _post_via_proxy(gw, pki, cert_pem: bytes) -> tuple[int, str]:
    body = raw_envelope(PLAIN_OIN)
    async with aiohttp.ClientSession() as session:
        async with session.post(
            gw.url,
            data=body,
            headers={
                "Content-Type": "text/xml",
                "SOAPAction": SOAP_ACTION,
                "X-SSL-Client-Cert": quote(cert_pem.decode()),
            },
        ) as resp:
            return resp.status, await resp.text()


async def test_certificate_forwarded_by_a_trusted_proxy_is_accepted(pki, start_gateway):
    gw = await start_gateway(tls=False, trusted_proxies=("127.0.0.1/32",))
    status, text = await _post_via_proxy(gw, pki, pki.plain.cert_pem)
    assert status == 200 and "NotificatieOntvangen" in text
    assert gw.inbox.puts[0].handoff.sender_via == "proxy"


async def test_certificate_header_from_an_untrusted_address_is_refused(pki, start_gateway):
    gw = await start_gateway(tls=False, trusted_proxies=("10.0.0.0/8",))
    status, text = await _post_via_proxy(gw, pki, pki.plain.cert_pem)
    assert status == 403 and "TLS_PROXY_NIET_VERTROUWD" in text
    assert not gw.inbox.puts and not gw.inbox.refusals


async def test_forwarded_certificate_is_chained_to_the_trust_store(pki, start_gateway):
    gw = await start_gateway(tls=False, trusted_proxies=("127.0.0.1/32",))
    status, text = await _post_via_proxy(gw, pki, pki.foreign.cert_pem)
    assert status == 403 and "TLS_CERTIFICAAT_NIET_VERTROUWD" in text
    assert not gw.inbox.puts and not gw.inbox.refusals
