"""WS-Security on xmlsec agrees with independent implementations: signxml (both ways) and zeep's xmlsec plug-in.

A message we sign verifies with signxml's XMLVerifier; messages signed the way the gateway signed them before
(signxml) and the way a zeep sender signs them verify with `verify_envelope`. Signing from several threads at
once with one cached key gives messages that all verify.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree
from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLSigner, XMLVerifier
from signxml.algorithms import SignatureConstructionMethod

from adapters.parnassys.simulator.test_pki import Issued
from adapters.parnassys.soap import SOAP_ENV, WSA, WSSE, WSU, parse_envelope, to_bytes
from adapters.parnassys.wssec import BASE64, DS, EXC_C14N, WSU_ID, X509_TOKEN, SignedMessage, sign_envelope
from adapters.parnassys.wssec import verify_envelope as _verify_envelope
from tests.parnassys.conftest import TOPICUS_OIN, Pki, raw_envelope
from tests.parnassys.zeep_edukoppeling import XmlsecEdukoppelingSignature

SKEW, AGE = dt.timedelta(minutes=2), dt.timedelta(minutes=5)


def unsigned() -> etree._Element:
    return etree.fromstring(raw_envelope(TOPICUS_OIN))


def verify(data: bytes, tls: x509.Certificate, now: dt.datetime | None = None) -> SignedMessage:
    return _verify_envelope(parse_envelope(data), tls_certificate=tls, max_skew=SKEW, max_age=AGE, now=now)


def sign_with_signxml(env: etree._Element, signer: Issued) -> etree._Element:
    """The gateway's signer before xmlsec: the same wsse:Security header, the signature made by signxml."""
    header = env.find(f"{{{SOAP_ENV}}}Header")
    security = etree.Element(f"{{{WSSE}}}Security", nsmap={"wsse": WSSE, "wsu": WSU})
    header.insert(0, security)
    bst = etree.SubElement(security, f"{{{WSSE}}}BinarySecurityToken", ValueType=X509_TOKEN, EncodingType=BASE64)
    bst.text = base64.b64encode(signer.cert.public_bytes(serialization.Encoding.DER)).decode()
    bst.set(WSU_ID, f"X509-{uuid.uuid4()}")
    now = dt.datetime.now(dt.UTC)
    ts = etree.SubElement(security, f"{{{WSU}}}Timestamp")
    etree.SubElement(ts, f"{{{WSU}}}Created").text = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    etree.SubElement(ts, f"{{{WSU}}}Expires").text = (now + AGE).strftime("%Y-%m-%dT%H:%M:%SZ")
    targets = [env.find(f"{{{SOAP_ENV}}}Body"), ts, *(c for c in header if etree.QName(c).namespace == WSA)]
    for el in targets:
        el.set(WSU_ID, f"id-{uuid.uuid4()}")
    key_info = etree.Element(f"{{{DS}}}KeyInfo", nsmap={"ds": DS})
    str_el = etree.SubElement(key_info, f"{{{WSSE}}}SecurityTokenReference")
    etree.SubElement(str_el, f"{{{WSSE}}}Reference", URI=f"#{bst.get(WSU_ID)}", ValueType=X509_TOKEN)
    signature = XMLSigner(
        method=SignatureConstructionMethod.detached,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=EXC_C14N,
    ).sign(env, key=signer.key, reference_uri=[f"#{el.get(WSU_ID)}" for el in targets], key_info=key_info)
    security.append(signature)
    return env


def test_a_signed_message_verifies_and_reports_what_was_signed(pki: Pki) -> None:
    env = sign_envelope(unsigned(), key=pki.topicus.key, certificate=pki.topicus.cert)

    result = verify(to_bytes(env), pki.topicus.cert)

    header = env.find(f"{{{SOAP_ENV}}}Header")
    expected = {env.find(f"{{{SOAP_ENV}}}Body").get(WSU_ID), header.find(f".//{{{WSU}}}Timestamp").get(WSU_ID)}
    expected |= {el.get(WSU_ID) for el in header if etree.QName(el).namespace == WSA}
    assert result.signed_ids == expected
    assert len(expected) == 6  # Body, Timestamp, Action, MessageID, To, From
    assert result.certificate == pki.topicus.cert
    assert result.expires is not None and result.expires - result.created == dt.timedelta(minutes=5)


