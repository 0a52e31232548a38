"""A big documentResponse is read as it arrives (adapters.parnassys.soap_stream): no DOM of the envelope, no
raw body kept, the dossier written aside into a sealed spool on disk. Every outcome equals the DOM path's,
which small answers (the usual case) keep: each case runs both paths, on a small and on a big body, and
compares; every spool is closed once the answer is refused or its dossier read."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from lxml import etree

from adapters.parnassys import client as client_module
from adapters.parnassys import soap_stream
from adapters.parnassys.client import DocumentResponse, LasClient, OsoSoapClient, RemoteFault
from adapters.parnassys.config import ClientConfig, RetryPolicy
from adapters.parnassys.dossier_factory import AttachmentSpec, build_dossier, write_dossier
from adapters.parnassys.soap import NS, SOAP_ENV, SoapRejected, build_fault, parse_xml, to_bytes
from adapters.parnassys.soap_stream import SoapStream, Streamed
from gateway.dossier import DossierReport, ParsedDossier, read_dossier
from gateway.errors import Transient
from gateway.store.blobs_local import LocalBlobStore
from gateway.store.spool import SealedSpool
from tests.support.served import served
from verification.findings import Finding

MB = 1024 * 1024
DOM = 1 << 40  # stream_response_bytes that no answer reaches: the DOM path
DEFAULT_STREAM_FROM = ClientConfig(
    gateway_oin="x", traffic_center_url="x", traffic_center_oin="x"
).stream_response_bytes
AANVRAAG = (
    b"<oso:aanvraag><oso:aanvraagtype>Ondersteuningsaanvraag schoolgaand kind</oso:aanvraagtype>"
    b"<oso:omschrijving> Graag overleg &amp; advies. </oso:omschrijving><oso:opp>true</oso:opp></oso:aanvraag>"
)


# -- the LAS on loopback: serves whatever pieces of body the test sets -------------------------------------


@dataclass
class Las:
    url: str = ""
    pieces: Callable[[], Iterator[bytes]] = lambda: iter(())
    status: int = 200
    chunked: bool = False  # no Content-Length: the size is only known as the body arrives

    def serve(self, body: bytes, status: int = 200) -> None:
        self.pieces, self.status = (lambda: iter((body,))), status


@pytest.fixture
async def las() -> AsyncIterator[Las]:
    state = Las()

    async def handle(request: web.Request) -> web.StreamResponse:
        await request.read()
        resp = web.StreamResponse(status=state.status, headers={"Content-Type": "text/xml; charset=utf-8"})
        if state.chunked:
            resp.enable_chunked_encoding()
        else:
            resp.content_length = sum(len(p) for p in state.pieces())
        await resp.prepare(request)
        for piece in state.pieces():
            await resp.write(piece)
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_post("/oso/las", handle)
    async with served(app) as port:
        state.url = f"http://127.0.0.1:{port}/oso/las"
        yield state


def _client(stream_from: int, max_bytes: int = 512 * MB, spool_dir: Path | None = None) -> LasClient:
    return LasClient(
        OsoSoapClient(
            ClientConfig(
                gateway_oin="00000001800000000001",
                traffic_center_url="http://127.0.0.1:9/tc",
                traffic_center_oin="00000001821002193000",
                sign=False,
                retry=RetryPolicy(attempts=1, base=0.001, cap=0.002),
                max_response_bytes=max_bytes,
                stream_response_bytes=stream_from,
                spool_dir=spool_dir,
            )
        )
    )


async def _outcome(las: Las, stream_from: int, max_bytes: int = 512 * MB) -> tuple[Any, ...]:
    """What the caller sees: the dossier (canonical XML) and aanvraag, or the refusal."""
    client = _client(stream_from, max_bytes)
    try:
        got = await client.document(las.url, "sessie-1", "koppelsleutel-1")
        xml = _dossier_bytes(got)
        tail = xml[xml.rindex(b">") + 1 :]  # the DOM path serialises the dossier with its tail text
        return ("dossier", got.aanvraag, etree.canonicalize(xml.decode("utf-8")), tail)
    except RemoteFault as exc:
        return ("weigering", exc.system, [(f.code, f.message, f.location) for f in exc.findings])
    except Transient as exc:
        return ("tijdelijk", str(exc))
    finally:
        await client.soap.close()


def _dossier_bytes(got: DocumentResponse) -> bytes:
    """The dossier's bytes, read as the handler reads them (`open_dossier`); the response is closed."""
    try:
        with got.open_dossier() as source:
            return etree.tostring(source.root, encoding="utf-8") if isinstance(source, ParsedDossier) else source.read()
    finally:
        got.close()


