"""The one attachment inspector (gateway.inspection), on its own: what it refuses, what it lets through, and
that it never inflates more than a bomb's announced size before refusing it."""

from __future__ import annotations

import io
import random
import zipfile

import pytest

from adapters.parnassys.dossier_documents import HOSTILE_CONTAINERS, document_bytes, lying_docx_bomb
from gateway.inspection import InspectionLimits, inspect_document


def _inspect(data: bytes, name: str = "OPP.docx", **limits: int) -> tuple[str | None, list[str]]:
    result = inspect_document(io.BytesIO(data), len(data), name, "document[0]", InspectionLimits(**limits))
    return result.detected, [f.code for f in result.findings]


def _zip(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize("kind", sorted(HOSTILE_CONTAINERS))
def test_hostile_office_containers_get_their_code(kind: str) -> None:
    assert _inspect(document_bytes(kind))[1] == [HOSTILE_CONTAINERS[kind]]


@pytest.mark.parametrize("kind", ["docx", "xlsx", "pptx", "odt", "ods", "odp", "pdf", "doc", "png", "txt"])
def test_ordinary_documents_pass_with_their_type(kind: str) -> None:
    detected, codes = _inspect(document_bytes(kind, 200_000), f"Verslag.{kind}")
    assert detected == kind and codes == []


class _Counting(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.read_bytes = 0

    def read(self, size: int | None = -1) -> bytes:
        out = super().read(size)
        self.read_bytes += len(out)
        return out


def test_a_bomb_with_lying_headers_is_refused_after_reading_a_sliver_of_it() -> None:
    data = lying_docx_bomb(inflated=64 * 1024 * 1024, announced=1024)
    source = _Counting(data)
    result = inspect_document(source, len(data), "OPP.docx", None, InspectionLimits(chunk_bytes=64 * 1024))
    assert [f.code for f in result.findings] == ["BIJLAGE_ZIP_BOM"]
    assert source.read_bytes < 200 * 1024  # the directory and the first compressed chunk, not the whole bomb


def test_an_honest_but_huge_container_is_refused_on_its_budget() -> None:
    words = random.Random(7).choices(["leerling", "lezen", "rekenen", "plan", "doel", "week", "groep"], k=500_000)
    text = " ".join(words).encode()  # ≈ 3.4 MB of text that compresses a few times, as real text does
    data = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": text})
    assert _inspect(data, max_inflated_bytes=1024 * 1024)[1] == ["BIJLAGE_ZIP_BOM"]
    assert _inspect(data)[1] == []  # within the default budget and ratio


def test_a_damaged_entry_is_unreadable_not_a_bomb() -> None:
    data = bytearray(_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<p/>" * 5000}))
    at = data.find(b"word/document.xml") + len(b"word/document.xml") + 10  # inside the compressed data
    data[at] ^= 0xFF
    assert _inspect(bytes(data))[1] == ["BIJLAGE_ZIP_ONGELDIG"]


def test_a_stored_entry_that_announces_less_than_it_holds_is_refused() -> None:
    data = bytearray(_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"x" * 5000}, zipfile.ZIP_STORED))
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24 : cd + 28] = (100).to_bytes(4, "little")  # file_size 100, compress_size still 5000
    assert _inspect(bytes(data))[1] == ["BIJLAGE_ZIP_BOM"]  # more bytes than announced: the lying-header rule


def test_one_embedded_zip_level_is_fine_and_the_odf_mimetype_counts_even_deflated() -> None:
    embedded = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<w/>"})
    docx = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<d/>", "word/embeddings/a.xlsx": embedded})
    assert _inspect(docx) == ("docx", [])
    odt = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<c/>"})
    assert _inspect(odt, "Verslag.odt") == ("odt", [])


def test_the_ten_megabyte_rule_comes_first() -> None:
    assert _inspect(b"%PDF-1.7" + b"\0" * 200, "OPP.pdf", max_bytes=100)[1] == ["BIJLAGE_TE_GROOT"]
