"""Hostile and broken requests for the ESIS API (``/esis/v1``)."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from collections.abc import AsyncIterator, Callable
from typing import Any

from adapters.esis.simulator import aanvraag, pdf_document
from adapters.parnassys.dossier_documents import document_bytes
from tests.hostile.corpus_types import Case
from tests.hostile.targets import ESIS_BRIN6, ESIS_CODE, HostilePki
from tests.hostile.wire import HttpInput, chunked

__all__ = ["ESIS_CASES", "multipart"]

AANVRAGEN = "/esis/v1/aanvragen"
BOUNDARY = "hostile-grens-7d1f"
MB = 1024 * 1024
OPP_META = {"bestandsnaam": "OPP-2025.pdf", "soort": "opp"}

Part = tuple[dict[str, str], bytes]


def _json_part(data: dict[str, Any] | bytes, name: str = "aanvraag") -> Part:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return ({"Content-Disposition": f'form-data; name="{name}"', "Content-Type": "application/json"}, raw)


def _doc_part(filename: str, content: bytes, **headers: str) -> Part:
    return (
        {
            "Content-Disposition": f'form-data; name="document"; filename="{filename}"',
            "Content-Type": "application/octet-stream",
            **headers,
        },
        content,
    )


def multipart(parts: list[Part], *, boundary: str = BOUNDARY, close: bool = True) -> bytes:
    out = bytearray()
    for headers, body in parts:
        out += f"--{boundary}\r\n".encode()
        for k, v in headers.items():
            out += f"{k}: {v}\r\n".encode("utf-8", "surrogateescape")
        out += b"\r\n" + body + b"\r\n"
    if close:
        out += f"--{boundary}--\r\n".encode()
    return bytes(out)


def _headers(code: str | None = ESIS_CODE, ctype: str = f"multipart/form-data; boundary={BOUNDARY}") -> dict[str, str]:
    out = {"Content-Type": ctype, "Accept": "application/json"}
    if code is not None:
        out["X-Verificatiecode"] = code
    return out


def _body(**overrides: Any) -> dict[str, Any]:
    documenten = overrides.pop("documenten", [OPP_META])
    data = aanvraag(ESIS_BRIN6, **overrides)
    data["documenten"] = documenten
    return data


def _create(
    parts: list[Part] | None = None, *, code: str | None = ESIS_CODE, close: bool = True, **json_overrides: Any
) -> HttpInput:
    if parts is None:
        parts = [_json_part(_body(**json_overrides)), _doc_part("OPP-2025.pdf", pdf_document())]
    return HttpInput(AANVRAGEN, multipart(parts, close=close), _headers(code))


def _c(**kw: Any) -> Callable[[HostilePki], HttpInput]:
    return lambda _pki: _create(**kw)


def _with_json(data: dict[str, Any] | bytes, *docs: Part) -> Callable[[HostilePki], HttpInput]:
    return lambda _pki: _create([_json_part(data), *(docs or [_doc_part("OPP-2025.pdf", pdf_document())])])


def _with_doc(filename: str, content: bytes, meta_name: str | None = None, **headers: str) -> Callable[..., HttpInput]:
    meta = {"bestandsnaam": meta_name or filename, "soort": "opp"}
    return lambda _pki: _create([_json_part(_body(documenten=[meta])), _doc_part(filename, content, **headers)])


def _raw(body: bytes, ctype: str, path: str = AANVRAGEN, **headers: str) -> Callable[[HostilePki], HttpInput]:
    return lambda _pki: HttpInput(path, body, {**_headers(ctype=ctype), **headers})


def _zip_bomb(names: tuple[str, ...] = ("OPP.pdf",), size: int = 64 * MB) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in names[:-1]:
            zf.writestr(name, "<x/>")
        with zf.open(names[-1], "w", force_zip64=True) as f:
            block = b"\0" * MB
            for _ in range(size // MB):
                f.write(block)
    return buf.getvalue()


def _docx_bomb() -> bytes:
    """A real DOCX (content types + word/document.xml) whose document part inflates to 64 MB."""
    return _zip_bomb(("[Content_Types].xml", "word/document.xml"))


def _oversized_document() -> Callable[[], AsyncIterator[bytes]]:
    async def body() -> AsyncIterator[bytes]:
        yield b"--" + BOUNDARY.encode() + b"\r\n"
        yield b'Content-Disposition: form-data; name="aanvraag"\r\nContent-Type: application/json\r\n\r\n'
        yield json.dumps(_body()).encode() + b"\r\n"
        yield b"--" + BOUNDARY.encode() + b"\r\n"
        yield b'Content-Disposition: form-data; name="document"; filename="OPP-2025.pdf"\r\n\r\n'
        yield b"%PDF-1.4\n"
        for _ in range(12):
            yield b"0" * MB

    return body


def _deep_json(levels: int) -> bytes:
    return b'{"a":' + b"[" * levels + b"]" * levels + b"}"


def _nested(levels: int) -> dict[str, Any]:
    inner: dict[str, Any] = {}
    for _ in range(levels):
        inner = {"x": inner}
    return inner


_FIXED_ID = "ESIS-hostile-0001"


def _create_first(_pki: HostilePki) -> list[HttpInput]:
    return [_create(aanvraag_id=_FIXED_ID)]


def _registration(data: dict[str, Any] | bytes) -> Callable[[HostilePki], HttpInput]:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return lambda _pki: HttpInput("/esis/v1/verificatiecodes", raw, {"Content-Type": "application/json"})


def _update(path_id: str, **headers: str) -> Callable[[HostilePki], HttpInput]:
    body = multipart([_json_part({"omschrijving": "Aangevuld."}, name="wijziging")])
    return lambda _pki: HttpInput(f"{AANVRAGEN}/{path_id}/wijzigingen", body, {**_headers(), **headers})


def _update_with(path_id: str, wijziging: dict[str, Any]) -> Callable[[HostilePki], HttpInput]:
    body = multipart([_json_part(wijziging, name="wijziging")])
    return lambda _pki: HttpInput(f"{AANVRAGEN}/{path_id}/wijzigingen", body, _headers())


_ENC = {"Content-Encoding": "gzip"}

ESIS_CASES: list[Case] = [
    # -- authentication ---------------------------------------------------------------------------
    Case("code-ontbreekt", "esis", "impersonation", "ESIS_VERIFICATIECODE_ONTBREEKT", 401, _c(code=None)),
    Case(
        "code-onbekend",
        "esis",
        "impersonation",
        "ESIS_VERIFICATIECODE_ONBEKEND",
        401,
        _c(code="27ZX00-deze-code-bestaat-niet"),
    ),
    Case(
        "code-sql-injectie", "esis", "injection", "ESIS_VERIFICATIECODE_ONBEKEND", 401, _c(code="27ZX00' OR '1'='1' --")
    ),
    Case(
        "code-ongeldige-utf8",
        "esis",
        "invalid_utf8",
        "ESIS_VERIFICATIECODE_ONBEKEND",
        401,
        _c(code="27ZX00-\udcff\udcfe-koppeling-2025"),
    ),
    Case(
        "code-van-andere-vestiging",
        "esis",
        "impersonation",
        "ESIS_VESTIGING_HOORT_NIET_BIJ_CODE",
        403,
        lambda _p: _create([_json_part(aanvraag("09QA00", documenten=[])), _doc_part("x.pdf", pdf_document())]),
    ),
    Case(
        "header-van-20-kb",
        "esis",
        "huge_attribute",
        "HTTP_VERZOEK_ONGELDIG",
        400,
        _c(code="27ZX00-" + "x" * 20_000),
    ),
    # -- JSON -------------------------------------------------------------------------------------------
    Case("json-onleesbaar", "esis", "broken", "ESIS_JSON_ONGELDIG", 400, _with_json(b'{"esis_aanvraag_id": ')),
    Case(
        "json-ongeldige-utf8",
        "esis",
        "invalid_utf8",
        "ESIS_JSON_ONGELDIG",
        400,
        _with_json(b'{"omschrijving": "\xc3\x28\xff"}'),
    ),
    Case("json-diepe-nesting", "esis", "deep_nesting", "ESIS_JSON_ONGELDIG", 400, _with_json(_deep_json(100_000))),
    Case(
        "json-diepe-nesting-in-veld",
        "esis",
        "deep_nesting",
        "ESIS_VELD_ONGELDIG",
        422,
        lambda _p: _create([_json_part(_body(omschrijving=_nested(500)))]),
    ),
    Case("json-geen-object", "esis", "broken", "ESIS_JSON_ONGELDIG", 400, _with_json(b"[1, 2, 3]")),
    Case(
        "json-nan",
        "esis",
        "broken",
        "ESIS_VELD_ONGELDIG",
        422,
        _with_json(json.dumps(_body(opp=float("nan"))).encode()),
    ),
    Case(
        "json-enorm-veld",
        "esis",
        "huge_attribute",
        "ESIS_VELD_TE_LANG",
        422,
        lambda _p: _create([_json_part(_body(omschrijving="A" * 200_000))]),
    ),
    Case(
        "json-tienduizend-onbekende-velden",
        "esis",
        "huge_attribute",
        "ESIS_VELD_ONBEKEND",
        422,
        lambda _p: _create([_json_part({**_body(), **{f"veld{i}": i for i in range(10_000)}})]),
    ),
    Case(
        "json-stuurtekens", "esis", "injection", "ESIS_VELD_ONGELDIG", 422, _c(omschrijving="regel\x1b[2J\x00verborgen")
    ),
    Case(
        "json-bsn",
        "esis",
        "broken",
        "ESIS_BSN_NIET_TOEGESTAAN",
        422,
        lambda _p: _create([_json_part({**_body(), "bsn": "123456782"})]),
    ),
    Case(
        "json-bsn-in-omschrijving",
        "esis",
        "personal_data",
        "ESIS_BSN_NIET_TOEGESTAAN",
        422,
        _c(omschrijving="Leerling met BSN 1234.56.782 heeft een arrangement nodig."),
    ),
    Case(
        "json-onderwijsnummer-in-documentomschrijving",
        "esis",
        "personal_data",
        "ESIS_BSN_NIET_TOEGESTAAN",
        422,
        _c(documenten=[{**OPP_META, "omschrijving": "OPP onderwijsnummer 101 234 567"}]),
    ),
    Case(
        "bsn-in-bestandsnaam",
        "esis",
        "personal_data",
        "ESIS_BSN_NIET_TOEGESTAAN",
        422,
        _with_doc("OPP-123456782.pdf", pdf_document(), meta_name="OPP-2025.pdf"),
    ),
    Case(
        "json-aanvraag-id-padtraversal",
        "esis",
        "path_traversal",
        "ESIS_VELD_ONGELDIG",
        422,
        _c(aanvraag_id="../../../etc/passwd"),
    ),
    Case(
        "json-homoglief-aanvraagtype",
        "esis",
        "polyglot",
        "ESIS_AANVRAAGTYPE_ONBEKEND",
        422,
        _c(korte_omschrijving="\u0410anvraag TLV"),
    ),
    Case("json-30-februari", "esis", "broken", "ESIS_VELD_ONGELDIG", 422, _c(geboortedatum="2015-02-30")),
    Case(
        "json-part-te-groot",
        "esis",
        "oversized_body",
        "ESIS_AANVRAAG_TE_GROOT",
        413,
        lambda _p: _create([_json_part(b'{"omschrijving": "' + b"A" * 300_000 + b'"}')]),
    ),
    Case(
        "json-body-te-groot",
        "esis",
        "oversized_body",
        "ESIS_AANVRAAG_TE_GROOT",
        413,
        _raw(b'{"a": "' + b"A" * 300_000 + b'"}', "application/json"),
    ),
    Case(
        "json-gzip-bom",
        "esis",
        "zip_bomb",
        "ESIS_AANVRAAG_TE_GROOT",
        413,
        _raw(gzip.compress(b'{"a": "' + b"A" * (64 * MB) + b'"}'), "application/json", **_ENC),
    ),
    # -- HTTP framing and multipart ------------------------------------------------------------------
    Case(
        "content-length-10-gb",
        "esis",
        "oversized_body",
        "ESIS_AANVRAAG_TE_GROOT",
        413,
        lambda _p: HttpInput(AANVRAGEN, b"--x", {**_headers(), "Content-Length": str(10 * 1024**3)}),
    ),
    Case("content-type-tekst", "esis", "broken", "ESIS_CONTENT_TYPE_ONGELDIG", 415, _raw(b"hallo", "text/plain")),
    Case(
        "multipart-zonder-boundary",
        "esis",
        "broken",
        "ESIS_MULTIPART_ONGELDIG",
        400,
        _raw(b"--x\r\n\r\n", "multipart/form-data"),
    ),
    Case(
        "multipart-afgekapt",
        "esis",
        "truncated",
        "ESIS_MULTIPART_ONGELDIG",
        400,
        lambda _p: HttpInput(
            AANVRAGEN,
            multipart([_json_part(_body()), _doc_part("OPP-2025.pdf", pdf_document())], close=False)[:-10],
            _headers(),
        ),
    ),
    Case(
        "multipart-document-eerst",
        "esis",
        "broken",
        "ESIS_MULTIPART_VOLGORDE",
        400,
        lambda _p: _create([_doc_part("OPP-2025.pdf", pdf_document()), _json_part(_body())]),
    ),
    Case(
        "multipart-genest",
        "esis",
        "deep_nesting",
        "ESIS_MULTIPART_ONGELDIG",
        400,
        lambda _p: _create(
            [
                _json_part(_body()),
                (
                    {
                        "Content-Disposition": 'form-data; name="document"',
                        "Content-Type": "multipart/mixed; boundary=binnen",
                    },
                    b"--binnen\r\nContent-Type: text/plain\r\n\r\nx\r\n--binnen--",
                ),
            ]
        ),
    ),
    Case(
        "multipart-onbekend-onderdeel",
        "esis",
        "broken",
        "ESIS_MULTIPART_ONGELDIG",
        400,
        lambda _p: _create([_json_part(_body()), ({"Content-Disposition": 'form-data; name="shell"'}, b"x")]),
    ),
    Case(
        "document-base64-afgekapt",
        "esis",
        "truncated_base64",
        "ESIS_MULTIPART_ONGELDIG",
        400,
        _with_doc("OPP-2025.pdf", b"JVBERi0xLjQKJ", **{"Content-Transfer-Encoding": "base64"}),
    ),
    Case(
        "document-gzip-gecodeerd",
        "esis",
        "zip_bomb",
        "ESIS_MULTIPART_ONGELDIG",
        400,
        _with_doc("OPP-2025.pdf", gzip.compress(b"%PDF-1.4" + b"\0" * MB), **{"Content-Encoding": "gzip"}),
    ),
    # -- documents ----------------------------------------------------------------------------------------
    Case(
        "document-te-groot",
        "esis",
        "oversized_body",
        "ESIS_DOCUMENT_TE_GROOT",
        413,
        lambda _p: HttpInput(
            AANVRAGEN,
            chunked(_oversized_document()),
            {**_headers(), "Transfer-Encoding": "chunked"},
            content_length=False,
        ),
    ),
    Case("document-leeg", "esis", "broken", "ESIS_DOCUMENT_LEEG", 422, _with_doc("OPP-2025.pdf", b"")),
    Case(
        "te-veel-documenten",
        "esis",
        "oversized_body",
        "ESIS_TE_VEEL_DOCUMENTEN",
        422,
        _c(documenten=[{"bestandsnaam": f"Verslag-{i}.pdf"} for i in range(21)]),
    ),
    Case(
        "dubbele-documentnaam",
        "esis",
        "broken",
        "ESIS_DOCUMENT_DUBBEL",
        422,
        lambda _p: _create(
            [_json_part(_body()), _doc_part("OPP-2025.pdf", pdf_document()), _doc_part("OPP-2025.pdf", pdf_document())]
        ),
    ),
    Case(
        "zip-bom-als-document",
        "esis",
        "zip_bomb",
        "BIJLAGE_ZIP_BOM",
        422,
        _with_doc("OPP-2025.docx", _zip_bomb()),
    ),
    Case("docx-zip-bom", "esis", "zip_bomb", "BIJLAGE_ZIP_BOM", 422, _with_doc("OPP-2025.docx", _docx_bomb())),
    # the one attachment inspector (gateway.inspection): the bytes an entry really inflates to, not its headers
    Case(
        "docx-zip-bom-liegende-headers",
        "esis",
        "zip_bomb",
        "BIJLAGE_ZIP_BOM",
        422,
        _with_doc("OPP-2025.docx", document_bytes("docx_bom")),
    ),
    Case(
        "docx-versleuteld",
        "esis",
        "broken",
        "BIJLAGE_ZIP_VERSLEUTELD",
        422,
        _with_doc("OPP-2025.docx", document_bytes("docx_versleuteld")),
    ),
    Case(
        "docx-padtraversal",
        "esis",
        "path_traversal",
        "BIJLAGE_PAD_ONVEILIG",
        422,
        _with_doc("OPP-2025.docx", document_bytes("docx_pad")),
    ),
    Case(
        "docx-diep-genest",
        "esis",
        "deep_nesting",
        "BIJLAGE_ZIP_TE_DIEP_GENEST",
        422,
        _with_doc("OPP-2025.docx", document_bytes("docx_genest")),
    ),
    Case(
        "zip-met-exe-als-docx",
        "esis",
        "polyglot",
        "ESIS_DOCUMENT_TYPE_NIET_TOEGESTAAN",
        415,
        _with_doc("OPP-2025.docx", document_bytes("zip_exe")),
    ),
    Case(
        "png-met-pdf-naam",
        "esis",
        "polyglot",
        "ESIS_DOCUMENT_TYPE_NIET_TOEGESTAAN",
        415,
        _with_doc("OPP-2025.pdf", b"\x89PNG\r\n\x1a\n" + b"\0" * 200),
    ),
    Case(
        "html-met-pdf-naam",
        "esis",
        "polyglot",
        "ESIS_DOCUMENT_TYPE_NIET_TOEGESTAAN",
        415,
        _with_doc("OPP-2025.pdf", b"<html><script>alert(1)</script>%PDF-1.4</html>"),
    ),
    Case(
        "exe-met-docx-naam",
        "esis",
        "polyglot",
        "ESIS_DOCUMENT_TYPE_NIET_TOEGESTAAN",
        415,
        _with_doc("OPP-2025.docx", b"MZ\x90\x00" + b"\0" * 500),
    ),
    Case(
        "zip-pdf-polyglot-met-docx-naam",
        "esis",
        "polyglot",
        "ESIS_DOCUMENT_TYPE_NIET_TOEGESTAAN",
        415,
        _with_doc("OPP-2025.docx", b"PK\x03\x04" + pdf_document()[4:]),
    ),
    Case(
        "bestandsnaam-padtraversal",
        "esis",
        "path_traversal",
        "ESIS_VELD_ONGELDIG",
        422,
        _with_doc("../../../etc/cron.d/OPP.pdf", pdf_document()),
    ),
    Case(
        "bestandsnaam-windows-pad-en-nul",
        "esis",
        "path_traversal",
        "ESIS_VELD_ONGELDIG",
        422,
        _with_doc("C:\\\\Windows\\\\..\\\\OPP\x00.pdf", pdf_document()),
    ),
    Case(
        "bestandsnaam-alleen-punten",
        "esis",
        "path_traversal",
        "ESIS_DOCUMENT_NAAM_ONTBREEKT",
        422,
        _with_doc("../..", pdf_document(), meta_name="OPP.pdf"),
    ),
    # -- replay and updates --------------------------------------------------------------------------------
    Case(
        "herhaalde-aanvraag-andere-inhoud",
        "esis",
        "replay",
        "ESIS_AANVRAAG_AL_ONTVANGEN",
        409,
        _c(aanvraag_id=_FIXED_ID, omschrijving="Andere inhoud onder hetzelfde nummer."),
        before=_create_first,
    ),
    Case(
        "idempotency-key-padtraversal",
        "esis",
        "path_traversal",
        "ESIS_IDEMPOTENCY_KEY_ONGELDIG",
        400,
        _update(_FIXED_ID, **{"Idempotency-Key": "../../etc/passwd"}),
        before=_create_first,
    ),
    Case(
        "wijziging-pad-traversal", "esis", "path_traversal", "ESIS_AANVRAAG_ONBEKEND", 404, _update("..%2F..%2Fadmin")
    ),
    # -- code registration ----------------------------------------------------------------------------------
    Case("registratie-geen-json", "esis", "broken", "ESIS_JSON_ONGELDIG", 400, _registration(b"<xml/>")),
    Case(
        "registratie-code-te-kort",
        "esis",
        "broken",
        "VERIFICATIECODE_TE_KORT",
        422,
        _registration({"brin6": ESIS_BRIN6, "omgeving": "esis-2", "verificatiecode": "27ZX00-kort"}),
    ),
    Case(
        "registratie-code-leeg",
        "esis",
        "broken",
        "ESIS_VELD_ONTBREEKT",
        422,
        _registration({"brin6": ESIS_BRIN6, "omgeving": "esis-2", "verificatiecode": ""}),
    ),
    Case(
        "registratie-code-van-51-tekens",
        "esis",
        "huge_attribute",
        "VERIFICATIECODE_TE_LANG",
        422,
        _registration({"brin6": ESIS_BRIN6, "omgeving": "esis-2", "verificatiecode": "27ZX00-" + "x" * 44}),
    ),
    Case(
        "wijziging-leeg",
        "esis",
        "broken",
        "ESIS_WIJZIGING_LEEG",
        422,
        _update_with(_FIXED_ID, {}),
        before=_create_first,
    ),
    Case(
        "wijziging-alleen-spaties",
        "esis",
        "broken",
        "ESIS_WIJZIGING_LEEG",
        422,
        _update_with(_FIXED_ID, {"omschrijving": "   ", "documenten": [], "verwijder_documenten": []}),
        before=_create_first,
    ),
    Case(
        "code-met-geldige-vorm-maar-onbekend",
        "esis",
        "impersonation",
        "ESIS_VERIFICATIECODE_ONBEKEND",
        401,
        _c(code=ESIS_BRIN6 + "-geraden-maar-fout-0001"),
    ),
    Case(
        "registratie-code-niet-ascii",
        "esis",
        "invalid_utf8",
        "VERIFICATIECODE_TEKEN_ONGELDIG",
        422,
        _registration({"brin6": ESIS_BRIN6, "omgeving": "esis-2", "verificatiecode": "27ZX00-\u202egnilppok-2025-x"}),
    ),
]
