"""WS-Security 1.1 for Edukoppeling profile 2W-be-S: signing (outbound, replies) and verification (inbound).

Canonicalisation, digests and RSA/ECDSA run in C in xmlsec (python-xmlsec, linked against the same libxml2
as lxml: checked at import). This module adds what WS-Security needs around it and what xmlsec cannot know,
all checked *before* any crypto: exactly one ds:Signature, directly in wsse:Security; every id in the
message unique (so the element xmlsec digested is the element we use: no signature wrapping); exclusive
C14N for SignedInfo and as the only reference transform; SHA-2 digests and signature methods only;
references only to a same-document ``#id``; one BinarySecurityToken (X509v3) referenced from
KeyInfo/SecurityTokenReference as the one signing certificate. After the crypto: Body, wsu:Timestamp and
every WS-Addressing header each covered by its own reference, the signing certificate is the TLS client
certificate, and the Timestamp is fresh.

xmlsec verifies with the key of the BinarySecurityToken certificate we loaded ourselves (``ctx.key``; there
is no keys manager, so KeyInfo is never used to find a key) and only with the transforms we allow enabled
(defence in depth: anything else fails inside xmlsec as well).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import itertools
import re
import threading
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from lxml import etree

from adapters.parnassys.refusals import refusal
from adapters.parnassys.soap import SOAP_ENV, WSA, WSSE, WSU, Envelope, SoapRejected

__all__ = [
    "BASE64",
    "DS",
    "EXC_C14N",
    "WSU_ID",
    "X509_TOKEN",
    "SignedMessage",
    "sign_envelope",
    "verify_envelope",
]

if xmlsec.get_libxml_version() != etree.LIBXML_VERSION:  # two libxml2 copies in one process corrupt trees
    raise ImportError(
        f"xmlsec is linked against libxml2 {xmlsec.get_libxml_version()}, lxml against {etree.LIBXML_VERSION}; "
        "install both built against the same libxml2 (e.g. pip install --no-binary lxml,xmlsec)"
    )

DS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
X509_TOKEN = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"  # noqa: S105 - a URI, not a secret
BASE64 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
WSU_ID = f"{{{WSU}}}Id"

_T = xmlsec.Transform
_SIGNATURE_TRANSFORMS = (_T.RSA_SHA256, _T.RSA_SHA384, _T.RSA_SHA512, _T.ECDSA_SHA256, _T.ECDSA_SHA384, _T.ECDSA_SHA512)
_DIGEST_TRANSFORMS = (_T.SHA256, _T.SHA384, _T.SHA512)
_SHA2_SIGNATURES = frozenset(t.href for t in _SIGNATURE_TRANSFORMS)
_SHA2_DIGESTS = frozenset(t.href for t in _DIGEST_TRANSFORMS)
_ID_ATTRIBUTES = etree.XPath("//@*[local-name()='Id' or local-name()='ID' or local-name()='id']")
# a bare same-document id: no XPointer (``#xpointer(/)``, ``#xmlns(...)``), quotes or whitespace
_ID_URI = re.compile(r"#[^\s#()'\"]+")
_KEY_CACHE_SIZE = 8
_WSA_TAG = f"{{{WSA}}}"
_TEMPLATE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


@dataclass(frozen=True)
class SignedMessage:
    certificate: x509.Certificate
    created: dt.datetime
    expires: dt.datetime | None
    signed_ids: frozenset[str]


class _KeyCache:
    """A small LRU of loaded `xmlsec.Key`s. Each entry keeps its source object alive, so an ``id()`` key
    cannot be reused by another object while cached. Sharing one `xmlsec.Key` across threads is safe here:
    the only use is ``ctx.key = key``, which duplicates it (``xmlSecKeyDuplicate``) while holding the GIL;
    each SignatureContext then works on its own copy."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[object, tuple[object, xmlsec.Key]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, cache_key: object, source: object) -> xmlsec.Key | None:
        with self._lock:
            hit = self._entries.get(cache_key)
            if hit is None or (hit[0] is not source and hit[0] != source):
                return None
            self._entries.move_to_end(cache_key)
            return hit[1]

    def put(self, cache_key: object, source: object, key: xmlsec.Key) -> None:
        with self._lock:
            self._entries[cache_key] = (source, key)
            self._entries.move_to_end(cache_key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


_signing_keys = _KeyCache(_KEY_CACHE_SIZE)
_verification_keys = _KeyCache(4 * _KEY_CACHE_SIZE)


def _signing_key(key: PrivateKeyTypes) -> xmlsec.Key:
    cached = _signing_keys.get(id(key), key)
    if cached is not None:
        return cached
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    loaded = xmlsec.Key.from_memory(pem, xmlsec.KeyFormat.PEM)
    _signing_keys.put(id(key), key, loaded)
    return loaded


def _verification_key(cert_der: bytes) -> xmlsec.Key:
    cached = _verification_keys.get(cert_der, cert_der)
    if cached is not None:
        return cached
    loaded = xmlsec.Key.from_memory(cert_der, xmlsec.KeyFormat.CERT_DER)
    _verification_keys.put(cert_der, cert_der, loaded)
    return loaded


def _signature_method(key: PrivateKeyTypes) -> xmlsec.Transform:
    if isinstance(key, rsa.RSAPrivateKey):
        return _T.RSA_SHA256
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return _T.ECDSA_SHA256
    raise ValueError(f"signing key type {type(key).__name__} is not supported (RSA or EC)")


def _ensure_id(el: etree._Element, make: Callable[[], str]) -> str:
    value = el.get(WSU_ID)
    if not value:
        value = make()
        el.set(WSU_ID, value)
    return value


def _stamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@functools.lru_cache(maxsize=_KEY_CACHE_SIZE)
def _token_text(certificate: x509.Certificate) -> str:
    """The BinarySecurityToken's text: the certificate's DER in Base64 (the same for every message)."""
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


# wsse:Security as one string, parsed in one call: building its ≈ 40 nodes one lxml call at a time cost more
# than the signature's own canonicalisation (docs/performance.md, "Issue 18, seventh round"). Every value
# put in is a constant, a Base64 text, a timestamp or an id this module made ("<prefix>-<hex>-<n>").
_SECURITY = (
    f'<wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}">'
    f'<wsse:BinarySecurityToken ValueType="{X509_TOKEN}" EncodingType="{BASE64}" wsu:Id="{{bst_id}}">{{token}}'
    "</wsse:BinarySecurityToken>"
    '<wsu:Timestamp wsu:Id="{ts_id}"><wsu:Created>{created}</wsu:Created><wsu:Expires>{expires}</wsu:Expires>'
    "</wsu:Timestamp>"
    f'<ds:Signature xmlns:ds="{DS}"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="{EXC_C14N}"/>'
    '<ds:SignatureMethod Algorithm="{method}"/>{references}</ds:SignedInfo><ds:SignatureValue/>'
    f'<ds:KeyInfo><wsse:SecurityTokenReference><wsse:Reference URI="#{{bst_id}}" ValueType="{X509_TOKEN}"/>'
    "</wsse:SecurityTokenReference></ds:KeyInfo></ds:Signature></wsse:Security>"
)
_REFERENCE = (
    f'<ds:Reference URI="#{{id}}"><ds:Transforms><ds:Transform Algorithm="{EXC_C14N}"/></ds:Transforms>'
    f'<ds:DigestMethod Algorithm="{_T.SHA256.href}"/><ds:DigestValue/></ds:Reference>'
)


def sign_envelope(
    envelope: etree._Element,
    *,
    key: PrivateKeyTypes,
    certificate: x509.Certificate,
    ttl: dt.timedelta = dt.timedelta(minutes=5),
    now: dt.datetime | None = None,
) -> etree._Element:
    """Sign in place: wsse:Security with BinarySecurityToken, Timestamp and a signature over Body,
    Timestamp and every WS-Addressing header (each its own reference; RSA-SHA256 (ECDSA-SHA256 for an EC
    key), SHA-256 digests, exclusive C14N; KeyInfo is a SecurityTokenReference to the token)."""
    header = envelope.find(f"{{{SOAP_ENV}}}Header")
    if header is None:
        header = etree.Element(f"{{{SOAP_ENV}}}Header")
        envelope.insert(0, header)
    body = envelope.find(f"{{{SOAP_ENV}}}Body")
    if body is None:
        raise ValueError("envelope without Body")
    method = _signature_method(key)
    # ids unique in the message: one random part per message, a counter per element
    unique, count = uuid.uuid4().hex, itertools.count()
    wsa = [c for c in header if isinstance(c.tag, str) and c.tag.startswith(_WSA_TAG)]
    ids = [_ensure_id(el, lambda: f"id-{unique}-{next(count)}") for el in (body, *wsa)]
    ts_id, bst_id = f"TS-{unique}", f"X509-{unique}"
    created = now or dt.datetime.now(dt.UTC)
    security = etree.fromstring(
        _SECURITY.format(
            bst_id=bst_id,
            ts_id=ts_id,
            token=_token_text(certificate),
            created=_stamp(created),
            expires=_stamp(created + ttl),
            method=method.href,
            references="".join(_REFERENCE.format(id=i) for i in (ids[0], ts_id, *ids[1:])),
        ),
        _TEMPLATE_PARSER,
    )
    header.insert(0, security)
    security.set(f"{{{SOAP_ENV}}}mustUnderstand", "1")
    ts, signature = security[1], security[2]

    ctx = xmlsec.SignatureContext()
    ctx.key = _signing_key(key)
    for el in (body, ts, *wsa):
        ctx.register_id(el, "Id", WSU)
    ctx.sign(signature)
    return envelope


def _reject(code: str, location: str | None = "wsse:Security", **values: object) -> SoapRejected:
    return SoapRejected(refusal(code, location, **values))


def _check_unique_ids(root: etree._Element) -> dict[str, tuple[etree._Element, str]]:
    """Every Id/ID/id attribute (any namespace, xml:id included): value → (element, attribute name).
    Refuses a value seen twice."""
    found: dict[str, tuple[etree._Element, str]] = {}
    counts: Counter[str] = Counter()
    for attr in _ID_ATTRIBUTES(root):
        value = str(attr)
        counts[value] += 1
        found[value] = (attr.getparent(), attr.attrname)
    for value, n in counts.items():
        if n > 1:
            raise _reject("WSS_DUBBELE_ID", id=value[:80])
    return found


def _algorithms(signature: etree._Element) -> list[str]:
    """Checks SignedInfo's algorithms and reference forms; returns the referenced ids."""
    si = signature.find(f"{{{DS}}}SignedInfo")
    if si is None:
        raise _reject("WSS_HANDTEKENING_ONGELDIG", detail="SignedInfo ontbreekt")
    c14n = si.find(f"{{{DS}}}CanonicalizationMethod")
    if c14n is None or c14n.get("Algorithm") != EXC_C14N:
        raise _reject("WSS_ALGORITME_NIET_TOEGESTAAN", algorithm=c14n.get("Algorithm") if c14n is not None else "-")
    method = si.find(f"{{{DS}}}SignatureMethod")
    alg = method.get("Algorithm", "") if method is not None else ""
    if alg not in _SHA2_SIGNATURES:
        raise _reject("WSS_ALGORITME_NIET_TOEGESTAAN", algorithm=alg or "-")
    refs = si.findall(f"{{{DS}}}Reference")
    if not refs:
        raise _reject("WSS_HANDTEKENING_ONGELDIG", detail="geen referenties")
    ids: list[str] = []
    for ref in refs:
        uri = ref.get("URI") or ""
        if not _ID_URI.fullmatch(uri):
            raise _reject("WSS_HANDTEKENING_ONGELDIG", detail="alleen referenties naar een Id (#…) zijn toegestaan")
        digest = ref.find(f"{{{DS}}}DigestMethod")
        d_alg = digest.get("Algorithm", "") if digest is not None else ""
        if d_alg not in _SHA2_DIGESTS:
            raise _reject("WSS_ALGORITME_NIET_TOEGESTAAN", algorithm=d_alg or "-")
        transforms = ref.findall(f"{{{DS}}}Transforms/{{{DS}}}Transform")
        for tr in transforms:
            if tr.get("Algorithm") != EXC_C14N:
                raise _reject("WSS_ALGORITME_NIET_TOEGESTAAN", algorithm=tr.get("Algorithm") or "-")
        if not transforms:  # without a Transform the XMLDSig default applies: inclusive C14N 1.0
            raise _reject("WSS_ALGORITME_NIET_TOEGESTAAN", algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315")
        ids.append(uri[1:])
    return ids


def _token(security: etree._Element, signature: etree._Element) -> tuple[x509.Certificate, bytes]:
    tokens = security.findall(f"{{{WSSE}}}BinarySecurityToken")
    if len(tokens) != 1 or tokens[0].get("ValueType") != X509_TOKEN:
        raise _reject("WSS_TOKEN_ONGELDIG")
    token = tokens[0]
    refs = signature.findall(f"{{{DS}}}KeyInfo/{{{WSSE}}}SecurityTokenReference/{{{WSSE}}}Reference")
    if len(refs) != 1 or refs[0].get("URI") != f"#{token.get(WSU_ID)}":
        raise _reject("WSS_TOKEN_ONGELDIG")
    try:
        der = base64.b64decode("".join((token.text or "").split()), validate=True)
        cert = x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise _reject("WSS_TOKEN_ONGELDIG") from exc
    key_info = [c for c in signature.find(f"{{{DS}}}KeyInfo") if isinstance(c.tag, str)]
    if len(key_info) != 1:  # a KeyValue or X509Data besides the token reference: which key is meant?
        raise _reject(
            "WSS_HANDTEKENING_ONGELDIG",
            detail="ds:KeyInfo mag alleen een SecurityTokenReference naar het BinarySecurityToken bevatten",
        )
    return cert, der


def _check_validity(cert: x509.Certificate, now: dt.datetime) -> None:
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise _reject(
            "WSS_HANDTEKENING_ONGELDIG", detail="het certificaat in het BinarySecurityToken is nu niet geldig"
        )


def _xmlsec_verify(signature: etree._Element, cert_der: bytes, targets: list[tuple[etree._Element, str]]) -> None:
    """Let xmlsec check every reference's digest and the SignatureValue, with only our transforms enabled
    and only the token's key. Raises `SoapRejected` on any failure."""
    ctx = xmlsec.SignatureContext()
    ctx.enable_signature_transform(_T.EXCL_C14N)
    for tr in _SIGNATURE_TRANSFORMS:
        ctx.enable_signature_transform(tr)
    ctx.enable_reference_transform(_T.EXCL_C14N)
    for tr in _DIGEST_TRANSFORMS:
        ctx.enable_reference_transform(tr)
    try:
        ctx.key = _verification_key(cert_der)
        for el, attr_name in targets:
            q = etree.QName(attr_name)
            ctx.register_id(el, q.localname, q.namespace)
        ctx.verify(signature)
    except xmlsec.Error as exc:  # xmlsec does not say which reference failed; its text is not for users
        raise _reject(
            "WSS_HANDTEKENING_ONGELDIG",
            detail="een digest of de handtekeningwaarde klopt niet met de ondertekende inhoud",
        ) from exc


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
    now = now or dt.datetime.now(dt.UTC)
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
    ids = _check_unique_ids(env.root)
    referenced = _algorithms(signature)
    cert, cert_der = _token(security, signature)
    for ref_id in referenced:
        if ref_id not in ids:
            raise _reject("WSS_HANDTEKENING_ONGELDIG", detail=f"referentie #{ref_id[:80]} wijst naar geen element")
    _check_validity(cert, now)
    _xmlsec_verify(signature, cert_der, [ids[ref_id] for ref_id in referenced])

    signed = frozenset(referenced)
    timestamps = security.findall(f"{{{WSU}}}Timestamp")
    if len(timestamps) != 1:
        raise _reject("WSS_TIMESTAMP_ONGELDIG", "wsu:Timestamp")
    required: list[tuple[str, etree._Element]] = [("soap:Body", env.body), ("wsu:Timestamp", timestamps[0])]
    required += [(f"wsa:{name}", el) for name, el in env.addressing.elements.items()]
    for label, el in required:
        if el.get(WSU_ID) not in signed:
            raise _reject("WSS_NIET_ONDERTEKEND", label, element=label)

    if tls_certificate is None or tls_certificate.public_bytes(serialization.Encoding.DER) != cert_der:
        raise _reject("WSS_CERTIFICAAT_AFWIJKEND", "wsse:BinarySecurityToken")

    try:
        created = _parse_time(timestamps[0].findtext(f"{{{WSU}}}Created"))
        expires_text = timestamps[0].findtext(f"{{{WSU}}}Expires")
        expires = _parse_time(expires_text) if expires_text else None
    except ValueError as exc:
        raise _reject("WSS_TIMESTAMP_ONGELDIG", "wsu:Timestamp") from exc
    if created - max_skew > now:
        raise _reject("WSS_TIMESTAMP_VERLOPEN", "wsu:Timestamp/wsu:Created", detail="Created ligt in de toekomst")
    if now - created > max_age + max_skew:
        raise _reject("WSS_TIMESTAMP_VERLOPEN", "wsu:Timestamp/wsu:Created", detail="Created is te oud")
    if expires is not None and expires + max_skew < now:
        raise _reject("WSS_TIMESTAMP_VERLOPEN", "wsu:Timestamp/wsu:Expires", detail="Expires is verstreken")
    return SignedMessage(certificate=cert, created=created, expires=expires, signed_ids=signed)
