"""Hostile OSO notificaties: who sends (the TLS identity) and the 2W-be-S signature (tampering, replay)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from lxml import etree

from adapters.parnassys.soap import NS, SOAP_ENV, WSA, WSU
from adapters.parnassys.wssec import DS
from tests.hostile.corpus_types import Case
from tests.hostile.soap_build import Tamper, _post, envelope, notificatie_values
from tests.hostile.targets import HostilePki
from tests.hostile.wire import HttpInput

__all__ = ["SOAP_SIGNATURE_CASES"]


def _signed(**kw: Any) -> Callable[[HostilePki], HttpInput]:
    def build(pki: HostilePki) -> HttpInput:
        return _post(envelope(pki, sender="topicus", sign="topicus", **kw), cert="topicus")

    return build


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


SOAP_SIGNATURE_CASES: list[Case] = [
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
]