# -- bodies --------------------------------------------------------------------------------------------------


def _dossier() -> bytes:
    return build_dossier().split(b"?>", 1)[1]  # without its XML declaration, as it sits in the envelope


def envelope(
    response: bytes, *, header: bytes = b"", prolog: bytes = b'<?xml version="1.0" encoding="utf-8"?>'
) -> bytes:
    return (
        prolog + f'<soap:Envelope xmlns:soap="{SOAP_ENV}" xmlns:oso="{NS}"><soap:Header>'.encode() + header
        + b"</soap:Header><soap:Body>" + response + b"</soap:Body></soap:Envelope>"
    )  # fmt: skip


def document_response(*dossiers: bytes, wrapper: bool = True) -> bytes:
    inner = b"<oso:dossier>" + b"".join(dossiers) + b"</oso:dossier>" if wrapper else b""
    return b"<oso:documentResponse>" + AANVRAAG + inner + b"</oso:documentResponse>"


def _pad(size: str) -> bytes:
    """A header element that makes the body big (a text of 3 MB) or over the huge-tree bound (11 MB)."""
    n = {"small": 0, "big": 3 * MB, "over_10mb": 11 * MB}[size]
    return b'<t:pad xmlns:t="urn:test">' + b"A" * n + b"</t:pad>" if n else b""


def _fault(code: str, pad: bytes) -> bytes:
    fault = to_bytes(build_fault([Finding(code, "Het dossier is nog niet gereed.")]))
    return fault.replace(b"<soap:Header>", b"<soap:Header>" + pad)


PLAIN_FAULT = b"<soap:Fault><faultcode>soap:Server</faultcode><faultstring>kapot</faultstring></soap:Fault>"
LATE_FAULT = b"<soap:Fault><faultstring>toch niet</faultstring></soap:Fault>"
EVIL_DTD = b'<!DOCTYPE soap:Envelope SYSTEM "http://evil/x.dtd">'
ONTBREEKT = "OSO_DOSSIER_ONTBREEKT"


def _truncated(pad: bytes) -> bytes:
    return envelope(document_response(_dossier()), header=pad)[:-300]


def _deep(levels: int) -> bytes:
    return b"<x>" * levels + b"</x>" * levels