def test_the_signature_has_the_edukoppeling_shape(pki: Pki) -> None:
    env = sign_envelope(unsigned(), key=pki.gateway.key, certificate=pki.gateway.cert)

    security = env.find(f"{{{SOAP_ENV}}}Header/{{{WSSE}}}Security")
    assert [etree.QName(c).localname for c in security] == ["BinarySecurityToken", "Timestamp", "Signature"]
    si = security.find(f"{{{DS}}}Signature/{{{DS}}}SignedInfo")
    assert si.find(f"{{{DS}}}CanonicalizationMethod").get("Algorithm") == EXC_C14N
    assert si.find(f"{{{DS}}}SignatureMethod").get("Algorithm") == xmlsec.Transform.RSA_SHA256.href  # type: ignore[attr-defined]  # xmlsec's bundled stubs lack the Transform constants it has at run time
    for ref in si.iterfind(f"{{{DS}}}Reference"):
        assert [t.get("Algorithm") for t in ref.iter(f"{{{DS}}}Transform")] == [EXC_C14N]
        assert ref.find(f"{{{DS}}}DigestMethod").get("Algorithm") == xmlsec.Transform.SHA256.href  # type: ignore[attr-defined]  # xmlsec's bundled stubs lack the Transform constants it has at run time
    key_info = security.find(f"{{{DS}}}Signature/{{{DS}}}KeyInfo")
    assert [etree.QName(c).localname for c in key_info] == ["SecurityTokenReference"]


def test_signxml_verifies_what_we_sign(pki: Pki) -> None:
    env = sign_envelope(unsigned(), key=pki.topicus.key, certificate=pki.topicus.cert)
    root = etree.fromstring(to_bytes(env))

    config = SignatureConfiguration(
        location=f"./{{{SOAP_ENV}}}Header/{{{WSSE}}}Security/",
        expect_references=6,
        signature_methods=frozenset({SignatureMethod.RSA_SHA256}),
        digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
    )
    results = XMLVerifier().verify(root, x509_cert=pki.topicus.cert, expect_config=config)
    assert isinstance(results, list)  # expect_references > 1: one result per reference

    signed_tags = {etree.QName(r.signed_xml).localname for r in results}
    assert signed_tags == {"Body", "Timestamp", "Action", "MessageID", "To", "From"}


def test_we_verify_what_signxml_signed_before(pki: Pki) -> None:
    env = sign_with_signxml(unsigned(), pki.topicus)

    result = verify(to_bytes(env), pki.topicus.cert)

    assert len(result.signed_ids) == 6


def test_we_verify_what_a_zeep_sender_signs(pki: Pki) -> None:
    env = unsigned()
    XmlsecEdukoppelingSignature(pki.topicus.key_pem, pki.topicus.cert_pem, reply_cert_pem=None).apply(env, {})

    result = verify(to_bytes(env), pki.topicus.cert)

    assert len(result.signed_ids) == 6


def test_zeep_verifies_what_we_sign(pki: Pki) -> None:
    env = sign_envelope(unsigned(), key=pki.gateway.key, certificate=pki.gateway.cert)
    plugin = XmlsecEdukoppelingSignature(pki.topicus.key_pem, pki.topicus.cert_pem, reply_cert_pem=pki.gateway.cert_pem)

    reply = etree.fromstring(to_bytes(env))

    assert plugin.verify(reply) is reply  # accepted: zeep goes on with the envelope (a refusal raises)


def test_signing_from_several_threads_with_one_key_gives_valid_messages(pki: Pki) -> None:
    def one(_: int) -> bytes:
        return to_bytes(sign_envelope(unsigned(), key=pki.gateway.key, certificate=pki.gateway.cert))

    with ThreadPoolExecutor(max_workers=4) as pool:
        messages = list(pool.map(one, range(60)))
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda m: verify(m, pki.gateway.cert), messages))

    assert len({r.created for r in results}) >= 1
    assert all(len(r.signed_ids) == 6 for r in results)


def test_xmlsec_and_lxml_share_one_libxml2() -> None:
    assert xmlsec.get_libxml_version() == etree.LIBXML_VERSION


def test_an_ec_key_signs_with_ecdsa_and_verifies_both_ways(pki: Pki) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = pki.ca.issue_client(TOPICUS_OIN, "EC-leverancier", key=key).cert
    env = sign_envelope(unsigned(), key=key, certificate=cert)

    assert len(verify(to_bytes(env), cert).signed_ids) == 6
    config = SignatureConfiguration(
        location=f"./{{{SOAP_ENV}}}Header/{{{WSSE}}}Security/",
        expect_references=6,
        signature_methods=frozenset({SignatureMethod.ECDSA_SHA256}),
        digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
    )
    XMLVerifier().verify(etree.fromstring(to_bytes(env)), x509_cert=cert, expect_config=config)
