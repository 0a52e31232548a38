"""Every refusal of `verify_envelope`, each from a crafted message — and the same attacks fail inside xmlsec
too when the structural checks are bypassed (defence in depth).

Crafted messages are first signed by the gateway's own `sign_envelope`, then edited and, where the attack
needs a *valid* signature over the edit (SHA-1, another transform, another key), signed again by xmlsec
with the attacker's choice of algorithms and key.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
from collections.abc import Callable

import pytest
import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from adapters.parnassys import wssec
from adapters.parnassys.simulator.test_pki import Issued
from adapters.parnassys.soap import NS, SOAP_ENV, WSA, WSSE, WSU, SoapRejected, parse_envelope, to_bytes
from adapters.parnassys.wssec import DS, WSU_ID, sign_envelope, verify_envelope
from tests.parnassys.conftest import TOPICUS_OIN, Pki, raw_envelope

SKEW, AGE = dt.timedelta(minutes=2), dt.timedelta(minutes=5)
Edit = Callable[[etree._Element], None]


def signed(pki: Pki, *, now: dt.datetime | None = None) -> etree._Element:
    env = etree.fromstring(raw_envelope(TOPICUS_OIN))
    return sign_envelope(env, key=pki.topicus.key, certificate=pki.topicus.cert, now=now)


def refusal_of(env: etree._Element, tls: x509.Certificate, now: dt.datetime | None = None) -> str:
    parsed = parse_envelope(to_bytes(env))
    with pytest.raises(SoapRejected) as caught:
        verify_envelope(parsed, tls_certificate=tls, max_skew=SKEW, max_age=AGE, now=now)
    return caught.value.finding.code


def signature_of(env: etree._Element) -> etree._Element:
    return env.find(f"{{{SOAP_ENV}}}Header/{{{WSSE}}}Security/{{{DS}}}Signature")


def resign(env: etree._Element, key: Issued, edit: Edit | None = None) -> etree._Element:
    """Edit SignedInfo (algorithms, transforms), then let xmlsec recompute every digest and the signature."""
    signature = signature_of(env)
    if edit is not None:
        edit(signature.find(f"{{{DS}}}SignedInfo"))
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_memory(key.key_pem, xmlsec.KeyFormat.PEM)  # type: ignore[attr-defined]  # xmlsec's bundled stubs lack KeyFormat (present at run time)
    for el in env.iter():
        if isinstance(el.tag, str) and el.get(WSU_ID):
            ctx.register_id(el, "Id", WSU)
    ctx.sign(signature)
    return etree.fromstring(to_bytes(env))  # as it travels: serialised, parsed again


def algorithm(local: str, value: str) -> Edit:
    def edit(si: etree._Element) -> None:
        for el in si.iter(f"{{{DS}}}{local}"):
            el.set("Algorithm", value)

    return edit


def add_transform(value: str, *, xpath: str | None = None) -> Edit:
    def edit(si: etree._Element) -> None:
        for transforms in si.iter(f"{{{DS}}}Transforms"):
            tr = etree.Element(f"{{{DS}}}Transform", Algorithm=value)
            if xpath is not None:
                etree.SubElement(tr, f"{{{DS}}}XPath").text = xpath
            transforms.insert(0, tr)

    return edit


def header_el(env: etree._Element, local: str, ns: str = WSA) -> etree._Element:
    return env.find(f"{{{SOAP_ENV}}}Header/{{{ns}}}{local}")


# -- tampering after signing -----------------------------------------------------------------------------


def _body(env: etree._Element) -> None:
    env.find(f".//{{{NS}}}koppelsleutel").text = "00000000-0000-0000-0000-000000000000"


def _to(env: etree._Element) -> None:
    header_el(env, "To").text = "https://aanvaller.example/oso?oin=00000001800000000001"


def _timestamp(env: etree._Element) -> None:
    created = env.find(f".//{{{WSU}}}Timestamp/{{{WSU}}}Created")
    created.text = created.text.replace("Z", "1Z") if "." in created.text else created.text


def _expires(env: etree._Element) -> None:
    env.find(f".//{{{WSU}}}Timestamp/{{{WSU}}}Expires").text = "2099-01-01T00:00:00Z"


def _signature_value(env: etree._Element) -> None:
    value = signature_of(env).find(f"{{{DS}}}SignatureValue")
    raw = bytearray(base64.b64decode(value.text))
    raw[10] ^= 0x01
    value.text = base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize("tamper", [_body, _to, _timestamp, _expires, _signature_value])
def test_a_change_after_signing_is_refused(pki: Pki, tamper: Edit) -> None:
    env = signed(pki)
    tamper(env)

    assert refusal_of(env, pki.topicus.cert) == "WSS_HANDTEKENING_ONGELDIG"


def test_every_reference_is_digested(pki: Pki) -> None:
    """Changing the text of any one referenced element (each in turn) breaks the signature: xmlsec checks
    every reference in SignedInfo, not just the first."""
    base = signed(pki)
    uris = [r.get("URI") for r in signature_of(base).iter(f"{{{DS}}}Reference")]
    assert len(uris) == 6
    for uri in uris:
        env = copy.deepcopy(base)
        target = env.xpath("//*[@wsu:Id=$id]", namespaces={"wsu": WSU}, id=uri[1:])[0]
        leaf = next(el for el in target.iter() if el.text and el.text.strip())
        leaf.text = leaf.text + "x"
        assert refusal_of(env, pki.topicus.cert) == "WSS_HANDTEKENING_ONGELDIG", uri


# -- references ------------------------------------------------------------------------------------------


def test_a_reference_to_a_missing_id_is_refused(pki: Pki) -> None:
    env = signed(pki)
    header_el(env, "To").set(WSU_ID, "id-weg")  # the reference to the old id now points nowhere

    assert refusal_of(env, pki.topicus.cert) == "WSS_HANDTEKENING_ONGELDIG"


def test_an_xpointer_reference_is_refused(pki: Pki) -> None:
    def edit(si: etree._Element) -> None:
        si.find(f"{{{DS}}}Reference").set("URI", "#xpointer(/)")

    env = resign(signed(pki), pki.topicus, edit)

    assert refusal_of(env, pki.topicus.cert) == "WSS_HANDTEKENING_ONGELDIG"


def test_a_duplicate_id_is_refused(pki: Pki) -> None:
    env = signed(pki)
    body = env.find(f"{{{SOAP_ENV}}}Body")
    etree.SubElement(header_el(env, "To").getparent(), "{urn:aanvaller}Kopie").set(WSU_ID, body.get(WSU_ID))

    assert refusal_of(env, pki.topicus.cert) == "WSS_DUBBELE_ID"


def test_a_wrapped_body_is_refused(pki: Pki) -> None:
    """The signed Body hides in a header; an unsigned Body takes its place (signature wrapping)."""
    env = signed(pki)
    body = env.find(f"{{{SOAP_ENV}}}Body")
    etree.SubElement(env.find(f"{{{SOAP_ENV}}}Header"), "{urn:aanvaller}Omhulsel").append(body)
    forged = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    forged.append(copy.deepcopy(body[0]))
    forged.find(f".//{{{NS}}}bronBrin").text = "66XX"

    assert refusal_of(env, pki.topicus.cert) == "WSS_NIET_ONDERTEKEND"


def test_a_wrapped_body_with_the_same_id_is_refused(pki: Pki) -> None:
    env = signed(pki)
    body = env.find(f"{{{SOAP_ENV}}}Body")
    etree.SubElement(env.find(f"{{{SOAP_ENV}}}Header"), "{urn:aanvaller}Omhulsel").append(body)
    forged = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    forged.set(WSU_ID, body.get(WSU_ID))
    forged.append(copy.deepcopy(body[0]))

    assert refusal_of(env, pki.topicus.cert) == "WSS_DUBBELE_ID"


def test_an_addressing_header_added_after_signing_is_refused(pki: Pki) -> None:
    env = signed(pki)
    reply_to = etree.SubElement(env.find(f"{{{SOAP_ENV}}}Header"), f"{{{WSA}}}ReplyTo")
    etree.SubElement(reply_to, f"{{{WSA}}}Address").text = "https://aanvaller.example/"

    assert refusal_of(env, pki.topicus.cert) == "WSS_NIET_ONDERTEKEND"


# -- algorithms and transforms (validly signed with what the attacker chose) -----------------------------

SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
XPATH = "http://www.w3.org/TR/1999/REC-xpath-19991116"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(algorithm("DigestMethod", SHA1), id="sha1-digest"),
        pytest.param(algorithm("SignatureMethod", RSA_SHA1), id="rsa-sha1"),
        pytest.param(algorithm("CanonicalizationMethod", C14N), id="inclusive-c14n-signedinfo"),
        pytest.param(algorithm("Transform", C14N), id="inclusive-c14n-reference"),
        pytest.param(add_transform(ENVELOPED), id="enveloped-signature"),
        pytest.param(add_transform(XPATH, xpath="not(self::oso:geheim)"), id="xpath"),
        pytest.param(lambda si: [t.getparent().remove(t) for t in si.findall(f".//{{{DS}}}Transforms")], id="none"),
    ],
)
def test_a_weak_or_foreign_algorithm_is_refused(pki: Pki, edit: Edit) -> None:
    env = resign(signed(pki), pki.topicus, edit)

    assert refusal_of(env, pki.topicus.cert) == "WSS_ALGORITME_NIET_TOEGESTAAN"


# -- keys, tokens and signatures -------------------------------------------------------------------------


def test_a_signature_by_another_key_than_the_token_is_refused(pki: Pki) -> None:
    env = resign(signed(pki), pki.stranger)

    assert refusal_of(env, pki.topicus.cert) == "WSS_HANDTEKENING_ONGELDIG"


def test_a_foreign_key_in_keyinfo_is_refused(pki: Pki) -> None:
    """Signed by the attacker, whose certificate sits in KeyInfo next to the reference to the victim's token."""
    env = signed(pki)
    key_info = signature_of(env).find(f"{{{DS}}}KeyInfo")
    x509_data = etree.SubElement(key_info, f"{{{DS}}}X509Data")
    der = pki.stranger.cert.public_bytes(serialization.Encoding.DER)
    etree.SubElement(x509_data, f"{{{DS}}}X509Certificate").text = base64.b64encode(der).decode()
    env = resign(env, pki.stranger)

    assert refusal_of(env, pki.topicus.cert) == "WSS_HANDTEKENING_ONGELDIG"