CASES: dict[str, tuple[Callable[[bytes], bytes], int, str]] = {
    # name: (body from the padding, HTTP status, the expected code or "dossier"; "A|B": A small, B big)
    "dossier": (lambda pad: envelope(document_response(_dossier()), header=pad), 200, "dossier"),
    "fault": (lambda pad: _fault("DossierNietGereed", pad), 500, "DossierNietGereed"),
    "fault_without_detail": (
        lambda pad: envelope(PLAIN_FAULT, header=pad),
        500,
        "SOAP_FAULT",
    ),
    "fault_after_the_dossier": (
        lambda pad: envelope(document_response(_dossier()) + LATE_FAULT, header=pad),
        500,
        "SOAP_FAULT",
    ),
    "no_dossier": (lambda pad: envelope(document_response(wrapper=False), header=pad), 200, ONTBREEKT),
    "empty_dossier": (lambda pad: envelope(document_response(), header=pad), 200, ONTBREEKT),
    "two_dossiers": (lambda pad: envelope(document_response(_dossier(), _dossier()), header=pad), 200, ONTBREEKT),
    "dossier_in_a_second_response": (
        lambda pad: envelope(document_response(wrapper=False) + document_response(_dossier()), header=pad),
        200,
        "OSO_DOSSIER_ONTBREEKT",
    ),
    "no_document_response": (lambda pad: envelope(b"<oso:x/>", header=pad), 200, "OSO_ANTWOORD_ONGELDIG"),
    "doctype": (
        lambda pad: envelope(document_response(_dossier()), header=pad, prolog=EVIL_DTD),
        200,
        "SOAP_DTD_NIET_TOEGESTAAN",
    ),
    "entity": (
        lambda pad: envelope(document_response(b"&e;"), header=pad, prolog=b'<!DOCTYPE e [<!ENTITY e "<dossier/>">]>'),
        200,
        "SOAP_DTD_NIET_TOEGESTAAN",
    ),
    "entity_declaration_inside_the_body": (
        lambda pad: envelope(document_response(b'<!ENTITY e "x">' + _dossier()), header=pad),
        200,
        "SOAP_DTD_NIET_TOEGESTAAN",  # a syntax error with "<!ENTITY" anywhere is blamed on it
    ),
    "doctype_inside_the_body": (
        lambda pad: envelope(document_response(b"<!DOCTYPE x>" + _dossier()), header=pad),
        200,
        "SOAP_DTD_NIET_TOEGESTAAN|SOAP_ONGELDIG",  # a syntax error is blamed on a DOCTYPE in the first 4 KiB
    ),
    "truncated": (lambda pad: _truncated(pad), 200, "SOAP_ONGELDIG"),
    "truncated_server_error": (lambda pad: _truncated(pad), 500, "tijdelijk"),
    "not_xml": (lambda pad: b"<html><body>" + pad + b"Onderhoud</body>", 200, "SOAP_ONGELDIG"),
    "only_whitespace": (lambda pad: b" \n" * (1 + len(pad) // 2), 200, "SOAP_ONGELDIG"),
    "nested_too_deep": (lambda pad: envelope(document_response(_deep(300)), header=pad), 200, "SOAP_ONGELDIG"),
}  # fmt: skip


def _code(outcome: tuple[Any, ...]) -> str:
    return outcome[0] if outcome[0] != "weigering" else outcome[2][0][0]


@pytest.mark.parametrize("size", ["small", "big"])
@pytest.mark.parametrize("case", list(CASES))
async def test_a_streamed_answer_has_the_outcome_of_the_dom_path(
    las: Las, case: str, size: str, spools: list[SealedSpool]
) -> None:
    body, status, expected = CASES[case]
    las.serve(body(_pad(size)), status)
    dom = await _outcome(las, stream_from=DOM)
    assert spools == []  # the DOM path keeps the dossier as bytes
    streamed = await _outcome(las, stream_from=0 if size == "small" else DEFAULT_STREAM_FROM)
    assert _code(dom) == expected.split("|")[-1 if size == "big" else 0], dom
    assert streamed == dom
    if expected == "dossier":
        assert len(spools) == 1  # the streamed dossier went through a spool
    assert all(spool.closed for spool in spools), "a refused answer leaves no spool behind"


@pytest.mark.parametrize("size", ["small", "over_10mb"])
async def test_nesting_deeper_than_libxml2s_normal_limit_is_judged_by_the_body_size_as_before(
    las: Las, size: str
) -> None:
    """Up to 10 MB the DOM path parses without huge_tree (depth ≤ 256), above it with: the stream follows."""
    las.serve(envelope(document_response(b"<wrap>" + _deep(300) + b"</wrap>"), header=_pad(size)))
    dom = await _outcome(las, stream_from=DOM)
    assert _code(dom) == ("SOAP_ONGELDIG" if size == "small" else "dossier")
    assert await _outcome(las, stream_from=0) == dom


@pytest.mark.parametrize("chunked", [False, True], ids=["content_length", "chunked"])
@pytest.mark.parametrize("size", ["small", "big"])
async def test_a_body_over_the_limit_is_refused_on_both_paths(
    las: Las, size: str, chunked: bool, spools: list[SealedSpool]
) -> None:
    body = envelope(document_response(_dossier()), header=_pad(size))
    las.serve(body)
    las.chunked = chunked
    for stream_from in (DOM, 0):
        outcome = await _outcome(las, stream_from=stream_from, max_bytes=len(body) - 1)
        assert outcome[:2] == ("weigering", "las") and _code(outcome) == "OSO_ANTWOORD_TE_GROOT", outcome
    assert all(spool.closed for spool in spools)  # a spool begun before the limit was reached is closed


# -- a real big dossier -----------------------------------------------------------------------------------


@pytest.fixture
def parsed_whole(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the bodies the client parsed whole (the DOM path's `parse_xml`), from now on."""
    sizes: list[int] = []
    real_parse = client_module.parse_xml

    def spy(data: bytes, **kwargs: Any) -> etree._Element:
        sizes.append(len(data))
        return real_parse(data, **kwargs)

    monkeypatch.setattr(client_module, "parse_xml", spy)
    return sizes


@pytest.fixture(scope="module")
def big_dossier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """≈ 28 MB: three documents of 7 MB (Base64 of their ZIPs) and a broken one, so there are findings."""
    path = tmp_path_factory.mktemp("groot") / "dossier.xml"
    attachments = [
        AttachmentSpec(role="opp", bestandsnaam="OPP.pdf", size=7 * MB, omschrijving="Ontwikkelingsperspectief"),
        AttachmentSpec(
            role="toelichting_onderwijsbehoeften", bestandsnaam="Toelichting.docx", kind="docx", size=7 * MB
        ),
        AttachmentSpec(role="overig", bestandsnaam="Verslag.pdf", size=7 * MB),
        AttachmentSpec(role="overig", bestandsnaam="Kapot.pdf", broken="truncated"),
    ]
    write_dossier(path, attachments=attachments)
    return path


def _served(dossier: Path) -> Callable[[], Iterator[bytes]]:
    head, tail = envelope(document_response(b"\x00")).split(b"\x00")

    def pieces() -> Iterator[bytes]:
        yield head
        with dossier.open("rb") as f:
            first = f.read(MB)
            yield first.split(b"?>", 1)[1]  # the dossier's XML declaration does not belong inside the envelope
            while chunk := f.read(MB):
                yield chunk
        yield tail

    return pieces


def _comparable(report: DossierReport) -> tuple[Any, ...]:
    bijlagen = [dataclasses.replace(a, blob_key=None) for a in report.attachments]
    return (report.valid, report.findings, report.pupil, report.brin6, report.overstap, bijlagen)


@pytest.mark.parametrize("chunked", [False, True], ids=["content_length", "chunked"])
async def test_a_big_dossier_fetched_streaming_reads_as_the_dossier_itself(
    las: Las, big_dossier: Path, tmp_path: Path, parsed_whole: list[int], chunked: bool, spools: list[SealedSpool]
) -> None:
    las.pieces, las.chunked = _served(big_dossier), chunked
    client = _client(DEFAULT_STREAM_FROM, spool_dir=tmp_path / "spool")
    try:
        got = await client.document(las.url, "sessie-1", "koppelsleutel-1")
    finally:
        await client.soap.close()
    assert parsed_whole == [], "the envelope was never parsed whole"
    assert got.aanvraag is not None and got.aanvraag.omschrijving == "Graag overleg & advies."
    assert isinstance(got.dossier_xml, SealedSpool) and got.dossier_size > 3 * 7 * MB
    where = os.readlink(f"/proc/self/fd/{got.dossier_xml._file.fileno()}")  # type: ignore[union-attr]  # an open spool has its file
    assert where.startswith(f"{tmp_path / 'spool'}/") and where.endswith(" (deleted)")  # in spool_dir, unnamed
    assert list((tmp_path / "spool").iterdir()) == []
    with got.open_dossier() as source:
        assert not isinstance(source, bytes)  # a file-like: read_dossier's streaming path
        fetched = read_dossier(source, blobs=LocalBlobStore(tmp_path / "a"))
    got.close()
    assert spools == [got.dossier_xml] and got.dossier_xml.closed
    direct = read_dossier(big_dossier, blobs=LocalBlobStore(tmp_path / "b"))
    assert _comparable(fetched) == _comparable(direct)
    assert [a.bestandsnaam for a in fetched.attachments if a.sha256] == ["Toelichting.docx", "OPP.pdf", "Verslag.pdf"]
    assert [f.code for f in fetched.findings] == ["BIJLAGE_ZIP_ONGELDIG"]


async def test_a_usual_small_answer_keeps_the_dom_path(las: Las, parsed_whole: list[int]) -> None:
    body = envelope(document_response(_dossier()))
    las.serve(body)
    assert _code(await _outcome(las, stream_from=DEFAULT_STREAM_FROM)) == "dossier"
    assert parsed_whole == [len(body)]


# -- the stream on its own, fed in small pieces ----------------------------------------------------------------


def _stream(body: bytes, piece: int) -> Streamed:
    stream = SoapStream(f"{{{NS}}}documentResponse")
    for at in range(0, len(body), piece):
        stream.feed(body[at : at + piece])
    return stream.close()


def _spooled(streamed: Streamed) -> bytes | None:
    """The dossier the stream wrote aside, read back; its spool is closed."""
    if streamed.dossier is None:
        return None
    with streamed.dossier as spool, spool.open() as f:
        return f.read()


@pytest.mark.parametrize("piece", [1, 3, 7, 4096])
def test_a_dtd_marker_split_over_two_pieces_is_still_seen(piece: int) -> None:
    body = envelope(document_response(b"<oso:x/><!ENTITY e 'x'>" + _dossier()), header=_pad("small"))
    with pytest.raises(SoapRejected) as dom:
        parse_xml(body)
    with pytest.raises(SoapRejected) as streamed:
        _stream(body, piece)
    assert streamed.value.finding == dom.value.finding
    assert dom.value.finding.code == "SOAP_DTD_NIET_TOEGESTAAN"


def test_only_the_first_dossier_of_the_first_response_is_written_aside() -> None:
    first = build_dossier(voornaam="Eerste").split(b"?>", 1)[1].strip()
    two = _spooled(_stream(envelope(document_response(first + b" \n ", _dossier().strip())), 1000))
    assert two is not None and b"Eerste" in two
    assert two.endswith(b"</dossier> \n ")  # with its tail, as etree.tostring on the DOM path
    second = _stream(envelope(document_response(wrapper=False) + document_response(_dossier())), 1000)
    assert second.dossier is None  # the caller looks at the first response only, as the DOM path does


def test_a_dossier_stands_in_the_skeleton_as_an_empty_element() -> None:
    streamed = _stream(envelope(document_response(_dossier(), _dossier())), 65536)
    wrapper = streamed.root.find(f"{{{SOAP_ENV}}}Body/{{{NS}}}documentResponse/{{{NS}}}dossier")
    assert wrapper is not None and [len(child) for child in wrapper] == [0, 0]
    assert streamed.root.findtext(f".//{{{NS}}}aanvraagtype") == "Ondersteuningsaanvraag schoolgaand kind"


TRICKY = (
    b'<d:dossier xmlns:d="urn:dossier" xmlns:a="urn:attr" xml:lang="nl" '
    b'a:soort="x &amp; &quot;y&quot; &lt;z&gt;&#9;&#10;&#13;" a:letterlijk="&amp;#38;">'
    b"<d:tekst>a &amp; b &lt; c &gt; d&#13;\n<![CDATA[<geen tag> & ]]></d:tekst>"
    b'<d:kind xmlns:d="urn:ander" d:attr="1"><d:x/></d:kind>'
    b'<gewoon xmlns="urn:standaard"><leeg xmlns=""/><e a:b="2">\xc3\xab\xe2\x82\xac</e></gewoon>'
    b'<d:naam xmlns:oso="urn:overschaduwd"><oso:y/></d:naam>'
    b'<d:paar xmlns:p="urn:een" xmlns:q="urn:een"><p:x xmlns:p="urn:twee"><q:y/></p:x></d:paar>'
    b"</d:dossier>"
)  # fmt: skip


@pytest.mark.parametrize("piece", [1, 5, 64, 1 << 20])
def test_the_dossier_written_aside_is_the_dom_paths_dossier(piece: int) -> None:
    """Prefixes, shadowed and undeclared namespaces, xml:lang, escapes in text and attributes, CDATA, UTF-8."""
    body = envelope(document_response(TRICKY + b" \r\n"))
    wrapper = parse_xml(body).find(f"{{{SOAP_ENV}}}Body/{{{NS}}}documentResponse/{{{NS}}}dossier")
    assert wrapper is not None
    dom = etree.tostring(wrapper[0], encoding="utf-8")
    streamed = _spooled(_stream(body, piece))
    assert streamed is not None
    assert etree.canonicalize(streamed.decode()) == etree.canonicalize(dom.decode())
    assert streamed.endswith(b"</d:dossier> \n") and dom.endswith(b"</d:dossier> \n")
    root = etree.fromstring(streamed)
    assert root.get("{urn:attr}soort") == 'x & "y" <z>\t\n\r' and root.get("{urn:attr}letterlijk") == "&#38;"


@pytest.mark.parametrize("bulk", ["text", "attribute", "elements"])
def test_an_answer_with_its_bulk_outside_the_dossier_is_refused_not_held(
    bulk: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The skeleton keeps what lies outside the dossier; a hostile answer could put its megabytes there."""
    monkeypatch.setattr(soap_stream, "MAX_OUTSIDE_CHARACTERS", 4096)
    monkeypatch.setattr(soap_stream, "MAX_OUTSIDE_ELEMENTS", 200)
    fits = {"text": b"<t:x>" + b"A" * 3000 + b"</t:x>", "attribute": b'<t:x a="' + b"A" * 3000 + b'"/>'}
    over = {"text": b"<t:x>" + b"A" * 5000 + b"</t:x>", "attribute": b'<t:x a="' + b"A" * 5000 + b'"/>'}
    fits["elements"], over["elements"] = b"<t:x/>" * 150, b"<t:x/>" * 250

    def body(header: bytes) -> bytes:
        return envelope(document_response(_dossier()), header=b'<t:h xmlns:t="urn:test">' + header + b"</t:h>")

    assert _spooled(_stream(body(fits[bulk]), 65536)) is not None  # within the bound: read as before
    with pytest.raises(SoapRejected) as refused:
        _stream(body(over[bulk]), 65536)
    assert refused.value.finding.code == "SOAP_ONGELDIG"
    assert "buiten het dossier" in refused.value.finding.message
