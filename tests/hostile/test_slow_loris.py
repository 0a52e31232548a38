"""Slow senders (slow-loris) are cut off instead of holding a connection and a handler open for ever.

aiohttp's server has no header-read or body-read timeout of its own: an idle or trickling connection is
only closed by ``keepalive_timeout`` (default 3630 s), and a handler reading a trickling body waits as long
as bytes keep coming. The ESIS readers enforce an idle timeout and a minimum rate (`EsisLimits`), the OSO
endpoint a body deadline (`body_timeout`), and `gateway serve` a keep-alive timeout (`keepalive_seconds`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from gateway.components import Components
from gateway.settings import Settings
from tests.hostile.esis_build import AANVRAGEN, BOUNDARY, _body, _json_part, multipart
from tests.hostile.soap_build import XML, envelope
from tests.hostile.targets import ESIS_CODE, SOAP_PATH, HostilePki, Running, activate_esis_code, start_targets
from tests.hostile.wire import HttpInput

STALL = 60.0  # longer than any timeout under test: the server must act first


def trickle(head: bytes, *, every: float = STALL, piece: bytes = b"") -> Callable[[], AsyncIterator[bytes]]:
    """Send ``head`` at once, then ``piece`` every ``every`` seconds (or nothing more)."""

    async def body() -> AsyncIterator[bytes]:
        yield head
        while True:
            await asyncio.sleep(every)
            if piece:
                yield piece

    return body


def _esis_upload(declared: int, stream: Callable[[], AsyncIterator[bytes]]) -> HttpInput:
    headers = {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "X-Verificatiecode": ESIS_CODE,
        "Content-Length": str(declared),
    }
    return HttpInput(AANVRAGEN, stream, headers)


async def _esis_gateway(components: Components, pki: HostilePki, **section: object) -> Running:
    await activate_esis_code(components)
    return await start_targets(components, pki, esis_section=section)


async def test_an_esis_body_that_stops_arriving_is_cut_off(
    components: Components, hostile_pki: HostilePki, fast_hash: None
) -> None:
    gw = await _esis_gateway(components, hostile_pki, read_idle_seconds=0.5)
    try:
        start = multipart([_json_part(_body())], close=False)
        answer = await gw.send(_esis_upload(len(start) + 10_000, trickle(start)), answer_within=STALL / 2)
    finally:
        await gw.close()
    assert answer.status == 408 and json.loads(answer.body)["code"] == "ESIS_UPLOAD_TE_TRAAG"
    assert answer.headers.get("connection", "").lower() == "close"


async def test_an_esis_body_trickling_below_the_minimum_rate_is_cut_off(
    components: Components, hostile_pki: HostilePki, fast_hash: None
) -> None:
    gw = await _esis_gateway(
        components, hostile_pki, read_idle_seconds=30.0, min_bytes_per_second=4096, min_rate_grace_seconds=0.5
    )
    try:
        start = multipart([_json_part(_body())], close=False)
        stream = trickle(start, every=0.05, piece=b" ")
        answer = await gw.send(_esis_upload(len(start) + 1_000_000, stream), answer_within=STALL / 2)
    finally:
        await gw.close()
    assert answer.status == 408 and json.loads(answer.body)["code"] == "ESIS_UPLOAD_TE_TRAAG"


async def test_a_header_trickle_is_cut_off_when_the_server_has_a_keepalive_timeout(
    components: Components, hostile_pki: HostilePki
) -> None:
    """What aiohttp offers: ``keepalive_timeout`` also closes a connection whose request never completes."""
    gw = await start_targets(components, hostile_pki, runner_kwargs={"keepalive_timeout": 0.5})
    try:
        request = HttpInput(AANVRAGEN, head=b"POST /esis/v1/aanvragen HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Verif")
        answer = await gw.send(request, answer_within=STALL / 2)
    finally:
        await gw.close()
    assert answer.status == 0 and answer.body == b""  # closed by the server, without an answer


async def test_a_notificatie_body_that_stops_arriving_is_cut_off(
    components: Components, hostile_pki: HostilePki
) -> None:
    gw = await start_targets(components, hostile_pki)
    try:
        body = envelope()
        request = HttpInput(SOAP_PATH, trickle(body[:200]), {**XML, "Content-Length": str(len(body))}, cert="plain")
        answer = await gw.send(request, answer_within=5.0)  # the ESIS readers answer within 30 s at most
    except TimeoutError:
        pytest.fail("the endpoint still waits for the rest of the body")
    finally:
        await gw.close()
    assert answer.status == 408


async def test_gateway_serve_bounds_how_long_a_request_head_may_take(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiohttp import web

    from gateway.cli import serve

    seen: dict[str, Any] = {}

    class Stop(Exception):
        pass

    def capture(app: web.Application, **kwargs: Any) -> web.AppRunner:
        seen.update(kwargs)
        raise Stop

    monkeypatch.setattr(serve, "web", argparse.Namespace(AppRunner=capture, TCPSite=web.TCPSite))
    with pytest.raises(Stop):
        await serve.run_server(settings.replace(port=0), asyncio.Event())
    assert seen.get("keepalive_timeout", 3630) <= 75
