"""WS-Security 1.1 for Edukoppeling profile 2W-be-S: signing (outbound, replies) and verification (inbound).

Signing and signature maths are signxml's; this module adds what WS-Security needs around it and what
signxml cannot know: which elements *must* be signed (Body, wsu:Timestamp, every WS-Addressing header,
each with its own reference), that every id in the message is unique (so the element signxml digested is
the element we use: no signature wrapping), SHA-2 and exclusive C14N only, the BinarySecurityToken as the
one signing certificate, and a fresh Timestamp.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from lxml import etree
from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLSigner, XMLVerifier
from signxml.algorithms import SignatureConstructionMethod
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature

from adapters.parnassys.refusals import refusal
from adapters.parnassys.soap import SOAP_ENV, WSA, WSSE, WSU, Envelope, SoapRejected

__all__ = ["SignedMessage", "sign_envelope", "verify_envelope"]

DS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
X509_TOKEN = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"  # noqa: S105 - a URI, not a secret
BASE64 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
WSU_ID = f"{{{WSU}}}Id"

_SHA2_SIGNATURES = frozenset(
    {
        SignatureMethod.RSA_SHA256,
        SignatureMethod.RSA_SHA384,
        SignatureMethod.RSA_SHA512,
        SignatureMethod.ECDSA_SHA256,
        SignatureMethod.ECDSA_SHA384,
        SignatureMethod.ECDSA_SHA512,
    }
)
_SHA2_DIGESTS = frozenset({DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512})
_ID_NAMES = ("Id", "ID", "id")


@dataclass(frozen=True)
class SignedMessage:
    certificate: x509.Certificate
    created: dt.datetime
    expires: dt.datetime | None
    signed_ids: frozenset[str]


def _ensure_id(el: etree._Element, prefix: str) -> str:
    value = el.get(WSU_ID)
    if not value:
        value = f"{prefix}-{uuid.uuid4()}"
        el.set(WSU_ID, value)
    return value


def _stamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def sign_envelope(
    envelope: etree._Element,
    *,
    key: PrivateKeyTypes,
    certificate: x509.Certificate,
    ttl: dt.timedelta = dt.timedelta(minutes=5),
    now: dt.datetime | None = None,
) -> etree._Element:
    """Sign in place: wsse:Security with BinarySecurityToken, Timestamp and a signature over Body,
    Timestamp and every WS-Addressing header (each its own reference; RSA-SHA256, exclusive C14N)."""
    header = envelope.find(f"{{{SOAP_ENV}}}Header")
    if header is None:
        header = etree.Element(f"{{{SOAP_ENV}}}Header")
        envelope.insert(0, header)
    body = envelope.find(f"{{{SOAP_ENV}}}Body")
    if body is None:
        raise ValueError("envelope without Body")
    security = etree.Element(f"{{{WSSE}}}Security", nsmap={"wsse": WSSE, "wsu": WSU})
    security.set(f"{{{SOAP_ENV}}}mustUnderstand", "1")
    header.insert(0, security)
    bst = etree.SubElement(security, f"{{{WSSE}}}BinarySecurityToken", ValueType=X509_TOKEN, EncodingType=BASE64)
    bst.text = base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()
    bst_id = _ensure_id(bst, "X509")
    created = now or dt.datetime.now(dt.UTC)
    ts = etree.SubElement(security, f"{{{WSU}}}Timestamp")
    etree.SubElement(ts, f"{{{WSU}}}Created").text = _stamp(created)
    etree.SubElement(ts, f"{{{WSU}}}Expires").text = _stamp(created + ttl)
    targets = [body, ts, *(c for c in header if isinstance(c.tag, str) and etree.QName(c).namespace == WSA)]
    uris = [f"#{_ensure_id(el, 'id')}" for el in targets]

    key_info = etree.Element(f"{{{DS}}}KeyInfo", nsmap={"ds": DS})
    str_el = etree.SubElement(key_info, f"{{{WSSE}}}SecurityTokenReference", nsmap={"wsse": WSSE})
    etree.SubElement(str_el, f"{{{WSSE}}}Reference", URI=f"#{bst_id}", ValueType=X509_TOKEN)
    signer = XMLSigner(
        method=SignatureConstructionMethod.detached,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=EXC_C14N,
    )
    signature = signer.sign(envelope, key=key, reference_uri=uris, key_info=key_info)
    security.append(signature)
    return envelope


def _reject(code: str, location: str | None = "wsse:Security", **values: object) -> SoapRejected:
    return SoapRejected(refusal(code, location, **values))


def _check_unique_ids(root: etree._Element) -> None:
    counts: Counter[str] = Counter()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            if etree.QName(name).localname in _ID_NAMES or name == "{http://www.w3.org/XML/1998/namespace}id":
                counts[value] += 1
    for value, n in counts.items():
        if n > 1:
            raise _reject("WSS_DUBBELE_ID", id=value[:80])


def _algorithms(signature: etree._Element) -> None:
    si = signature.find(f"{{{DS}}}SignedInfo")
    if si is None:
        raise _reject("WSS_HANDTEKENING_ONGELDIG", detail="SignedInfo ontbreekt")
    c14n = si.find(f"{{{DS}}}CanonicalizationMethod")
    if c14n is None or c14n.get("Algorithm") != EXC_C14N:
        raise _reject("WSS_ALGORITME_NIET_TOEGESTAAN", algorithm=c14n.get("Algorithm") if c14n is not None else "-")
    method = si.find(f"{{{DS}}}SignatureMethod")
    alg = method.get("Algorithm", "") if method is not None else ""
    if alg not in {m.value for m in _SHA2_SIGNATURES}:
        raise _reject("WSS_ALGORITME_NIET_TOEGESTAAN", algorithm=alg or "-")
    refs = si.findall(f"{{{DS}}}Reference")
    if not refs:
        raise _reject("WSS_HANDTEKENING_ONGELDIG", detail="geen referenties")
    for ref in refs:
        uri = ref.get("URI") or ""
        if not uri.startswith("#") or len(uri) < 2:
            raise _reject("WSS_HANDTEKENING_ONGELDIG", detail="alleen referenties naar een Id (#…) zijn toegestaan")
        digest = ref.find(f"{{{DS}}}DigestMethod")
        d_alg = digest.get("Algorithm", "") if digest is not None else ""
        if d_alg not in {d.value for d in _SHA2_DIGESTS}:
            raise _reject("WSS_ALGORITME_NIET_TOEGESTAAN", algorithm=d_alg or "-")
        for tr in ref.iterfind(f"{{{DS}}}Transforms/{{{DS}}}Transform"):
            if tr.get("Algorithm") != EXC_C14N:
                raise _reject("WSS_ALGORITME_NIET_TOEGESTAAN", algorithm=tr.get("Algorithm") or "-")


def _token(security: etree._Element, signature: etree._Element) -> x509.Certificate:
    tokens = security.findall(f"{{{WSSE}}}BinarySecurityToken")
    if len(tokens) != 1 or tokens[0].get("ValueType") != X509_TOKEN:
        raise _reject("WSS_TOKEN_ONGELDIG")
    token = tokens[0]
    refs = signature.findall(f"{{{DS}}}KeyInfo/{{{WSSE}}}SecurityTokenReference/{{{WSSE}}}Reference")
    if len(refs) != 1 or refs[0].get("URI") != f"#{token.get(WSU_ID)}":
        raise _reject("WSS_TOKEN_ONGELDIG")
    try:
        return x509.load_der_x509_certificate(base64.b64decode("".join((token.text or "").split()), validate=True))
    except ValueError as exc:
        raise _reject("WSS_TOKEN_ONGELDIG") from exc


def _parse_time(text: str | None) -> dt.datetime:
    if not text:
        raise ValueError("empty")
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("no time zone")
    return value


def verify_envelope(
    env: Envelope,
    *,
    tls_certificate: x509.Certificate | None,
    max_skew: dt.timedelta,
    max_age: dt.timedelta,
    now: dt.datetime | None = None,
) -> SignedMessage:
    """Verify a 2W-be-S message; raises `SoapRejected` with the precise refusal otherwise."""
    security = env.security()
    if security is None:
        raise _reject("WSS_HANDTEKENING_ONTBREEKT")
    signatures = env.root.findall(f".//{{{DS}}}Signature")
    direct = security.findall(f"{{{DS}}}Signature")
    if not direct:
        raise _reject("WSS_HANDTEKENING_ONTBREEKT")
    if len(signatures) != 1 or len(direct) != 1:
        raise _reject("WSS_HANDTEKENING_ONGELDIG", detail="precies één ds:Signature in wsse:Security verwacht")
    signature = direct[0]
    _check_unique_ids(env.root)
    _algorithms(signature)
    cert = _token(security, signature)

    config = SignatureConfiguration(
        location=f"./{{{SOAP_ENV}}}Header/{{{WSSE}}}Security/",
        expect_references=True,
        signature_methods=_SHA2_SIGNATURES,
        digest_algorithms=_SHA2_DIGESTS,
    )
    try:
        XMLVerifier().verify(env.root, x509_cert=cert, expect_config=config)
    except (InvalidSignature, InvalidDigest, InvalidCertificate, InvalidInput) as exc:
        raise _reject("WSS_HANDTEKENING_ONGELDIG", detail=str(exc)[:160]) from exc

    signed = frozenset((r.get("URI") or "")[1:] for r in signature.iterfind(f"{{{DS}}}SignedInfo/{{{DS}}}Reference"))
    timestamps = security.findall(f"{{{WSU}}}Timestamp")
    if len(timestamps) != 1:
        raise _reject("WSS_TIMESTAMP_ONGELDIG", "wsu:Timestamp")
    required: list[tuple[str, etree._Element]] = [("soap:Body", env.body), ("wsu:Timestamp", timestamps[0])]
    required += [(f"wsa:{name}", el) for name, el in env.addressing.elements.items()]
    for label, el in required:
        if el.get(WSU_ID) not in signed:
            raise _reject("WSS_NIET_ONDERTEKEND", label, element=label)

    if tls_certificate is None or tls_certificate.public_bytes(serialization.Encoding.DER) != cert.public_bytes(
        serialization.Encoding.DER
    ):
        raise _reject("WSS_CERTIFICAAT_AFWIJKEND", "wsse:BinarySecurityToken")

    try:
        created = _parse_time(timestamps[0].findtext(f"{{{WSU}}}Created"))
        expires_text = timestamps[0].findtext(f"{{{WSU}}}Expires")
        expires = _parse_time(expires_text) if expires_text else None
    except ValueError as exc:
        raise _reject("WSS_TIMESTAMP_ONGELDIG", "wsu:Timestamp") from exc
    now = now or dt.datetime.now(dt.UTC)
    if created - max_skew > now:
        raise _reject("WSS_TIMESTAMP_VERLOPEN", "wsu:Timestamp/wsu:Created", detail="Created ligt in de toekomst")
    if now - created > max_age + max_skew:
        raise _reject("WSS_TIMESTAMP_VERLOPEN", "wsu:Timestamp/wsu:Created", detail="Created is te oud")
    if expires is not None and expires + max_skew < now:
        raise _reject("WSS_TIMESTAMP_VERLOPEN", "wsu:Timestamp/wsu:Expires", detail="Expires is verstreken")
    return SignedMessage(certificate=cert, created=created, expires=expires, signed_ids=signed)
