"""The ESIS intake inspects a small DOCX or DOC right in the event loop's thread and a larger one in a thread,
with the same verdict either way: the hop is left out only where the work is bounded (in memory, at most 1 MiB
inflated, at most 64 entries)."""

from __future__ import annotations

import asyncio
import io
import random
import tempfile
import zipfile
from collections.abc import Callable
from typing import Any

import pytest

from adapters.esis import upload
from adapters.esis.config import EsisLimits
from adapters.parnassys.dossier_documents import HOSTILE_CONTAINERS, document_bytes
from gateway.inspection import Inspection


def _big_docx() -> bytes:
    words = random.Random(3).choices(["leerling", "lezen", "rekenen", "plan", "doel"], k=400_000)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("word/document.xml", " ".join(words).encode())  # ≈ 2.7 MB inflated, well under 1 MB stored
    return buf.getvalue()


def _judge(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[Inspection, int]:
    """The intake's verdict on ``data`` and how many times it went to a thread for it."""
    hops = 0
    to_thread = asyncio.to_thread

    async def counting(fn: Callable[..., Any], /, *args: Any) -> Any:
        nonlocal hops
        hops += 1
        return await to_thread(fn, *args)

    monkeypatch.setattr(upload.asyncio, "to_thread", counting)
    with tempfile.SpooledTemporaryFile(max_size=upload._SPOOL_BYTES) as spool:
        spool.write(data)
        verdict = asyncio.run(upload._inspected(spool, len(data), data[:8], "OPP.docx", "documenten[0]", EsisLimits()))
    return verdict, hops


def _in_a_thread(data: bytes) -> Inspection:
    return upload._inspect(io.BytesIO(data), len(data), data[:8], "OPP.docx", "documenten[0]", EsisLimits())


_SMALL = {"docx": document_bytes("docx", 60_000), "doc": document_bytes("doc", 60_000)}
_SMALL.update({f"hostile {kind}": document_bytes(kind) for kind in HOSTILE_CONTAINERS})


@pytest.mark.parametrize("name", sorted(_SMALL))
def test_a_small_document_is_judged_without_a_thread_as_in_one(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _SMALL[name]
    verdict, hops = _judge(data, monkeypatch)
    assert hops == 0
    assert verdict == _in_a_thread(data)


def test_a_document_that_inflates_to_more_is_judged_in_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _big_docx()
    verdict, hops = _judge(data, monkeypatch)
    assert hops == 1
    assert verdict == _in_a_thread(data) and verdict.detected == "docx" and verdict.findings == ()


def test_a_document_held_on_disk_is_judged_in_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    data = document_bytes("docx", upload._SPOOL_BYTES + 100_000)
    verdict, hops = _judge(data, monkeypatch)
    assert hops == 1
    assert verdict == _in_a_thread(data)
