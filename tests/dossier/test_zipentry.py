"""The ZIP read straight from bytes (gateway.dossier.zipentry) says exactly what zipfile says, or steps aside.

Whenever ``plain_entry`` / ``plain_names`` answer, zipfile must list the same entry (or names) and reading
the entry must have the same outcome: the same bytes, or refused by both. Which exception class zipfile
raises differs between Python versions (a damaged deflate stream is a ``zlib.error`` in one, an "Overlapped
entries" ``BadZipFile`` in another) and does not matter: the gateway refuses on any of them alike
(BIJLAGE_ZIP_ONGELDIG). When they do not answer (None), the reader asks zipfile itself, which is always exact.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Sequence
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.parnassys.dossier_factory import document_bytes
from gateway.dossier.zipentry import plain_entry, plain_names
from tests.fuzz.strategies import mutated

_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError)


_SURROGATES: tuple[Literal["Cs"]] = ("Cs",)  # no lone surrogates: a name must encode


def _zip(entries: Sequence[tuple[str | zipfile.ZipInfo, bytes, int]], *, comment: bytes = b"") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data, method in entries:
            z.writestr(name, data, compress_type=method)
        z.comment = comment
    return buf.getvalue()


def _read_all(stream: io.BufferedIOBase, chunk: int) -> bytes:
    out = bytearray()
    while piece := stream.read(chunk):
        out += piece
    return bytes(out)


def _outcome(opener, chunk: int) -> tuple[str, bytes]:
    """("read", the bytes) or ("refused", b""): what the gateway makes of it (gateway.dossier.extract)."""
    try:
        with opener() as stream:
            return "read", _read_all(stream, chunk)
    except _ERRORS:
        return "refused", b""


def _zipfile_entry(data: bytes) -> zipfile.ZipInfo | None:
    try:
        members = [m for m in zipfile.ZipFile(io.BytesIO(data)).infolist() if not m.is_dir()]
    except (*_ERRORS, IndexError):
        return None
    return members[0] if len(members) == 1 else None


def assert_agrees_with_zipfile(data: bytes) -> bool:
    """True when the fast reader answered (and agreed)."""
    plain = plain_entry(data)
    if plain is None:
        return False
    archive = zipfile.ZipFile(io.BytesIO(data))
    (member,) = archive.infolist()
    assert not member.is_dir()
    for field in ("filename", "orig_filename", "flag_bits", "compress_type", "file_size", "compress_size", "CRC"):
        assert getattr(plain.info, field) == getattr(member, field), field
    for chunk in (1, 4096, 256 * 1024):
        assert _outcome(plain.open, chunk) == _outcome(lambda m=member: archive.open(m), chunk)
    return True


def assert_names_agree_with_zipfile(data: bytes) -> bool:
    names = plain_names(data)
    if names is None:
        return False
    assert names == zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "mimetype" not in names
    return True


ORDINARY = [
    ("stored pdf", _zip([("OPP.pdf", document_bytes("pdf", 3000), zipfile.ZIP_STORED)])),
    ("deflated txt", _zip([("Groepsplan.txt", document_bytes("txt", 3000), zipfile.ZIP_DEFLATED)])),
    ("empty file", _zip([("leeg.txt", b"", zipfile.ZIP_DEFLATED)])),
    ("utf-8 name", _zip([("Verslag één.pdf", document_bytes("pdf", 500), zipfile.ZIP_STORED)])),
    ("docx", _zip([("OPP.docx", document_bytes("docx", 5000), zipfile.ZIP_DEFLATED)])),
]


@pytest.mark.parametrize(("name", "data"), ORDINARY, ids=[n for n, _ in ORDINARY])
def test_an_ordinary_one_file_zip_is_read_from_its_bytes_with_zipfiles_verdict(name: str, data: bytes) -> None:
    assert assert_agrees_with_zipfile(data)


def _with_extra(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.extra = struct.pack("<HH", 0x5455, 5) + b"\x01\x00\x00\x00\x00"  # extended timestamp
    return info


def _zip64_local_header(data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z, z.open("groot.txt", "w", force_zip64=True) as f:
        f.write(data)
    return buf.getvalue()


def _zip64_directory(data: bytes) -> bytes:
    """A one-file ZIP whose central directory gives the size in a ZIP64 extra field."""
    plain = bytearray(_zip([("groot.txt", data, zipfile.ZIP_STORED)]))
    at = plain.rfind(b"PK\x01\x02")
    name_size = struct.unpack_from("<H", plain, at + 28)[0]
    struct.pack_into("<I", plain, at + 24, 0xFFFFFFFF)  # file size: see the extra field
    struct.pack_into("<H", plain, at + 30, 12)  # extra length
    end = at + 46 + name_size
    extra = struct.pack("<HHQ", 0x0001, 8, len(data))
    out = bytes(plain[:end]) + extra + bytes(plain[end:])
    eocd = bytearray(out[-22:])
    struct.pack_into("<I", eocd, 12, struct.unpack_from("<I", eocd, 12)[0] + 12)  # directory size
    return out[:-22] + bytes(eocd)


def _running_into_the_directory(data: bytes) -> bytes:
    """A stored entry whose compressed size says its data runs on into the central directory: older zipfile
    reads the file's bytes, newer zipfile refuses ("Overlapped entries")."""
    out = bytearray(_zip([("a.txt", data, zipfile.ZIP_STORED)]))
    at = out.rfind(b"PK\x01\x02")
    struct.pack_into("<I", out, at + 20, len(data) + 10)  # compressed size
    return bytes(out)


