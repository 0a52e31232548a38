"""Hostile ESIS requests: the documents (empty, disguised, bombs, oversized)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator, Callable

from adapters.esis.simulator import pdf_document
from adapters.parnassys.dossier_documents import document_bytes
from tests.hostile.corpus_types import Case
from tests.hostile.esis_build import (
    AANVRAGEN,
    BOUNDARY,
    MB,
    _body,
    _c,
    _create,
    _doc_part,
    _headers,
    _json_part,
    _with_doc,
)
from tests.hostile.wire import HttpInput, chunked

__all__ = ["ESIS_DOCUMENT_CASES"]


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


ESIS_DOCUMENT_CASES: list[Case] = [
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
]
