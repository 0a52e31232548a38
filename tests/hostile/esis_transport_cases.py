"""Hostile ESIS requests: HTTP framing and multipart (media types, encodings, broken parts)."""

from __future__ import annotations

import gzip

from adapters.esis.simulator import pdf_document
from tests.hostile.corpus_types import Case
from tests.hostile.esis_build import (
    AANVRAGEN,
    MB,
    _body,
    _create,
    _doc_part,
    _headers,
    _json_part,
    _raw,
    _with_doc,
    multipart,
)
from tests.hostile.wire import HttpInput

__all__ = ["ESIS_TRANSPORT_CASES"]

ESIS_TRANSPORT_CASES: list[Case] = [
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
]