def _with_unicode_path(name: str, unicode_name: str) -> zipfile.ZipInfo:
    """A Unicode Path extra field (0x7075): newer zipfile lists ``unicode_name``, older zipfile ``name``."""
    info = zipfile.ZipInfo(name)
    field = struct.pack("<BL", 1, zlib.crc32(name.encode("ascii"))) + unicode_name.encode("utf-8")
    info.extra = struct.pack("<HH", 0x7075, len(field)) + field
    return info


UNUSUAL = [
    ("comment", _zip([("a.txt", b"abc", zipfile.ZIP_STORED)], comment=b"hallo")),
    ("two entries", _zip([("a.txt", b"abc", 0), ("b.txt", b"def", 0)])),
    ("directory", _zip([("map/", b"", zipfile.ZIP_STORED)])),
    ("prepended", b"MZ" * 50 + _zip([("a.txt", b"abc" * 50, zipfile.ZIP_STORED)])),
    ("zip64 directory", _zip64_directory(b"inhoud " * 100)),
    ("nul in name", _zip([("a.txt#.exe", b"abc" * 50, zipfile.ZIP_STORED)]).replace(b"a.txt#", b"a.txt\x00")),
    ("no entries", _zip([])),
    ("data into the directory", _running_into_the_directory(b"abc" * 50)),
    ("unicode path", _zip([(_with_unicode_path("Verslag.pdf", "Verslag één.pdf"), b"abc" * 50, 0)])),
]


@pytest.mark.parametrize(("name", "data"), UNUSUAL, ids=[n for n, _ in UNUSUAL])
def test_an_unusual_zip_is_left_to_zipfile(name: str, data: bytes) -> None:
    assert plain_entry(data) is None


def test_names_from_a_unicode_path_field_are_left_to_zipfile() -> None:
    data = _zip([(_with_unicode_path("a.txt", "één.txt"), b"abc", 0), ("b.txt", b"def", 0)])
    assert plain_names(data) is None


def test_extra_fields_other_than_zip64_are_read_from_bytes() -> None:
    data = _zip([(_with_extra("OPP.pdf"), document_bytes("pdf", 800), zipfile.ZIP_STORED)])
    assert assert_agrees_with_zipfile(data)


def test_a_zip64_local_header_does_not_matter_zipfile_reads_the_directory() -> None:
    assert assert_agrees_with_zipfile(_zip64_local_header(b"inhoud " * 100))


def test_the_crafted_zip64_directory_is_one_zipfile_reads() -> None:
    (member,) = zipfile.ZipFile(io.BytesIO(_zip64_directory(b"inhoud " * 100))).infolist()
    assert member.file_size == 700


def _mutations(data: bytes, seed: int, n: int) -> list[bytes]:
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        z = bytearray(data)
        for _ in range(rnd.randint(1, 3)):
            region = rnd.random()
            if region < 0.4:
                at = rnd.randrange(0, min(len(z), 60))
            elif region < 0.8:
                at = max(0, len(z) - 1 - rnd.randrange(0, min(len(z), 100)))
            else:
                at = rnd.randrange(0, len(z))
            if rnd.random() < 0.7:
                z[at] ^= 1 << rnd.randrange(8)
            else:
                z[at] = rnd.randrange(256)
        out.append(bytes(z))
    return out


def test_flipped_bytes_in_headers_and_data_give_zipfiles_verdict_or_are_left_to_zipfile() -> None:
    answered = 0
    for _, data in ORDINARY:
        for variant in _mutations(data, seed=len(data), n=300):
            answered += assert_agrees_with_zipfile(variant)
            assert_names_agree_with_zipfile(variant)
    assert answered > 100  # the fast reader is not bypassed altogether


@settings(max_examples=200, deadline=None)
@given(mutated(ORDINARY[1][1], max_edits=3))
def test_any_damage_gives_zipfiles_verdict_or_is_left_to_zipfile(data: bytes) -> None:
    assert_agrees_with_zipfile(data)
    assert_names_agree_with_zipfile(data)


@pytest.mark.filterwarnings("ignore:Duplicate name")
@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(
                st.characters(blacklist_characters="\x00", blacklist_categories=_SURROGATES), min_size=1, max_size=12
            ),
            st.binary(max_size=300),
            st.sampled_from([0, 8]),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_any_archive_zipfile_writes_is_listed_like_zipfile(entries: list[tuple[str, bytes, int]]) -> None:
    data = _zip(entries)
    if len(entries) == 1 and _zipfile_entry(data) is not None:
        assert_agrees_with_zipfile(data)
    answered = assert_names_agree_with_zipfile(data)
    assert answered or any(name == "mimetype" for name, _, _ in entries) or len(data) < 98


def test_an_ooxml_document_is_listed_from_its_bytes_and_an_odf_one_by_zipfile() -> None:
    assert (
        plain_names(document_bytes("docx", 3000))
        == zipfile.ZipFile(io.BytesIO(document_bytes("docx", 3000))).namelist()
    )
    assert plain_names(document_bytes("odt", 3000)) is None  # ODF: zipfile reads its mimetype entry