def test_a_token_that_is_not_the_tls_certificate_is_refused(pki: Pki) -> None:
    env = etree.fromstring(raw_envelope(TOPICUS_OIN))
    sign_envelope(env, key=pki.foreign.key, certificate=pki.foreign.cert)

    assert refusal_of(env, pki.topicus.cert) == "WSS_CERTIFICAAT_AFWIJKEND"


def test_an_unreadable_token_is_refused(pki: Pki) -> None:
    env = signed(pki)
    env.find(f".//{{{WSSE}}}BinarySecurityToken").text = "bm9nIGdlZW4gY2VydGlmaWNhYXQ="

    assert refusal_of(env, pki.topicus.cert) == "WSS_TOKEN_ONGELDIG"


def test_a_second_signature_is_refused(pki: Pki) -> None:
    env = signed(pki)
    op = env.find(f"{{{SOAP_ENV}}}Body")[0]
    op.append(copy.deepcopy(signature_of(env)))

    assert refusal_of(env, pki.topicus.cert) == "WSS_HANDTEKENING_ONGELDIG"


def test_a_message_without_signature_is_refused(pki: Pki) -> None:
    env = signed(pki)
    signature = signature_of(env)
    signature.getparent().remove(signature)

    assert refusal_of(env, pki.topicus.cert) == "WSS_HANDTEKENING_ONTBREEKT"


