"""Building blocks for hostile ESIS API requests (``/esis/v1``): multipart bodies, headers, aanvragen."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from adapters.esis.simulator import aanvraag, pdf_document
from tests.hostile.targets import ESIS_BRIN6, ESIS_CODE, HostilePki
from tests.hostile.wire import HttpInput

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


def _with_doc(filename: str, content: bytes, meta_name: str | None = None, **headers: str) -> Callable[..., HttpInput]:
    meta = {"bestandsnaam": meta_name or filename, "soort": "opp"}
    return lambda _pki: _create([_json_part(_body(documenten=[meta])), _doc_part(filename, content, **headers)])


def _raw(body: bytes, ctype: str, path: str = AANVRAGEN, **headers: str) -> Callable[[HostilePki], HttpInput]:
    return lambda _pki: HttpInput(path, body, {**_headers(ctype=ctype), **headers})
