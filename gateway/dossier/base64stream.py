"""Incremental Base64 decoding: text arrives in pieces of any length, bytes leave in pieces.

Whitespace (line breaks inside ``bestandsinhoud``) is ignored; anything else outside the Base64 alphabet,
padding in the middle, or a length that is not a multiple of four is an error. Memory is one piece plus a
remainder of at most three characters.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable

__all__ = ["Base64Error", "Base64Stream"]


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
        if "=" in groups[:-4]:
            raise Base64Error("padding in the middle")
        try:
            out = binascii.a2b_base64(groups, strict_mode=True)
        except binascii.Error as e:
            raise Base64Error(str(e)) from None
        if "=" in groups[-4:]:
            self._padded = True
        self.decoded += len(out)
        self._sink(out)

    def close(self) -> None:
        if self._rest:
            raise Base64Error("length is not a multiple of four")