def test_a_certificate_outside_its_validity_is_refused(pki: Pki) -> None:
    later = pki.topicus.cert.not_valid_after_utc + dt.timedelta(days=1)
    env = signed(pki, now=later)

    assert refusal_of(env, pki.topicus.cert, now=later) == "WSS_HANDTEKENING_ONGELDIG"


# -- Timestamp -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [dt.timedelta(hours=-2), dt.timedelta(minutes=10)], ids=["oud", "toekomst"])
def test_a_timestamp_outside_the_window_is_refused(pki: Pki, offset: dt.timedelta) -> None:
    env = signed(pki, now=dt.datetime.now(dt.UTC) + offset)

    assert refusal_of(env, pki.topicus.cert) == "WSS_TIMESTAMP_VERLOPEN"


# -- inside xmlsec, with the structural checks bypassed --------------------------------------------------


def _xmlsec_only(env: etree._Element, token: Issued) -> list[str]:
    """Call the xmlsec step directly, registering every wsu:Id, as if the pre-checks had let it through; returns
    the (local) names of the elements the signature's references point at, which xmlsec has then checked."""
    root = etree.fromstring(to_bytes(env))
    targets = [(el, WSU_ID) for el in root.iter() if isinstance(el.tag, str) and el.get(WSU_ID)]
    signature = signature_of(root)
    wssec._xmlsec_verify(signature, token.cert.public_bytes(serialization.Encoding.DER), targets)
    uris = {ref.get("URI") for ref in signature.iter(f"{{{DS}}}Reference")}
    return sorted(etree.QName(el).localname for el, _ in targets if f"#{el.get(WSU_ID)}" in uris)


