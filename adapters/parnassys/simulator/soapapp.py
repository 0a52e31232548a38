"""Shared plumbing of the simulators: dispatch a SOAP request to a handler, answer or fault. TEST DOUBLE."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from lxml import etree

from adapters.parnassys.soap import (
    ANONYMOUS,
    NS,
    SoapRejected,
    action_for,
    build_envelope,
    build_fault,
    parse_envelope,
    to_bytes,
)
from verification.findings import Finding

Handler = Callable[[dict[str, str], web.Request], Awaitable[dict[str, str] | etree._Element]]


class SimFault(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.finding = Finding(code, message)


def fields(op: etree._Element) -> dict[str, str]:
    return {etree.QName(c).localname: (c.text or "").strip() for c in op if isinstance(c.tag, str)}


def response(operation: str, values: dict[str, str]) -> etree._Element:
    el = etree.Element(f"{{{NS}}}{operation}Response", nsmap={"oso": NS})
    for k, v in values.items():
        etree.SubElement(el, f"{{{NS}}}{k}").text = v
    return el


def soap_handler(own_oin: str, operations: dict[str, Handler], max_bytes: int = 1024 * 1024):
    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.content.read(max_bytes + 1)
        relates = None
        try:
            if len(body) > max_bytes:
                raise SimFault("SOAP_TE_GROOT", "bericht te groot")
            env = parse_envelope(body)
            relates = env.addressing.message_id
            name = env.operation_name.removesuffix("Request")
            if name not in operations:
                raise SimFault("SOAP_ONBEKENDE_OPERATIE", f"onbekende operatie {env.operation_name}")
            result = await operations[name](fields(env.operation), request)
        except SoapRejected as exc:
            return _send(build_fault([exc.finding], relates_to=relates), 500)
        except SimFault as exc:
            return _send(build_fault([exc.finding], relates_to=relates, from_address=f"{ANONYMOUS}?oin={own_oin}"), 500)
        child = result if isinstance(result, etree._Element) else response(name, result)
        env_out = build_envelope(
            child, action=action_for(f"{name}Response"), relates_to=relates, from_address=f"{ANONYMOUS}?oin={own_oin}"
        )
        return _send(env_out, 200)

    return handle


def _send(env: etree._Element, status: int) -> web.Response:
    return web.Response(body=to_bytes(env), status=status, content_type="text/xml", charset="utf-8")
