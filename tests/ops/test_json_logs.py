"""With JSON logging configured every log line is JSON: our own events and aiohttp's own errors (a NUL
byte in a header, a broken request line) alike, secrets hidden by key."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest
from aiohttp import web

from gateway.logging import configure_logging, get_logger
from tests.support.served import served


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    buf = io.StringIO()
    configure_logging("json", "info", stream=buf)
    yield buf
    configure_logging()


async def _raw_request(port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    answer = await reader.read(4096)
    writer.close()
    return answer


async def test_aiohttps_own_errors_are_json_lines_too(json_lines: io.StringIO) -> None:
    async def boom(_: web.Request) -> web.Response:
        raise RuntimeError("onverwacht")

    app = web.Application()
    app.router.add_get("/boom", boom)
    async with served(app) as port:
        nul = await _raw_request(port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Kop: a\x00b\r\n\r\n")
        broken = await _raw_request(port, b"\x16\x03\x01 geen http\r\n\r\n")
        crash = await _raw_request(port, b"GET /boom HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert b" 400 " in nul[:20] and b" 400 " in broken[:20] and b" 500 " in crash[:20]
    get_logger("test").info("klaar", password="geheim")
    lines = [line for line in json_lines.getvalue().splitlines() if line.strip()]
    events = [json.loads(line) for line in lines]  # every line parses
    assert any(e.get("logger", "").startswith("aiohttp") and "exception" in e for e in events), lines
    assert events[-1]["password"] == "[verborgen]"


def test_a_standard_library_logger_writes_json_with_its_traceback(json_lines: io.StringIO) -> None:
    try:
        raise ValueError("kapot")
    except ValueError:
        logging.getLogger("asyncio").exception("Task exception was never retrieved")
    (event,) = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    assert event["logger"] == "asyncio" and event["level"] == "error" and "ValueError: kapot" in event["exception"]


async def test_a_malformed_header_is_logged_without_its_bytes(json_lines: io.StringIO) -> None:
    """aiohttp quotes the start of a bad header line in its error; the header can hold a verificatiecode."""
    app = web.Application()
    async with served(app) as port:
        too_long = await _raw_request(
            port, b"GET / HTTP/1.1\r\nX-Verificatiecode: GEHEIM4711" + b"x" * 9000 + b"\r\n\r\n"
        )
        nul = await _raw_request(port, b"GET / HTTP/1.1\r\nX-Verificatiecode: GEHEIM4711\x00\r\n\r\n")
    assert b" 400 " in too_long[:20] and b" 400 " in nul[:20]
    events = [json.loads(line) for line in json_lines.getvalue().splitlines() if line.strip()]
    errors = [e for e in events if e.get("logger") == "aiohttp.server"]
    assert len(errors) == 2, events
    assert "LineTooLong, status 400" in errors[0]["event"] and "BadHttpMessage, status 400" in errors[1]["event"]
    assert "GEHEIM4711" not in json_lines.getvalue()
