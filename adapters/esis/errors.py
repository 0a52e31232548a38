"""One shape for every error answer of the ESIS API, built from findings.

``{"code", "message", "location", "findings": [...]}``: the first finding on top (what to fix first), all of
them in ``findings``. Every refusal in this adapter goes through `ApiError` → `error_response`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web

from adapters.esis.refusals import refusal
from verification.findings import Finding, fout

__all__ = ["ApiError", "error_body", "error_response", "refuse", "refused"]


class ApiError(Exception):
    """An API refusal: an HTTP status and the findings that explain it."""

    def __init__(
        self,
        status: int,
        findings: Iterable[Finding],
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        close: bool = False,
    ) -> None:
        self.status = status
        self.findings = tuple(findings)
        if not self.findings:
            raise ValueError("ApiError needs at least one finding")
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})
        self.close = close  # answer and close the connection without reading the rest of the body
        super().__init__(f"{status} {self.findings[0].code}")


def refuse(status: int, code: str, message: str, location: str | None = None, **kw: Any) -> ApiError:
    """A refusal with a message of its own: for the shared codes (``BIJLAGE_*``, ``VERIFICATIECODE_*``, …) whose
    message comes from ``verification/`` or the attachment inspector. ``ESIS_*`` codes go through `refused`."""
    return ApiError(status, [fout(code, message, location)], **kw)


def refused(
    status: int,
    code: str,
    location: str | None = None,
    *,
    variant: str = "",
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    close: bool = False,
    **params: object,
) -> ApiError:
    """The API answer for an ``ESIS_*`` code: its message from the table (`adapters.esis.refusals`), filled in
    with ``params``."""
    finding = refusal(code, location, variant, **params)
    return ApiError(status, [finding], extra=extra, headers=headers, close=close)


MAX_FINDINGS = 50  # a hostile body can break thousands of rules; the answer names the first ones


def error_body(findings: Iterable[Finding], extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    items = list(findings)
    first = items[0]
    body = {
        "code": first.code,
        "message": first.message,
        "location": first.location,
        "findings": [f.to_dict() for f in items[:MAX_FINDINGS]],
        **(extra or {}),
    }
    if len(items) > MAX_FINDINGS:
        body["findings_weggelaten"] = len(items) - MAX_FINDINGS
    return body


def error_response(err: ApiError) -> web.Response:
    resp = web.json_response(error_body(err.findings, err.extra), status=err.status, headers=err.headers)
    if err.close:
        resp.force_close()
    return resp
