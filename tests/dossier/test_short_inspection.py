"""A short inspection (``work_limit``, what the ESIS intake runs in the event loop's thread): within its limit it
gives the verdict a full inspection gives; beyond it, no verdict at all (`WorkLimitReached`), never a different
one — and it stops before it has done more than the limit."""

from __future__ import annotations

import io
import random
import zipfile

import pytest

from adapters.parnassys.dossier_documents import HOSTILE_CONTAINERS, document_bytes, lying_docx_bomb
from gateway.inspection import Inspection, InspectionLimits, WorkLimitReached, inspect_document

MIB = 1024 * 1024


def _inspect(data: bytes, work_limit: int | None = None, **limits: int) -> Inspection:
    return inspect_document(
        io.BytesIO(data), len(data), "OPP.docx", "document[0]", InspectionLimits(**limits), work_limit=work_limit
    )


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def _text(n_words: int, seed: int = 7) -> bytes:
    words = random.Random(seed).choices(["leerling", "lezen", "rekenen", "plan", "doel", "week"], k=n_words)
    return " ".join(words).encode()


_SMALL = {
    **{f"hostile:{kind}": document_bytes(kind) for kind in sorted(HOSTILE_CONTAINERS)},
    **{kind: document_bytes(kind, 60_000) for kind in ("docx", "xlsx", "pptx", "odt", "doc", "pdf")},
    "lying bomb": lying_docx_bomb(inflated=64 * MIB, announced=1024),
}


@pytest.mark.parametrize("name", sorted(_SMALL))
def test_within_its_limit_the_verdict_is_the_full_inspections(name: str) -> None:
    data = _SMALL[name]
    try:
        short = _inspect(data, work_limit=MIB)
    except WorkLimitReached:
        pytest.fail(f"{name} ({len(data)} bytes) should be judged within 1 MiB of work")
    assert short == _inspect(data)


def test_a_container_announcing_more_than_the_limit_gets_no_verdict() -> None:
    data = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": _text(400_000)})  # ≈ 2.7 MB inflated
    with pytest.raises(WorkLimitReached):
        _inspect(data, work_limit=MIB)
    assert _inspect(data).findings == ()  # an ordinary document: the full inspection lets it through


def test_a_nested_container_inflating_past_the_limit_stops_there() -> None:
    inner = _zip({"a.xml": _text(400_000, seed=1)})  # small itself, inflating to ≈ 2.7 MB one level down
    data = _zip({"[Content_Types].xml": b"<Types/>", "word/embeddings/inner.zip": inner})
    with pytest.raises(WorkLimitReached):
        _inspect(data, work_limit=MIB)
    assert _inspect(data).detected == "docx"


def test_an_honest_bomb_is_still_a_bomb_after_the_short_inspection_gives_up() -> None:
    data = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": _text(500_000)})
    with pytest.raises(WorkLimitReached):
        _inspect(data, work_limit=MIB, max_inflated_bytes=2 * MIB)
    assert [f.code for f in _inspect(data, max_inflated_bytes=2 * MIB).findings] == ["BIJLAGE_ZIP_BOM"]


def test_many_tiny_entries_are_not_read_in_a_short_inspection() -> None:
    entries = {"[Content_Types].xml": b"<Types/>", **{f"word/p{i}.xml": b"<p/>" for i in range(300)}}
    data = _zip(entries)
    with pytest.raises(WorkLimitReached):
        _inspect(data, work_limit=MIB)
    assert _inspect(data).findings == ()


def test_a_limit_at_or_above_the_bomb_budget_is_no_limit() -> None:
    data = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": _text(500_000)})
    assert [f.code for f in _inspect(data, work_limit=2 * MIB, max_inflated_bytes=2 * MIB).findings] == [
        "BIJLAGE_ZIP_BOM"
    ]
