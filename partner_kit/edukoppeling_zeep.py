"""Edukoppeling for zeep: talk to the SWV intake gateway's OSO-SWV endpoint with a stock zeep client.

For integration partners; copy this one file into your project, it needs only ``zeep``, ``lxml`` and
``xmlsec`` (``pip install "zeep[xmlsec]"``) and imports nothing of the gateway. docs/partners/parnassys.md
explains every rule it follows. Stock zeep falls short in three ways, each fixed here:

- zeep's ``BinarySignature`` signs with RSA-SHA1 by default and never signs the WS-Addressing headers;
  Edukoppeling 2W-be-S wants SHA-2 and one reference each to Body, Timestamp and every ``wsa:`` header
  (`EdukoppelingSignature.apply`).
- zeep verifies a signed reply against the *client's own* certificate; the reply is signed by the SWV
  (`EdukoppelingSignature.verify` checks it against the SWV's certificate you give it, refuses a reply
  whose Body, Timestamp or addressing is not signed, and lets an unsigned *fault* through so you still see
  its code).
- zeep writes ``wsa:To`` without the OIN and no ``wsa:From``; Edukoppeling puts ``?oin=`` in both
  (`EdukoppelingAddressing`).

Usage::

    client = edukoppeling_client(
        "https://swv.example.nl/oso/swv?wsdl",
        cert_file="leverancier.crt", key_file="leverancier.key", ca_file="pkioverheid-ca.pem",
        from_oin="00000003273000000000", to_oin="00000001800000000001",
        reply_cert_file="swv.crt",          # profile 2W-be-S; leave out (and sign=False) for 2W-be
    )
    client.service.notificatie(bronBrin="14SS", ..., doel="SWV")   # → "NotificatieOntvangen"

A refusal raises ``zeep.exceptions.Fault``; `fault_codes` reads the gateway's stable codes from it.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import requests
import xmlsec
import zeep
from lxml import etree
from zeep.exceptions import Fault, SignatureVerificationFailed
from zeep.plugins import Plugin
from zeep.transports import Transport

__all__ = ["EdukoppelingAddressing", "EdukoppelingSignature", "edukoppeling_client", "fault_codes"]

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://www.w3.org/2005/08/addressing"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DS = "http://www.w3.org/2000/09/xmldsig#"
OSO = "http://xml.kennisnet.nl/schemas/Overstapservice/20200910"
ANONYMOUS = "http://www.w3.org/2005/08/addressing/anonymous"
X509_TOKEN = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"  # noqa: S105
BASE64 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
_SHA2_SIGNATURES = {
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
}
_SHA2_DIGESTS = {
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
}
_WSU_ID = f"{{{WSU}}}Id"


class EdukoppelingAddressing(Plugin):
    """WS-Addressing as Edukoppeling wants it: Action and MessageID (zeep adds them from the WSDL's
    ``wsam:Action``; added here when missing), ``wsa:To`` with ``?oin=<receiver>`` and ``wsa:From`` with
    ``?oin=<sender>`` (the OIN in your client certificate)."""

    def __init__(self, *, from_oin: str, to_oin: str) -> None:
        self.from_oin, self.to_oin = from_oin, to_oin

    def egress(self, envelope, http_headers, operation, binding_options):
        header = envelope.find(f"{{{SOAP_ENV}}}Header")
        if header is None:
            header = etree.Element(f"{{{SOAP_ENV}}}Header")
            envelope.insert(0, header)
        action = header.find(f"{{{WSA}}}Action")
        if action is None:
            action = etree.SubElement(header, f"{{{WSA}}}Action")
            action.text = (http_headers.get("SOAPAction") or "").strip('"')
        if header.find(f"{{{WSA}}}MessageID") is None:
            etree.SubElement(header, f"{{{WSA}}}MessageID").text = f"urn:uuid:{uuid.uuid4()}"
        to = header.find(f"{{{WSA}}}To")
        if to is None:
            to = etree.SubElement(header, f"{{{WSA}}}To")
            to.text = binding_options.get("address", "")
        if "?oin=" not in (to.text or ""):
            to.text = f"{to.text}?oin={self.to_oin}"
        if header.find(f"{{{WSA}}}From") is None:
            frm = etree.SubElement(header, f"{{{WSA}}}From")
            etree.SubElement(frm, f"{{{WSA}}}Address").text = f"{ANONYMOUS}?oin={self.from_oin}"
        return envelope, http_headers


class EdukoppelingSignature:
    """Profile 2W-be-S for zeep's ``wsse=``: signs each request, verifies each reply.

    Request: ``wsse:Security`` (mustUnderstand) with a BinarySecurityToken (your certificate — the same as
    your TLS client certificate), a ``wsu:Timestamp`` (``ttl``) and one ``ds:Signature`` — RSA-SHA256 (or
    ECDSA-SHA256 for an EC key), SHA-256 digests, exclusive C14N — with one reference each to Body, Timestamp
    and every ``wsa:`` header. Reply: must be signed the same way by ``reply_cert_pem`` (the SWV's
    certificate); an unsigned fault is let through (a fault before the gateway knew who you are is not
    signed) so that zeep raises it with its code.
    """

    def __init__(
        self,
        key_pem: bytes,
        cert_pem: bytes,
        *,
        reply_cert_pem: bytes | None,
        key_password: bytes | None = None,
        ttl: dt.timedelta = dt.timedelta(minutes=5),
        max_reply_skew: dt.timedelta = dt.timedelta(minutes=2),
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._key = xmlsec.Key.from_memory(key_pem, xmlsec.KeyFormat.PEM, key_password)  # type: ignore[arg-type]  # xmlsec's stubs: the password may be bytes
        self._key.load_cert_from_memory(cert_pem, xmlsec.KeyFormat.PEM)
        self._cert_der = _der(cert_pem)
        self._method = xmlsec.Transform.ECDSA_SHA256 if _is_ec(key_pem) else xmlsec.Transform.RSA_SHA256
        self.reply_cert_pem = reply_cert_pem
        self._reply_der = _der(reply_cert_pem) if reply_cert_pem else None
        self.ttl, self.max_reply_skew, self.clock = ttl, max_reply_skew, clock

    # -- requests -------------------------------------------------------------------------------------

    def apply(self, envelope, headers):
        header = envelope.find(f"{{{SOAP_ENV}}}Header")
        if header is None:
            header = etree.Element(f"{{{SOAP_ENV}}}Header")
            envelope.insert(0, header)
        security = etree.Element(f"{{{WSSE}}}Security", nsmap={"wsse": WSSE, "wsu": WSU})
        security.set(f"{{{SOAP_ENV}}}mustUnderstand", "1")
        header.insert(0, security)
        bst = etree.SubElement(security, f"{{{WSSE}}}BinarySecurityToken", ValueType=X509_TOKEN, EncodingType=BASE64)
        bst.text = base64.b64encode(self._cert_der).decode("ascii")
        bst.set(_WSU_ID, f"X509-{uuid.uuid4()}")
        now = self.clock()
        timestamp = etree.SubElement(security, f"{{{WSU}}}Timestamp")
        etree.SubElement(timestamp, f"{{{WSU}}}Created").text = _stamp(now)
        etree.SubElement(timestamp, f"{{{WSU}}}Expires").text = _stamp(now + self.ttl)
        body = envelope.find(f"{{{SOAP_ENV}}}Body")
        targets = [body, timestamp, *(el for el in header if _in_ns(el, WSA))]

        signature = xmlsec.template.create(envelope, xmlsec.Transform.EXCL_C14N, self._method)
        security.append(signature)
        ctx = xmlsec.SignatureContext()
        for target in targets:
            if target.get(_WSU_ID) is None:
                target.set(_WSU_ID, f"id-{uuid.uuid4()}")
            ctx.register_id(target, "Id", WSU)
            ref = xmlsec.template.add_reference(signature, xmlsec.Transform.SHA256, uri=f"#{target.get(_WSU_ID)}")
            xmlsec.template.add_transform(ref, xmlsec.Transform.EXCL_C14N)
        key_info = xmlsec.template.ensure_key_info(signature)
        token_ref = etree.SubElement(key_info, f"{{{WSSE}}}SecurityTokenReference")
        etree.SubElement(token_ref, f"{{{WSSE}}}Reference", URI=f"#{bst.get(_WSU_ID)}", ValueType=X509_TOKEN)
        ctx.key = self._key
        ctx.sign(signature)
        return envelope, headers

    # -- replies --------------------------------------------------------------------------------------

    def verify(self, envelope):
        header = envelope.find(f"{{{SOAP_ENV}}}Header")
        body = envelope.find(f"{{{SOAP_ENV}}}Body")
        security = header.find(f"{{{WSSE}}}Security") if header is not None else None
        if security is None:
            if body is not None and body.find(f"{{{SOAP_ENV}}}Fault") is not None:
                return envelope  # an unsigned fault: zeep raises it with the gateway's code
            raise SignatureVerificationFailed("het antwoord is niet ondertekend (profiel 2W-be-S)")
        if self._reply_der is None:
            raise SignatureVerificationFailed("geen certificaat van het SWV opgegeven (reply_cert_pem)")
        signatures = security.findall(f"{{{DS}}}Signature")
        timestamp = security.find(f"{{{WSU}}}Timestamp")
        if len(signatures) != 1 or timestamp is None or body is None:
            raise SignatureVerificationFailed("wsse:Security zonder precies één ds:Signature en een wsu:Timestamp")
        signature = signatures[0]
        token = _referenced_token(security, signature)
        if token != self._reply_der:
            raise SignatureVerificationFailed("het antwoord is niet ondertekend met het certificaat van het SWV")
        targets = [body, timestamp, *(el for el in header if _in_ns(el, WSA))]
        ids = [t.get(_WSU_ID) for t in targets]
        all_ids = [el.get(_WSU_ID) for el in envelope.iter() if isinstance(el.tag, str) and el.get(_WSU_ID)]
        if any(i is None or all_ids.count(i) != 1 for i in ids):
            raise SignatureVerificationFailed("Body, Timestamp of een wsa-header mist een unieke wsu:Id")
        signed_info = signature.find(f"{{{DS}}}SignedInfo")
        method = signed_info.find(f"{{{DS}}}SignatureMethod").get("Algorithm")
        references = signed_info.findall(f"{{{DS}}}Reference")
        if method not in _SHA2_SIGNATURES or any(
            r.find(f"{{{DS}}}DigestMethod").get("Algorithm") not in _SHA2_DIGESTS for r in references
        ):
            raise SignatureVerificationFailed(f"algoritme niet toegestaan: {method}")
        uris = {r.get("URI") for r in references}
        missing = [etree.QName(t).localname for t, i in zip(targets, ids, strict=True) if f"#{i}" not in uris]
        if missing:
            raise SignatureVerificationFailed(f"niet ondertekend: {', '.join(missing)}")
        ctx = xmlsec.SignatureContext()
        for target in targets:
            ctx.register_id(target, "Id", WSU)
        ctx.key = xmlsec.Key.from_memory(self.reply_cert_pem, xmlsec.KeyFormat.CERT_PEM)
        try:
            ctx.verify(signature)
        except xmlsec.Error as exc:
            raise SignatureVerificationFailed(f"handtekening klopt niet: {exc}") from exc
        expires = _parse_stamp(timestamp.findtext(f"{{{WSU}}}Expires"))
        if expires is None or expires + self.max_reply_skew < self.clock():
            raise SignatureVerificationFailed("wsu:Timestamp van het antwoord is verlopen")
        return envelope


def fault_codes(fault: Fault) -> list[str]:
    """The gateway's stable refusal codes in a SOAP fault (``detail/oso:fouten/oso:fout/oso:code``)."""
    if fault.detail is None:
        return []
    return [el.text or "" for el in fault.detail.iter(f"{{{OSO}}}code")]


