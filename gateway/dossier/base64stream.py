"""Incremental Base64 decoding: text arrives in pieces of any length, bytes leave in pieces.

Whitespace (line breaks inside ``bestandsinhoud``) is ignored; anything else outside the Base64 alphabet,
padding in the middle, or a length that is not a multiple of four is an error. Memory is one piece plus a
remainder of at most three characters.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable

__all__ = ["Base64Error", "Base64Stream", "decode_whole"]

try:  # optional: the same decoding, with SIMD
    from pybase64 import b64decode as _bulk
except ImportError:  # pragma: no cover - without it binascii does all the work
    _bulk = None  # type: ignore[assignment]  # optional accelerator: None when pybase64 is absent

_BULK_FROM = 256  # characters; below this binascii is as fast


class Base64Error(ValueError):
    pass


class Base64Stream:
    def __init__(self, sink: Callable[[bytes], None]) -> None:
        self._sink = sink
        self._rest = ""
        self._padded = False  # a group with '=' was decoded: only whitespace may follow
        self.decoded = 0

    def feed(self, text: str) -> None:
        if not text:
            return
        if not text.isascii():
            raise Base64Error("non-ASCII character")
        data = self._rest + "".join(text.split())
        if not data:
            return
        if self._padded:
            raise Base64Error("data after padding")
        cut = len(data) - len(data) % 4
        self._rest = data[cut:]
        if cut:
            self._decode(data[:cut])

    def _decode(self, groups: str) -> None:
        out = _groups(groups)
        if "=" in groups[-4:]:
            self._padded = True
        self.decoded += len(out)
        self._sink(out)

    def close(self) -> None:
        if self._rest:
            raise Base64Error("length is not a multiple of four")


def decode_whole(text: str) -> tuple[bytes, bool]:
    """One text at once, as `Base64Stream` judges it when it is fed in one piece: raises `Base64Error` for
    anything outside the alphabet or padding in the middle; returns the bytes of the complete groups and
    whether the text ended on a group boundary (``False``: `Base64Stream.close` would raise). The caller
    checks its size limit before the completeness, as the stream's sink does."""
    if not text:
        return b"", True
    if not text.isascii():
        raise Base64Error("non-ASCII character")
    if len(text) % 4 == 0:
        try:  # no whitespace to take out (the usual case): the decoders refuse any, so success means none
            return _groups(text), True
        except Base64Error:
            pass  # whitespace, or a real error: the full procedure below gives the verdict
    data = "".join(text.split())
    cut = len(data) - len(data) % 4
    if cut == len(data):
        return (_groups(data) if cut else b""), True
    return (_groups(data[:cut]) if cut else b""), False


def _groups(groups: str) -> bytes:
    """Complete 4-character groups; padding only in the last one.

    Every group but the last holds no padding (checked first), so there the only question is whether each
    character is in the alphabet: pybase64 (SIMD, when installed) decodes that part with validation, about
    25 times faster than binascii; the last group, where the padding rules live, always goes through
    ``binascii.a2b_base64(strict_mode=True)``. The verdict and the bytes are those of binascii on the whole
    (tests/dossier/test_base64stream.py compares them)."""
    body = len(groups) - 4
    if groups.find("=", 0, body) >= 0:
        raise Base64Error("padding in the middle")
    try:
        if _bulk is None or body < _BULK_FROM:
            return binascii.a2b_base64(groups, strict_mode=True)
        data = memoryview(groups.encode("ascii"))
        return _bulk(data[:body], validate=True) + binascii.a2b_base64(data[body:], strict_mode=True)
    except binascii.Error as e:
        raise Base64Error(str(e)) from None
