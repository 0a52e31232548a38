from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.dossier.base64stream import Base64Error, Base64Stream


def _decode(pieces: list[str]) -> bytes:
    out = bytearray()
    stream = Base64Stream(out.extend)
    for piece in pieces:
        stream.feed(piece)
    stream.close()
    return bytes(out)


@given(st.binary(max_size=300), st.lists(st.integers(min_value=0, max_value=400), max_size=6), st.booleans())
def test_any_split_and_line_wrapping_decodes_to_the_same_bytes(data: bytes, cuts: list[int], wrap: bool) -> None:
    text = base64.encodebytes(data).decode() if wrap else base64.b64encode(data).decode()
    points = sorted({min(c, len(text)) for c in cuts})
    pieces = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    assert _decode(pieces) == data


@pytest.mark.parametrize("text", ["QUJD!", "QUI=QUJD", "QUJ", "QUJDéé==", "QQ==QQ=="])
def test_invalid_base64_is_an_error(text: str) -> None:
    with pytest.raises(Base64Error):
        _decode([text[:2], text[2:]])
