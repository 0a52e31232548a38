"""The intake reads a request's media type directly when it is a plain ``type/subtype`` and leaves every
other header shape to aiohttp: either way the answer is the one ``request.content_type`` gives, so which
bodies are refused as 415 does not change."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import make_mocked_request
from multidict import CIMultiDict

from adapters.esis.upload import media_type


@pytest.mark.parametrize(
    "header",
    [
        "application/json",
        "Application/JSON; charset=utf-8",
        "multipart/form-data; boundary=a8f7e6d5c4b3a2918f7e6d5c4b3a2918",
        'multipart/form-data;boundary="met spatie"',
        "  multipart/form-data ; boundary=x",
        "application/json+ld",
        "application/json (commentaar)",
        "multipart/form-data garbage",
        "application/",
        "/json",
        "json",
        "text/plain",
        "",
        None,
    ],
)
def test_the_media_type_is_the_one_aiohttp_reads_for_every_header_shape(header: str | None) -> None:
    headers = CIMultiDict({"Content-Type": header} if header is not None else {})
    request = make_mocked_request("POST", "/esis/v1/aanvragen", headers=headers)
    assert media_type(request) == request.content_type
