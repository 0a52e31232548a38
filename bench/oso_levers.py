"""Three of an OSO-SWV worker's costs, each measured both ways in this one process, alternating rounds
(docs/performance.md, "Issue 18, seventh round"):

1. reading a dossier while the event loop is busy with other exchanges (here: signing messages, as the worker
   signs its SOAP calls): in the loop's own thread (what a ``worker`` process does now) against in a thread
   of its own (what it did before, and what roles ``all`` and ``intake`` still do) — CPU of the whole process
   for the same work, so every GIL hand-over counts;
2. the dossier of a parsed 414 kB documentResponse handed to the reader: copied out of the answer's tree
   (`ParsedDossier`, now) against serialised for the reader to parse again (before) — CPU per dossier,
   reading included;
3. signing a notificatie-sized message (Body, Timestamp and four WS-Addressing headers): `wsse:Security`
   parsed from one string (now) against built one lxml call per node with a uuid4 per id (before, rebuilt here
   from the former code) — CPU per signature, xmlsec's part the same in both.

    .venv/bin/python bench/oso_levers.py [--dossiers 40] [--rounds 3]

Blobs go to a temp dir on /dev/shm when there is one (no disk waits). The dossier is the official full POSWV
example with readable attachments (as in bench/oso_throughput.py), so ``../shared`` must be beside the checkout.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import copy
import datetime as dt
import json
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from cryptography.hazmat.primitives import serialization  # noqa: E402
from lxml import etree  # noqa: E402

from adapters.parnassys import wssec  # noqa: E402
from adapters.parnassys.simulator.test_pki import ThrowAwayCA  # noqa: E402
from adapters.parnassys.soap import (  # noqa: E402
    ANONYMOUS,
    NS,
    SOAP_ENV,
    WSA,
    WSSE,
    WSU,
    build_envelope,
    parse_envelope,
    parse_xml,
    to_bytes,
)

_SKEW = dt.timedelta(minutes=5)
_SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"


def _cpu_us(n: int, call: Callable[[], Any]) -> float:
    started = time.process_time()  # the whole process: every thread
    for _ in range(n):
        call()
    return (time.process_time() - started) / n * 1e6


def _answer() -> tuple[bytes, etree._Element]:
    """A documentResponse around the official full POSWV dossier with readable attachments, parsed."""
    from oso_dossiers import POSWV, readable_attachments

    dossier = readable_attachments(POSWV.resolve().read_bytes(), variant=7).split(b"?>", 1)[1]
    answer = (
        f'<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{SOAP_ENV}"><s:Body>'
        f'<o:documentResponse xmlns:o="{NS}"><o:aanvraag/><o:dossier>'.encode()
        + dossier
        + b"</o:dossier></o:documentResponse></s:Body></s:Envelope>"
    )
    return answer, parse_xml(answer).find(f"{{{SOAP_ENV}}}Body/{{{NS}}}documentResponse/{{{NS}}}dossier")[0]


def _handed_over(n: int, rounds: int, blobs: Any) -> dict[str, list[float]]:
    from gateway.dossier import ParsedDossier, read_dossier

    answer, element = _answer()

    def parsed() -> Any:
        return read_dossier(ParsedDossier(copy.deepcopy(element), len(answer)), blobs=blobs)

    def serialised() -> Any:
        return read_dossier(etree.tostring(element, encoding="utf-8"), blobs=blobs)

    assert [a.sha256 for a in parsed().attachments] == [a.sha256 for a in serialised().attachments]
    out: dict[str, list[float]] = {"parsed_us": [], "serialised_us": []}
    for _ in range(rounds):
        out["parsed_us"].append(_cpu_us(n, parsed))
        out["serialised_us"].append(_cpu_us(n, serialised))
    return out


def _key() -> tuple[Any, Any]:
    issued = ThrowAwayCA().issue_client("00000003273000000000", "Bench")
    return issued.key, issued.cert


def _message() -> etree._Element:
    body = etree.Element(f"{{{NS}}}afmeldingRequest")
    etree.SubElement(body, f"{{{NS}}}sessieId").text = "sessie-1"
    return build_envelope(
        body, action=f"{NS}/afmeldingRequest", to="https://tc.example/oso", from_address=f"{ANONYMOUS}?oin=1"
    )


def _sign_before(envelope: etree._Element, *, key: Any, certificate: Any) -> None:
    """The former `wssec.sign_envelope` (until issue 18's seventh round): every node one lxml call, a uuid4 per
    id, the token's Base64 per message. Same header, same xmlsec signature."""
    import xmlsec

    header = envelope.find(f"{{{SOAP_ENV}}}Header")
    body = envelope.find(f"{{{SOAP_ENV}}}Body")
    assert header is not None and body is not None

    def ensure_id(el: etree._Element, prefix: str) -> str:
        value = el.get(wssec.WSU_ID)
        if not value:
            value = f"{prefix}-{uuid.uuid4()}"
            el.set(wssec.WSU_ID, value)
        return value

    def stamp(at: dt.datetime) -> str:
        return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    security = etree.Element(f"{{{WSSE}}}Security", nsmap={"wsse": WSSE, "wsu": WSU})
    security.set(f"{{{SOAP_ENV}}}mustUnderstand", "1")
    header.insert(0, security)
    bst = etree.SubElement(
        security, f"{{{WSSE}}}BinarySecurityToken", ValueType=wssec.X509_TOKEN, EncodingType=wssec.BASE64
    )
    bst.text = base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()
    bst_id = ensure_id(bst, "X509")
    created = dt.datetime.now(dt.UTC)
    ts = etree.SubElement(security, f"{{{WSU}}}Timestamp")
    etree.SubElement(ts, f"{{{WSU}}}Created").text = stamp(created)
    etree.SubElement(ts, f"{{{WSU}}}Expires").text = stamp(created + dt.timedelta(minutes=5))
    targets = [body, ts, *(c for c in header if isinstance(c.tag, str) and etree.QName(c).namespace == WSA)]
    ds = wssec.DS
    signature = etree.SubElement(security, f"{{{ds}}}Signature", nsmap={"ds": ds})
    signed_info = etree.SubElement(signature, f"{{{ds}}}SignedInfo")
    etree.SubElement(signed_info, f"{{{ds}}}CanonicalizationMethod", Algorithm=wssec.EXC_C14N)
    etree.SubElement(signed_info, f"{{{ds}}}SignatureMethod", Algorithm=wssec._signature_method(key).href)
    for el in targets:
        ref = etree.SubElement(signed_info, f"{{{ds}}}Reference", URI=f"#{ensure_id(el, 'id')}")
        transforms = etree.SubElement(ref, f"{{{ds}}}Transforms")
        etree.SubElement(transforms, f"{{{ds}}}Transform", Algorithm=wssec.EXC_C14N)
        etree.SubElement(ref, f"{{{ds}}}DigestMethod", Algorithm=_SHA256)
        etree.SubElement(ref, f"{{{ds}}}DigestValue")
    etree.SubElement(signature, f"{{{ds}}}SignatureValue")
    key_info = etree.SubElement(signature, f"{{{ds}}}KeyInfo")
    str_el = etree.SubElement(key_info, f"{{{WSSE}}}SecurityTokenReference")
    etree.SubElement(str_el, f"{{{WSSE}}}Reference", URI=f"#{bst_id}", ValueType=wssec.X509_TOKEN)
    ctx = xmlsec.SignatureContext()
    ctx.key = wssec._signing_key(key)
    for el in targets:
        ctx.register_id(el, "Id", WSU)
    ctx.sign(signature)


def _signing(n: int, rounds: int) -> dict[str, list[float]]:
    key, cert = _key()
    before = _message()
    _sign_before(before, key=key, certificate=cert)
    now = wssec.sign_envelope(_message(), key=key, certificate=cert)
    for signed in (before, now):  # both verify, with the same references
        env = parse_envelope(to_bytes(signed))
        verified = wssec.verify_envelope(env, tls_certificate=cert, max_skew=_SKEW, max_age=_SKEW)
        assert len(verified.signed_ids) == 6

    out: dict[str, list[float]] = {"now_us": [], "before_us": []}
    for _ in range(rounds):
        out["now_us"].append(_cpu_us(n, lambda: wssec.sign_envelope(_message(), key=key, certificate=cert)))
        out["before_us"].append(_cpu_us(n, lambda: _sign_before(_message(), key=key, certificate=cert)))
    return out


async def _busy_loop_read(n: int, signatures: int, inline: bool, blobs: Any) -> float:
    """CPU ms per dossier for the same work: ``n`` dossier reads, and ``signatures`` signed messages by four
    coroutines on the loop meanwhile (as the worker's other exchanges sign their calls)."""
    from gateway.dossier import ParsedDossier, read_dossier

    answer, element = _answer()
    key, cert = _key()

    async def signer(count: int) -> None:
        for _ in range(count):
            wssec.sign_envelope(_message(), key=key, certificate=cert)
            await asyncio.sleep(0)

    def read() -> Any:
        return read_dossier(ParsedDossier(copy.deepcopy(element), len(answer)), blobs=blobs)

    async def reader() -> None:
        for _ in range(n):
            if inline:
                read()
                await asyncio.sleep(0)  # the loop's other exchanges get their turn between two reads
            else:
                await asyncio.to_thread(read)

    started = time.process_time()
    await asyncio.gather(reader(), *(signer(signatures // 4) for _ in range(4)))
    return (time.process_time() - started) / n * 1e3


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dossiers", type=int, default=40)
    p.add_argument("--signatures", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    logging.disable(logging.INFO)
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    from gateway.store.blobs_local import LocalBlobStore

    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(dir=shm) as work:
        blobs = LocalBlobStore(Path(work) / "blobs")
        handed = _handed_over(args.dossiers, args.rounds, blobs)
        signing = _signing(args.signatures, args.rounds)
        busy: dict[str, list[float]] = {"in_loop_ms": [], "in_thread_ms": []}
        for _ in range(args.rounds):
            for inline, name in ((True, "in_loop_ms"), (False, "in_thread_ms")):
                busy[name].append(asyncio.run(_busy_loop_read(args.dossiers, 6 * args.dossiers, inline, blobs)))
    runs = {"dossier_handed_over": handed, "signature": signing, "read_while_the_loop_signs": busy}
    medians = {f"{k}.{m}": round(statistics.median(v), 1) for k, d in runs.items() for m, v in d.items()}
    print(json.dumps({**runs, "medians": medians}, indent=2))


if __name__ == "__main__":
    main()