def edukoppeling_client(
    wsdl: str,
    *,
    cert_file: str,
    key_file: str,
    ca_file: str,
    from_oin: str,
    to_oin: str,
    reply_cert_file: str | None = None,
    sign: bool = True,
    timeout: float = 30,
    **client_options: Any,
) -> zeep.Client:
    """A zeep client with mutual TLS, Edukoppeling addressing and (``sign``, profile 2W-be-S) signing."""
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE (and proxy variables) override the CA given here
    session.verify = ca_file
    session.cert = (cert_file, key_file)
    wsse = None
    if sign:
        with open(key_file, "rb") as k, open(cert_file, "rb") as c:
            key_pem, cert_pem = k.read(), c.read()
        reply = None
        if reply_cert_file is not None:
            with open(reply_cert_file, "rb") as r:
                reply = r.read()
        wsse = EdukoppelingSignature(key_pem, cert_pem, reply_cert_pem=reply)
    return zeep.Client(
        wsdl,
        transport=Transport(session=session, timeout=timeout, operation_timeout=timeout),
        wsse=wsse,
        plugins=[EdukoppelingAddressing(from_oin=from_oin, to_oin=to_oin)],
        **client_options,
    )


def _referenced_token(security: etree._Element, signature: etree._Element) -> bytes | None:
    ref = signature.find(f"{{{DS}}}KeyInfo/{{{WSSE}}}SecurityTokenReference/{{{WSSE}}}Reference")
    if ref is None or not (ref.get("URI") or "").startswith("#"):
        return None
    wanted = ref.get("URI", "")[1:]
    for bst in security.findall(f"{{{WSSE}}}BinarySecurityToken"):
        if bst.get(_WSU_ID) == wanted and bst.text:
            return base64.b64decode(bst.text)
    return None


def _der(pem: bytes) -> bytes:
    lines = pem.decode("ascii").strip().splitlines()
    start = lines.index("-----BEGIN CERTIFICATE-----")
    end = lines.index("-----END CERTIFICATE-----", start)
    return base64.b64decode("".join(lines[start + 1 : end]))


def _is_ec(key_pem: bytes) -> bool:
    if b"EC PRIVATE KEY" in key_pem:
        return True
    try:
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.serialization import load_pem_private_key
    except ImportError:  # without cryptography: only "EC PRIVATE KEY" PEMs are recognised
        return False
    try:
        return isinstance(load_pem_private_key(key_pem, password=None), ec.EllipticCurvePrivateKey)
    except (TypeError, ValueError):
        return False


def _in_ns(el: etree._Element, namespace: str) -> bool:
    return isinstance(el.tag, str) and etree.QName(el).namespace == namespace


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_stamp(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
