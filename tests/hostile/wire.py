"""A raw HTTP/1.1 client for hostile inputs: it sends exactly the bytes a case builds (no client-side
normalisation), reads the answer while it is still writing (the server may answer early and hang up) and
reads the refusal code back from a SOAP fault or an ESIS error body."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from lxml import etree

__all__ = ["HttpInput", "HttpResult", "chunked", "send"]

Body = bytes | Callable[[], AsyncIterator[bytes]]

_SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
_OSO_NS = "http://xml.kennisnet.nl/schemas/Overstapservice/20200910"


@dataclass(frozen=True)
class HttpInput:
    """One request. ``head`` (if given) replaces the generated request line and headers verbatim."""

    path: str
    body: Body = b""
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "POST"
    cert: str | None = None  # client certificate (name in the test PKI), SOAP only
    head: bytes | None = None
    content_length: bool = True  # add Content-Length for a bytes body (unless the headers give one)

    def request_head(self, host: str) -> bytes:
        if self.head is not None:
            return self.head
        headers = {"Host": host, "Connection": "close", **self.headers}
        if self.content_length and isinstance(self.body, bytes) and not _has(headers, "content-length"):
            if not _has(headers, "transfer-encoding"):
                headers["Content-Length"] = str(len(self.body))
        lines = [f"{self.method} {self.path} HTTP/1.1".encode("latin-1")]
        lines += [f"{k}: {v}".encode("latin-1", "surrogateescape") for k, v in headers.items()]
        return b"\r\n".join(lines) + b"\r\n\r\n"


def chunked(body: Callable[[], AsyncIterator[bytes]], *, last: bool = True) -> Callable[[], AsyncIterator[bytes]]:
    """The pieces of ``body`` in HTTP/1.1 chunked framing (``last=False``: never terminated)."""

    async def framed() -> AsyncIterator[bytes]:
        async for piece in body():
            yield b"%x\r\n%s\r\n" % (len(piece), piece)
        if last:
            yield b"0\r\n\r\n"

    return framed


def _has(headers: dict[str, str], name: str) -> bool:
    return any(k.lower() == name for k in headers)


@dataclass(frozen=True)
class HttpResult:
    status: int  # 0: the connection closed without an answer
    headers: dict[str, str]
    body: bytes
    sent: int  # body bytes handed to the socket before the answer

    @property
    def json(self) -> object:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def findings(self) -> list[dict[str, str | None]]:
        """The findings of the refusal, from an ESIS error body or a SOAP fault (empty when neither)."""
        data = self.json
        if isinstance(data, dict) and "code" in data:
            return list(data.get("findings") or [{"code": data["code"], "message": data.get("message")}])
        if self.body.lstrip().startswith(b"<"):
            try:
                root = etree.fromstring(self.body, etree.XMLParser(resolve_entities=False, no_network=True))
            except etree.XMLSyntaxError:
                return []
            out: list[dict[str, str | None]] = []
            for el in root.iter(f"{{{_OSO_NS}}}fout"):
                out.append(
                    {
                        "code": el.findtext(f"{{{_OSO_NS}}}code"),
                        "message": el.findtext(f"{{{_OSO_NS}}}melding"),
                        "location": el.findtext(f"{{{_OSO_NS}}}locatie"),
                    }
                )
            return out
        return []

    @property
    def soap_faultcode(self) -> str | None:
        if not self.body.lstrip().startswith(b"<"):
            return None
        try:
            root = etree.fromstring(self.body, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            return None
        return root.findtext(f"{{{_SOAP_ENV}}}Body/{{{_SOAP_ENV}}}Fault/faultcode")


async def _write_body(writer: asyncio.StreamWriter, body: Body, sent: list[int]) -> None:
    if isinstance(body, bytes):
        for at in range(0, len(body), 64 * 1024):
            piece = body[at : at + 64 * 1024]
            writer.write(piece)
            await writer.drain()
            sent[0] += len(piece)
        return
    async for piece in body():
        writer.write(piece)
        await writer.drain()
        sent[0] += len(piece)


async def _read_all(reader: asyncio.StreamReader, limit: int) -> bytes:
    data = bytearray()
    with contextlib.suppress(ConnectionError, ssl.SSLError):
        while chunk := await reader.read(64 * 1024):
            data += chunk
            if len(data) > limit:
                break
    return bytes(data)


def _parse(raw: bytes, sent: int) -> HttpResult:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return HttpResult(0, {}, raw, sent)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        k, _, v = line.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _dechunk(body)
    elif "content-length" in headers:
        body = body[: int(headers["content-length"])]
    return HttpResult(status, headers, body, sent)


def _dechunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        try:
            size = int(size_line.split(b";")[0], 16)
        except ValueError:
            break
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2 :]
    return bytes(out)


async def send(
    host: str,
    port: int,
    request: HttpInput,
    *,
    ssl_context: ssl.SSLContext | None = None,
    answer_within: float = 20.0,
    max_answer: int = 4 * 1024 * 1024,
) -> HttpResult:
    """Send ``request`` and return the answer; the body is written while the answer is read."""
    reader, writer = await asyncio.open_connection(
        host, port, ssl=ssl_context, server_hostname=host if ssl_context else None
    )
    sent = [0]

    async def write() -> None:
        with contextlib.suppress(ConnectionError, ssl.SSLError, OSError):
            writer.write(request.request_head(f"{host}:{port}"))
            await writer.drain()
            await _write_body(writer, request.body, sent)

    writing = asyncio.create_task(write())
    try:
        raw = await asyncio.wait_for(_read_all(reader, max_answer), answer_within)
    finally:
        writing.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await writing
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    return _parse(raw, sent[0])
