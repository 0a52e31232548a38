"""Shared hypothesis strategies: byte-level mutations of a valid input, and the refusal properties."""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import strategies as st

from verification.findings import Finding

__all__ = ["DUTCH", "assert_refusal", "mutated"]

DUTCH = (" de ", " het ", " een ", " is ", " niet ", " geen ", " van ", " moet ", " te ", " bij ", " of ")
_SPECIAL = [b"<", b">", b"&", b"<!DOCTYPE x>", b"\x00", b"\xff", b"\xc3", b"]]>", b"&lol;", b"'", b'"', b"/", b"\n"]


@st.composite
def mutated(draw: st.DrawFn, original: bytes, max_edits: int = 6) -> bytes:
    """``original`` with a few random edits: flipped bytes, deleted spans, inserted hostile snippets, a cut."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, max_edits))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "delete", "insert", "duplicate", "truncate"]))
        if kind == "flip":
            data[at] = draw(st.integers(0, 255))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "insert":
            snippet = draw(st.sampled_from(_SPECIAL) | st.binary(min_size=1, max_size=16))
            data[at:at] = snippet
        elif kind == "duplicate":
            end = min(len(data), at + draw(st.integers(1, 256)))
            data[at:at] = data[at:end]
        else:
            del data[at:]
    return bytes(data)


def assert_refusal(finding: Finding | Mapping[str, object]) -> None:
    """A refusal has a stable UPPER_SNAKE (or PaO.XXnn-style) code and a Dutch, non-empty message."""
    code = finding.code if isinstance(finding, Finding) else finding.get("code")
    message = finding.message if isinstance(finding, Finding) else finding.get("message")
    assert isinstance(code, str) and code and code.replace(".", "_").replace("_", "").isalnum(), code
    assert code == code.upper() or "." in code, code
    assert isinstance(message, str) and message.strip(), message
    assert any(w in f" {message.lower()} " for w in DUTCH), message
