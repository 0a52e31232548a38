"""docs/refusals/{esis,oso}.md are the adapters' refusal tables as they are in the code (adapters/refusal_docs.py)."""

from __future__ import annotations

import pytest

from adapters.esis.refusals import TABLE
from adapters.parnassys.refusals import known_codes
from adapters.refusal_docs import rendered


@pytest.mark.parametrize("name", ["esis.md", "oso.md"])
def test_the_refusal_docs_are_current(name: str) -> None:
    (path, text) = next((p, t) for p, t in rendered().items() if p.name == name)
    assert path.exists(), f"{path} is missing: run `python -m adapters.refusal_docs`"
    assert path.read_text(encoding="utf-8") == text, f"{path} is out of date: run `python -m adapters.refusal_docs`"


def test_every_code_has_a_row_in_its_doc() -> None:
    docs = {p.name: t for p, t in rendered().items()}
    assert all(f"| `{code}` |" in docs["esis.md"] for code in TABLE)
    assert all(f"`{code}`" in docs["oso.md"] for code in known_codes())


def test_the_esis_doc_shows_every_message_the_sender_can_read() -> None:
    from adapters.refusal_docs import _cell

    doc = next(t for p, t in rendered().items() if p.name == "esis.md")
    texts = [text for row in TABLE.values() for text in row.messages.values()]
    assert len(texts) > 39  # every code's message, some in several variants
    missing = [text for text in texts if _cell(text) not in doc]
    assert not missing, f"not in docs/refusals/esis.md: {missing}"
