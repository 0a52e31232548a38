from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.dossier.base64stream import Base64Error, Base64Stream, decode_whole


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


def _stream_verdict(text: str, limit: int | None = None) -> bytes | str:
    """Base64Stream fed the text in one piece, then closed: the reference."""
    out = bytearray()

    def sink(piece: bytes) -> None:
        if limit is not None and len(out) + len(piece) > limit:
            raise OverflowError
        out.extend(piece)

    stream = Base64Stream(sink)
    try:
        stream.feed(text)
        stream.close()
    except Base64Error:
        return "Base64Error"
    except OverflowError:
        return "too big"
    return bytes(out)


def _whole_verdict(text: str, limit: int | None = None) -> bytes | str:
    """decode_whole with its caller's order: size limit before completeness (as gateway.dossier.small)."""
    try:
        data, complete = decode_whole(text)
    except Base64Error:
        return "Base64Error"
    if limit is not None and len(data) > limit:
        return "too big"
    return data if complete else "Base64Error"


_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_NOISE = st.sampled_from(["=", "==", "\n", " ", "\t", "\r\n", "-", "_", "!", "é", "\x00", "\x1c"])


@st.composite
def _base64_like(draw: st.DrawFn) -> str:
    """Mostly valid Base64 (long enough for the bulk decoder), with a few hostile characters at random places."""
    data = draw(st.binary(min_size=0, max_size=900))
    text = list(base64.b64encode(data).decode())
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        text[at:at] = draw(_NOISE)
    if draw(st.booleans()) and text:
        del text[draw(st.integers(0, len(text) - 1))]
    return "".join(text)


@settings(max_examples=500, deadline=None)
@given(_base64_like(), st.one_of(st.none(), st.integers(0, 700)))
def test_decoding_a_text_at_once_gives_the_streams_verdict(text: str, limit: int | None) -> None:
    assert _whole_verdict(text, limit) == _stream_verdict(text, limit)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ALPHABET + "=\n -é", max_size=40).map(lambda t: _ALPHABET * 8 + t))
def test_the_bulk_decoder_agrees_with_binascii_on_any_tail(text: str) -> None:
    assert _whole_verdict(text) == _stream_verdict(text)
