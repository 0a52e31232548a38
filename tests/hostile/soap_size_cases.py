"""Hostile OSO notificaties: size (too large, too slow, compressed bombs)."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Callable

from tests.hostile.corpus_types import Case
from tests.hostile.soap_build import XML, _post, envelope
from tests.hostile.targets import SOAP_PATH
from tests.hostile.wire import HttpInput, chunked

__all__ = ["SOAP_SIZE_CASES"]


def _slow_oversized() -> Callable[[], AsyncIterator[bytes]]:
    async def body() -> AsyncIterator[bytes]:
        for _ in range(64):
            yield b"<a>" * 4096

    return body


def _gzip_bomb() -> bytes:
    return gzip.compress(b"<" + b" " * (50 * 1024 * 1024), compresslevel=9)


SOAP_SIZE_CASES: list[Case] = [
    # -- size ---------------------------------------------------------------------------------------
    Case(
        "te-groot-content-length",
        "soap",
        "oversized_body",
        "SOAP_TE_GROOT",
        413,
        lambda _p: _post(b"<" * 2048, **{"Content-Length": "50000000"}),
    ),
    Case(
        "te-groot-chunked",
        "soap",
        "oversized_body",
        "SOAP_TE_GROOT",
        413,
        lambda _p: HttpInput(
            SOAP_PATH,
            chunked(_slow_oversized(), last=False),
            {**XML, "Transfer-Encoding": "chunked"},
            cert="plain",
            content_length=False,
        ),
    ),
    Case(
        "ongeldige-chunk-framing",
        "soap",
        "truncated",
        "HTTP_VERZOEK_ONGELDIG",
        400,
        lambda _p: HttpInput(
            SOAP_PATH,
            b"zz\r\n" + envelope(),
            {**XML, "Transfer-Encoding": "chunked"},
            cert="plain",
            content_length=False,
        ),
    ),
    Case(
        "enorm-attribuut",
        "soap",
        "huge_attribute",
        "SOAP_TE_GROOT",
        413,
        lambda _p: _post(envelope().replace(b"<oso:doel>", b'<oso:doel a="' + b"A" * 200_000 + b'">')),
    ),
    Case(
        "gzip-bom",
        "soap",
        "zip_bomb",
        "SOAP_TE_GROOT",
        413,
        lambda _p: _post(_gzip_bomb(), **{"Content-Encoding": "gzip"}),
    ),
]