def test_xmlsec_alone_accepts_a_good_message(pki: Pki) -> None:
    assert _xmlsec_only(signed(pki), pki.topicus) == ["Action", "Body", "From", "MessageID", "Timestamp", "To"]


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(algorithm("DigestMethod", SHA1), id="sha1-digest"),
        pytest.param(algorithm("SignatureMethod", RSA_SHA1), id="rsa-sha1"),
        pytest.param(add_transform(ENVELOPED), id="enveloped-signature"),
        pytest.param(add_transform(XPATH, xpath="true()"), id="xpath"),
        pytest.param(algorithm("CanonicalizationMethod", C14N), id="inclusive-c14n"),
    ],
)
def test_xmlsec_alone_refuses_transforms_we_do_not_enable(pki: Pki, edit: Edit) -> None:
    env = resign(signed(pki), pki.topicus, edit)

    with pytest.raises(SoapRejected):
        _xmlsec_only(env, pki.topicus)


def test_xmlsec_alone_refuses_a_reference_to_a_missing_id(pki: Pki) -> None:
    env = signed(pki)
    header_el(env, "MessageID").set(WSU_ID, "id-weg")

    with pytest.raises(SoapRejected):
        _xmlsec_only(env, pki.topicus)


def test_xmlsec_alone_uses_the_given_key_not_keyinfo(pki: Pki) -> None:
    env = signed(pki)
    key_info = signature_of(env).find(f"{{{DS}}}KeyInfo")
    x509_data = etree.SubElement(key_info, f"{{{DS}}}X509Data")
    der = pki.stranger.cert.public_bytes(serialization.Encoding.DER)
    etree.SubElement(x509_data, f"{{{DS}}}X509Certificate").text = base64.b64encode(der).decode()
    env = resign(env, pki.stranger)

    _xmlsec_only(env, pki.stranger)  # the attacker's own key verifies his signature…
    with pytest.raises(SoapRejected):
        _xmlsec_only(env, pki.topicus)  # …but we hand xmlsec the token's key, whatever KeyInfo says
