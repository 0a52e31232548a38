"""WS-Security micro benchmark: sign and parse+verify per message, signxml (before) vs xmlsec (now).

    .venv/bin/python bench/wssec_micro.py [--n 200] [--threads 2]

Two messages: a small notificatie (6 references) and a reply carrying a 136 kB body (a Base64 dossier).
"before" is the gateway's former code rebuilt here from signxml directly: the same wsse:Security header,
the signature made by signxml's XMLSigner, verification by signxml's XMLVerifier after the same structural
pre-checks. "now" is `adapters.parnassys.wssec` (xmlsec). Prints ms per operation (best of 3 runs of
``--n``), then signing throughput with ``--threads`` threads sharing one cached key (xmlsec releases the
GIL while it signs). Figures are for this machine (2 shared cores); see docs/assumptions/wssec.md.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import os
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree
from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLSigner, XMLVerifier
from signxml.algorithms import SignatureConstructionMethod

from adapters.parnassys import wssec
from adapters.parnassys.simulator.test_pki import Issued, PrivateKey, ThrowAwayCA
from adapters.parnassys.soap import ANONYMOUS, NS, SOAP_ENV, WSA, WSSE, WSU, build_envelope, parse_envelope, to_bytes

SKEW, AGE = dt.timedelta(minutes=2), dt.timedelta(minutes=5)
OIN = "00000003273000000000"


def notificatie() -> etree._Element:
    op = etree.Element(f"{{{NS}}}notificatieRequest")
    for name, value in (("bronBrin", "14SS"), ("doelBrin", "14SS"), ("koppelsleutel", str(uuid.uuid4()))):
        etree.SubElement(op, f"{{{NS}}}{name}").text = value
    return _envelope(op)


def dossier_reply(size: int = 136 * 1024) -> etree._Element:
    op = etree.Element(f"{{{NS}}}documentResponse")
    etree.SubElement(op, f"{{{NS}}}document").text = base64.b64encode(os.urandom(size * 3 // 4)).decode()
    return _envelope(op)


def _envelope(op: etree._Element) -> etree._Element:
    return build_envelope(
        op,
        action=f"{NS}/{etree.QName(op).localname}",
        to=f"https://127.0.0.1/oso/swv?oin={OIN}",
        from_address=f"{ANONYMOUS}?oin={OIN}",
        relates_to=f"urn:uuid:{uuid.uuid4()}",
    )


# -- before: signxml ----------------------------------------------------------------------------------------


def sign_signxml(env: etree._Element, *, key: PrivateKey, certificate: x509.Certificate) -> etree._Element:
    header = env.find(f"{{{SOAP_ENV}}}Header")
    body = env.find(f"{{{SOAP_ENV}}}Body")
    security = etree.Element(f"{{{WSSE}}}Security", nsmap={"wsse": WSSE, "wsu": WSU})
    security.set(f"{{{SOAP_ENV}}}mustUnderstand", "1")
    header.insert(0, security)
    bst = etree.SubElement(
        security, f"{{{WSSE}}}BinarySecurityToken", ValueType=wssec.X509_TOKEN, EncodingType=wssec.BASE64
    )
    bst.text = base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()
    bst.set(wssec.WSU_ID, f"X509-{uuid.uuid4()}")
    created = dt.datetime.now(dt.UTC)
    ts = etree.SubElement(security, f"{{{WSU}}}Timestamp")
    etree.SubElement(ts, f"{{{WSU}}}Created").text = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    etree.SubElement(ts, f"{{{WSU}}}Expires").text = (created + AGE).strftime("%Y-%m-%dT%H:%M:%SZ")
    targets = [body, ts, *(c for c in header if isinstance(c.tag, str) and etree.QName(c).namespace == WSA)]
    for el in targets:
        el.set(wssec.WSU_ID, f"id-{uuid.uuid4()}")
    key_info = etree.Element(f"{{{wssec.DS}}}KeyInfo", nsmap={"ds": wssec.DS})
    str_el = etree.SubElement(key_info, f"{{{WSSE}}}SecurityTokenReference", nsmap={"wsse": WSSE})
    etree.SubElement(str_el, f"{{{WSSE}}}Reference", URI=f"#{bst.get(wssec.WSU_ID)}", ValueType=wssec.X509_TOKEN)
    signer = XMLSigner(
        method=SignatureConstructionMethod.detached,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=wssec.EXC_C14N,
    )
    security.append(
        signer.sign(env, key=key, reference_uri=[f"#{el.get(wssec.WSU_ID)}" for el in targets], key_info=key_info)
    )
    return env


_SIGNXML_CONFIG = SignatureConfiguration(
    location=f"./{{{SOAP_ENV}}}Header/{{{WSSE}}}Security/",
    expect_references=True,
    signature_methods=frozenset({SignatureMethod.RSA_SHA256}),
    digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
)


def verify_signxml(data: bytes, ident: Issued) -> None:
    env = parse_envelope(data, huge=True)
    security = env.security()
    assert security is not None  # sign_signxml put one in
    signature = security.find(f"{{{wssec.DS}}}Signature")
    wssec._check_unique_ids(env.root)  # the pre-checks were the same before
    wssec._algorithms(signature)
    cert, _der = wssec._token(security, signature)
    XMLVerifier().verify(env.root, x509_cert=cert, expect_config=_SIGNXML_CONFIG)


# -- now: xmlsec ---------------------------------------------------------------------------------------------


def verify_xmlsec(data: bytes, ident: Issued) -> None:
    wssec.verify_envelope(parse_envelope(data, huge=True), tls_certificate=ident.cert, max_skew=SKEW, max_age=AGE)


def _ms(fn: Callable[[], object], n: int) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - start) / n)
    return best * 1000


def _rows(
    template: bytes, old_signed: bytes, new_signed: bytes, ident: Issued
) -> tuple[tuple[str, Callable[[], object], Callable[[], object]], ...]:
    return (
        (
            "sign",
            lambda: sign_signxml(etree.fromstring(template), key=ident.key, certificate=ident.cert),
            lambda: wssec.sign_envelope(etree.fromstring(template), key=ident.key, certificate=ident.cert),
        ),
        ("parse+verify", lambda: verify_signxml(old_signed, ident), lambda: verify_xmlsec(new_signed, ident)),
    )


def _throughput(sign: Callable[..., etree._Element], ident: Issued, threads: int, total: int) -> float:
    template = to_bytes(notificatie())

    def one(_: int) -> bytes:
        return to_bytes(sign(etree.fromstring(template), key=ident.key, certificate=ident.cert))

    with ThreadPoolExecutor(max_workers=threads) as pool:
        start = time.perf_counter()
        signed = list(pool.map(one, range(total)))
        took = time.perf_counter() - start
    for data in signed[:: max(total // 50, 1)]:
        verify_xmlsec(data, ident)
    return total / took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    ident = ThrowAwayCA().issue_client(OIN, "Bench")
    print(f"{'message':24s} {'operation':14s} {'signxml ms':>11s} {'xmlsec ms':>10s} {'speed-up':>9s}")
    for name, make in (("notificatie", notificatie), ("reply with 136 kB body", dossier_reply)):
        template = to_bytes(make())
        size = len(template)
        old_signed = to_bytes(sign_signxml(etree.fromstring(template), key=ident.key, certificate=ident.cert))
        new_signed = to_bytes(wssec.sign_envelope(etree.fromstring(template), key=ident.key, certificate=ident.cert))
        verify_signxml(new_signed, ident)  # each verifies the other's output: same wire format
        verify_xmlsec(old_signed, ident)
        n = args.n if size < 10_000 else max(args.n // 4, 10)
        rows = _rows(template, old_signed, new_signed, ident)
        for op, before, after in rows:
            b, a = _ms(before, n), _ms(after, n)
            print(f"{name:24s} {op:14s} {b:11.2f} {a:10.2f} {b / a:8.1f}x   ({size // 1024} kB unsigned)")

    total = args.n * 4
    for threads in (1, args.threads):
        b = _throughput(sign_signxml, ident, threads, total)
        a = _throughput(wssec.sign_envelope, ident, threads, total)
        print(f"signing notificaties, {threads} thread(s), one key: signxml {b:6.0f}/s   xmlsec {a:6.0f}/s")


if __name__ == "__main__":
    main()
