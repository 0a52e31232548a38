"""The partner kit (partner_kit/edukoppeling_zeep.py) as a partner uses it: stock zeep plus the kit, files on
disk, the served WSDL — no gateway internals on the client side. A notificatie is accepted and the signed
reply verified against the SWV's certificate; a refusal arrives as a Fault with the real code."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import pytest
import zeep
from zeep.exceptions import Fault, SignatureVerificationFailed

from partner_kit import edukoppeling_zeep as kit
from tests.parnassys.conftest import GATEWAY_OIN, PLAIN_OIN, TOPICUS_OIN, Pki, notificatie

KIT = Path(kit.__file__)


def partner_client(pki: Pki, url: str, *, who: str, oin: str, sign: bool = True, reply: str = "gateway"):
    crt, key = pki.pair(who)
    reply_crt, _ = pki.pair(reply)
    return kit.edukoppeling_client(
        f"{url}?wsdl",
        cert_file=crt,
        key_file=key,
        ca_file=pki.ca_file,
        from_oin=oin,
        to_oin=GATEWAY_OIN,
        reply_cert_file=reply_crt if sign else None,
        sign=sign,
    )


async def send(client: zeep.Client, **values: str):
    return await asyncio.to_thread(client.service.notificatie, **values)


async def test_a_2w_be_s_partner_sends_a_notificatie_and_verifies_the_signed_reply(pki, start_gateway):
    gw = await start_gateway()
    client = await asyncio.to_thread(partner_client, pki, gw.url, who="topicus", oin=TOPICUS_OIN)

    assert await send(client, **notificatie()) == "NotificatieOntvangen"

    (stored,) = gw.inbox.puts
    assert stored.handoff.sender_oin == TOPICUS_OIN and stored.handoff.sender_profile == "2W-be-S"


async def test_a_reply_signed_by_someone_else_than_the_swv_is_refused_by_the_kit(pki, start_gateway):
    gw = await start_gateway()
    client = await asyncio.to_thread(partner_client, pki, gw.url, who="topicus", oin=TOPICUS_OIN, reply="plain")

    with pytest.raises(SignatureVerificationFailed, match="certificaat van het SWV"):
        await send(client, **notificatie())


async def test_a_refusal_reaches_the_partner_as_a_fault_with_its_code(pki, start_gateway):
    gw = await start_gateway()
    client = await asyncio.to_thread(partner_client, pki, gw.url, who="topicus", oin=TOPICUS_OIN)

    with pytest.raises(Fault) as info:
        await send(client, **notificatie(doel="LAS"))

    assert kit.fault_codes(info.value) == ["NOTIFICATIE_DOEL_ONJUIST"]
    assert "doel" in info.value.message


async def test_a_2w_be_partner_needs_no_signing_and_gets_an_unsigned_reply(pki, start_gateway):
    gw = await start_gateway()
    client = await asyncio.to_thread(partner_client, pki, gw.url, who="plain", oin=PLAIN_OIN, sign=False)

    assert await send(client, **notificatie()) == "NotificatieOntvangen"
    assert gw.inbox.puts[0].handoff.sender_profile == "2W-be"


async def test_an_unsigned_fault_before_identification_still_shows_its_code(pki, start_gateway):
    gw = await start_gateway()
    client = await asyncio.to_thread(partner_client, pki, gw.url, who="stranger", oin=TOPICUS_OIN)

    with pytest.raises(Fault) as info:
        await send(client, **notificatie())

    assert kit.fault_codes(info.value) == ["TLS_AFZENDER_ONBEKEND"]


def test_the_kit_imports_nothing_of_the_gateway():
    tree = ast.parse(KIT.read_text(encoding="utf-8"))
    modules = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    modules |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert modules <= {
        "__future__",
        "base64",
        "datetime",
        "uuid",
        "collections",
        "typing",
        "requests",
        "xmlsec",
        "zeep",
        "lxml",
        "cryptography",
    }


def test_the_partner_guide_explains_every_code_the_endpoint_can_answer():
    from adapters.parnassys.refusals import known_codes

    guide = (Path(__file__).resolve().parents[2] / "docs/partners/parnassys.md").read_text(encoding="utf-8")
    intake = [c for c in known_codes() if not c.startswith("OSO_")]  # OSO_*: worker side, never on the wire
    assert [c for c in intake if f"`{c}`" not in guide] == []
