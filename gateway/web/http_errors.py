"""Errors that aiohttp answers itself, before our application sees the request (a header line over 8 KiB,
broken chunked framing, an unexpected exception): answered with a stable code and a Dutch message, like
every other refusal, instead of aiohttp's plain-text page.

aiohttp has no public hook for this; `coded_errors(runner)` swaps in a request handler whose `handle_error`
keeps aiohttp's behaviour (logging, closing the connection) and only replaces the body. Pinned aiohttp
version; `tests/hostile` covers both cases.
"""

from __future__ import annotations

import json

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_server import Server

from verification.findings import Finding, fout

__all__ = ["coded_errors", "finding_for_status", "finding_response"]


def finding_response(finding: Finding, status: int) -> web.Response:
    """A refusal the core answers itself, as JSON: the finding on top and in ``findings`` (as the APIs do)."""
    body = {**finding.to_dict(), "findings": [finding.to_dict()]}
    return web.Response(status=status, text=json.dumps(body, ensure_ascii=False), content_type="application/json")


def finding_for_status(status: int) -> Finding:
    if status == 413:
        return fout("HTTP_TE_GROOT", "Het verzoek is groter dan de gateway aanneemt en is niet gelezen.", "HTTP")
    if 400 <= status < 500:
        return fout(
            "HTTP_VERZOEK_ONGELDIG",
            "Het verzoek kon niet worden gelezen (ongeldige HTTP-opbouw, bijvoorbeeld een te lange kopregel of een "
            "kapotte opdeling in blokken) en is niet verwerkt. Laat de leverancier van de koppeling dit nakijken.",
            "HTTP",
        )
    return fout(
        "INTERNE_FOUT",
        "Er ging bij de gateway iets mis; het verzoek is niet verwerkt. Probeer het later opnieuw; blijft het "
        "misgaan, neem dan contact op met het secretariaat van het samenwerkingsverband.",
        "HTTP",
    )


class _CodedRequestHandler(RequestHandler):
    __slots__ = ()

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        super().handle_error(request, status, exc, message)  # logs; raises when a response was already sent
        response = finding_response(finding_for_status(status), status)
        response.force_close()
        return response


class _CodedServer(Server):
    def __call__(self) -> RequestHandler:
        return _CodedRequestHandler(self, loop=self._loop, **self._kwargs)


def coded_errors(runner: web.BaseRunner) -> None:
    """After `runner.setup()`: aiohttp's own error answers carry a code and a Dutch message."""
    server = runner.server
    if server is None:
        raise RuntimeError("call coded_errors after runner.setup()")
    server.__class__ = _CodedServer
