"""The intake reads a document part's Content-Disposition directly when it has the plain form every multipart
client writes (``form-data; name="…"; filename="…"``) and leaves every other shape to aiohttp: either way the
field name and file name are the ones aiohttp's ``BodyPartReader.name`` and ``filename`` give, so which parts
are accepted, refused or named how does not change."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from aiohttp import BodyPartReader
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from adapters.esis.upload import _disposition

pytestmark = pytest.mark.filterwarnings("ignore::aiohttp.multipart.BadContentDispositionHeader")


def _part(header: str | None) -> BodyPartReader:
    headers: CIMultiDict[str] = CIMultiDict({"Content-Disposition": header} if header is not None else {})
    return BodyPartReader(b"--x", CIMultiDictProxy(headers), content=Any)  # type: ignore[arg-type]  # never read: only its headers are


def _aiohttp(header: str | None) -> tuple[str | None, str | None]:
    part = _part(header)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # aiohttp warns about the malformed shapes below
        return part.name, part.filename


SHAPES = [
    'form-data; name="document"; filename="OPP-leerling-1.pdf"',
    'form-data; name="aanvraag"',
    'form-data; name="document"; filename="Handelingsplan groep 7 (2025).docx"',
    'form-data; name="document"; filename="verslag é ü.pdf"',
    'form-data; name="document"; filename="/etc/passwd"',
    'form-data; name="document"; filename="\\\\server\\share\\a.pdf"',
    'form-data; name="document"; filename="..\\a.pdf"',
    'form-data; name="document"; filename="a\\"b.pdf"',
    'form-data; name="document"; filename="a;b.pdf"',
    'form-data; name="document"; filename=""',
    'form-data; name=""; filename="a.pdf"',
    'form-data; name="/document"; filename="a.pdf"',
    'form-data; name="document"; filename="a.pdf"; filename="b.pdf"',
    'form-data; name="document"; name="aanvraag"',
    "form-data; name=document; filename=a.pdf",
    'form-data;name="document";filename="a.pdf"',
    'form-data;  name="document"; filename="a.pdf"',
    'form-data; name="document"; filename="a.pdf" ',
    'Form-Data; name="document"; filename="a.pdf"',
    'attachment; name="document"; filename="a.pdf"',
    "form-data; name=\"document\"; filename*=UTF-8''verslag%20%C3%A9.pdf",
    'form-data; name="document"; filename="a.pdf"; filename*=UTF-8\'\'b.pdf',
    'form-data; name="document"; filename*0="a"; filename*1=".pdf"',
    'form-data; filename="a.pdf"; name="document"',
    'form-data; name="document"; filename="a.pdf";',
    "form-data",
    "",
    None,
]


@pytest.mark.parametrize("header", SHAPES)
def test_the_part_names_are_the_ones_aiohttp_reads_for_every_header_shape(header: str | None) -> None:
    assert _disposition(_part(header)) == _aiohttp(header)


@settings(max_examples=300, deadline=None)
@given(
    name=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x24F), max_size=12),
    filename=st.none() | st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x24F), max_size=20),
)
def test_any_quoted_name_and_file_name_read_as_aiohttp_reads_them(name: str, filename: str | None) -> None:
    header = f'form-data; name="{name}"' + ("" if filename is None else f'; filename="{filename}"')
    assert _disposition(_part(header)) == _aiohttp(header)
