"""Building blocks for hostile OSO notificaties (``POST /oso/swv``): envelopes, signing, posting."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable

from lxml import etree

from adapters.parnassys.soap import ANONYMOUS, NS, action_for, build_envelope, to_bytes
from adapters.parnassys.wssec import sign_envelope
from tests.hostile.targets import DOEL_RK, GATEWAY_OIN, PLAIN_OIN, SOAP_PATH, TOPICUS_OIN, HostilePki
from tests.hostile.wire import HttpInput

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


def _with_prolog(prolog: bytes, *, use: bytes | None = None) -> bytes:
    body = envelope()
    body = body.replace(b"<?xml version='1.0' encoding='utf-8'?>", prolog)
    if use is not None:
        body = body.replace(b"<oso:doel>SWV</oso:doel>", b"<oso:doel>" + use + b"</oso:doel>")
    return body
