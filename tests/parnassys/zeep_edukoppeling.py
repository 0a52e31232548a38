"""Zeep plug-ins that make zeep speak Edukoppeling: OIN addressing and a 2W-be-S signature via xmlsec.

zeep's own `BinarySignature` signs only Body and Timestamp, not the WS-Addressing headers (and defaults
to SHA-1); Edukoppeling wants each WS-A header signed too, with SHA-2. So this signer uses python-xmlsec
(the library zeep's plug-in is built on, here with the same libxml2 as lxml) with zeep's own helpers, and
adds the extra references. Written separately from the gateway's own signer (adapters/parnassys/wssec.py):
the two must agree on the wire.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import xmlsec
from lxml import etree
from zeep import ns
from zeep.exceptions import SignatureVerificationFailed
from zeep.plugins import Plugin
from zeep.wsse.signature import _make_sign_key, _make_verify_key, _sign_node
from zeep.wsse.utils import WSU, get_security_header

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
ANON = "http://www.w3.org/2005/08/addressing/anonymous"


class EdukoppelingAddressing(Plugin):
    """Adds ``?oin=`` to wsa:To and a wsa:From with the sender's OIN; optionally pins the MessageID."""

    def __init__(self, *, from_oin: str, to_oin: str, message_id: str | None = None) -> None:
        self.from_oin, self.to_oin, self.message_id = from_oin, to_oin, message_id

    def egress(self, envelope, http_headers, operation, binding_options):
        header = envelope.find(f"{{{SOAP}}}Header")
        to = header.find(f"{{{ns.WSA}}}To")
        if to is not None and "?oin=" not in (to.text or ""):
            to.text = f"{to.text}?oin={self.to_oin}"
        frm = etree.SubElement(header, f"{{{ns.WSA}}}From")
        etree.SubElement(frm, f"{{{ns.WSA}}}Address").text = f"{ANON}?oin={self.from_oin}"
        if self.message_id:
            header.find(f"{{{ns.WSA}}}MessageID").text = self.message_id
        return envelope, http_headers


class XmlsecEdukoppelingSignature:
    """2W-be-S signing with xmlsec: BinarySecurityToken, Timestamp, RSA-SHA256, exclusive C14N, one
    reference each for Body, Timestamp and every WS-Addressing header. Verifies signed replies."""

    def __init__(
        self,
        key_pem: bytes,
        cert_pem: bytes,
        *,
        reply_cert_pem: bytes | None,
        created: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        sign_addressing: bool = True,
        digest=xmlsec.Transform.SHA256,  # type: ignore[attr-defined]  # xmlsec's bundled stubs lack the Transform constants it has at run time
        method=xmlsec.Transform.RSA_SHA256,  # type: ignore[attr-defined]  # xmlsec's bundled stubs lack the Transform constants it has at run time
        tamper: Callable[[etree._Element], None] | None = None,
    ) -> None:
        self.tamper = tamper
        self.key_pem, self.cert_pem, self.reply_cert_pem = key_pem, cert_pem, reply_cert_pem
        self.created, self.sign_addressing = created, sign_addressing
        self.digest, self.method = digest, method

    def apply(self, envelope, headers):
        security = get_security_header(envelope)
        created = self.created()
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        timestamp = WSU.Timestamp(
            WSU.Created(created.strftime(fmt)), WSU.Expires((created + dt.timedelta(minutes=5)).strftime(fmt))
        )
        security.append(timestamp)
        signature = xmlsec.template.create(envelope, xmlsec.Transform.EXCL_C14N, self.method)
        key_info = xmlsec.template.ensure_key_info(signature)
        x509_data = xmlsec.template.add_x509_data(key_info)
        xmlsec.template.x509_data_add_certificate(x509_data)
        security.insert(0, signature)
        ctx = xmlsec.SignatureContext()
        ctx.key = _make_sign_key(self.key_pem, self.cert_pem, None)
        header = envelope.find(f"{{{SOAP}}}Header")
        targets = [envelope.find(f"{{{SOAP}}}Body"), timestamp]
        if self.sign_addressing:
            targets += [el for el in header if isinstance(el.tag, str) and etree.QName(el).namespace == ns.WSA]
        for target in targets:
            _sign_node(ctx, signature, target, self.digest)
        ctx.sign(signature)
        # move the certificate into a BinarySecurityToken referenced from KeyInfo (as zeep's BinarySignature)
        bst = etree.Element(
            f"{{{ns.WSSE}}}BinarySecurityToken",
            ValueType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3",
            EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary",
        )
        bst.set(f"{{{ns.WSU}}}Id", "X509-token")
        bst.text = x509_data.find(f"{{{ns.DS}}}X509Certificate").text
        key_info.remove(x509_data)
        ref_parent = etree.SubElement(key_info, f"{{{ns.WSSE}}}SecurityTokenReference")
        etree.SubElement(
            ref_parent,
            f"{{{ns.WSSE}}}Reference",
            URI="#X509-token",
            ValueType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3",
        )
        security.insert(1, bst)
        if self.tamper is not None:  # a test changes what was signed (wrapping, edits)
            self.tamper(envelope)
        return envelope, headers

    def verify(self, envelope):
        if self.reply_cert_pem is None:
            return envelope
        signature = envelope.find(f".//{{{ns.WSSE}}}Security/{{{ns.DS}}}Signature")
        if signature is None:
            raise SignatureVerificationFailed("reply is not signed")
        ctx = xmlsec.SignatureContext()
        for el in envelope.iter():
            if isinstance(el.tag, str) and el.get(f"{{{ns.WSU}}}Id"):
                ctx.register_id(el, "Id", ns.WSU)
        ctx.key = _make_verify_key(self.reply_cert_pem)
        try:
            ctx.verify(signature)
        except xmlsec.Error as exc:
            raise SignatureVerificationFailed(str(exc)) from exc
        body_id = envelope.find(f"{{{SOAP}}}Body").get(f"{{{ns.WSU}}}Id")
        uris = {r.get("URI") for r in signature.iter(f"{{{ns.DS}}}Reference")}
        if f"#{body_id}" not in uris:
            raise SignatureVerificationFailed("reply Body not signed")
        return envelope
