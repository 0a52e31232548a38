"""The documents inside a generated SWV dossier: real-looking files of every kind the SWV allows (and some it
does not), zipped as OSO wants them — intact, or broken in one of the ways `ATTACHMENT_BREAKS` names.

Part of the dossier factory (`adapters.parnassys.dossier_factory`); a TEST DOUBLE, never used by `gateway serve`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import random
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "ATTACHMENT_BREAKS",
    "DEFAULT_ATTACHMENTS",
    "HOSTILE_CONTAINERS",
    "AttachmentSpec",
    "base64_parts",
    "document_bytes",
    "lying_docx_bomb",
]


@dataclass(frozen=True)
class AttachmentSpec:
    role: str = "opp"  # "opp" | "toelichting_onderwijsbehoeften" | "overig"
    bestandsnaam: str = "OPP.pdf"
    kind: str = "pdf"  # pdf docx doc odt ods odp xlsx xls pptx ppt txt png jpg exe zip gif
    size: int = 20_000  # size of the document itself (before zipping)
    omschrijving: str | None = None
    broken: str | None = None  # a key of ATTACHMENT_BREAKS
    entry_name: str | None = None  # name inside the ZIP (default: bestandsnaam)

    def document(self) -> bytes:
        """The document's own bytes: the same in every process for the same name, kind and size, and — with a
        64-bit seed from the name's digest — different for different names (two documents of one dossier never
        happen to be byte for byte the same)."""
        seed = int.from_bytes(hashlib.sha256(self.bestandsnaam.encode()).digest()[:8], "big")
        return document_bytes(self.kind, self.size, seed)


DEFAULT_ATTACHMENTS = (
    AttachmentSpec(role="opp", bestandsnaam="OPP.pdf", omschrijving="Ontwikkelingsperspectiefplan"),
    AttachmentSpec(
        role="toelichting_onderwijsbehoeften",
        bestandsnaam="ToelichtingOnderwijsbehoeften.pdf",
        omschrijving="Toelichting onderwijsbehoeften",
    ),
)

# broken= -> the finding code the attachment must get
ATTACHMENT_BREAKS: dict[str, str] = {
    "truncated": "BIJLAGE_ZIP_ONGELDIG",  # the ZIP cut in half, as in the official examples
    "not_zip": "BIJLAGE_ZIP_ONGELDIG",  # the document itself, not zipped
    "base64": "BIJLAGE_BASE64_ONGELDIG",  # a character outside the Base64 alphabet
    "base64_truncated": "BIJLAGE_BASE64_ONGELDIG",  # the last character missing
    "bomb": "BIJLAGE_ZIP_BOM",  # 8 MB of zeros in a few kilobytes
    "too_large": "BIJLAGE_TE_GROOT",  # announces more than the limit (size= decides the real size)
    "traversal": "BIJLAGE_PAD_ONVEILIG",  # entry '../../<name>'
    "absolute": "BIJLAGE_PAD_ONVEILIG",  # entry '/tmp/<name>'
    "multiple": "BIJLAGE_ZIP_MEERDERE_BESTANDEN",  # two entries
    "many_entries": "BIJLAGE_ZIP_MEERDERE_BESTANDEN",  # a thousand entries
    "empty_zip": "BIJLAGE_ZIP_LEEG",
    "encrypted": "BIJLAGE_ZIP_VERSLEUTELD",
    "name_mismatch": "BIJLAGE_NAAM_WIJKT_AF",  # a warning only
}


def _filler(n: int, seed: int, text: bool) -> bytes:
    if n <= 0:
        return b""
    rnd = random.Random(seed)
    if text:
        words = [rnd.choice(_WORDS) for _ in range(n // 5 + 1)]
        return " ".join(words).encode()[:n]
    return rnd.randbytes(n)


_WORDS = (
    "leerling groep ondersteuning begeleiding lezen rekenen taal spelling gedrag motoriek werkhouding "
    "concentratie sociaal emotioneel plan doel evaluatie ouders school intern begeleider leerkracht week "
    "periode toets resultaat niveau aanpak afspraak observatie"
).split()


def _zip_document(names: dict[str, bytes], first: tuple[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        if first:
            z.writestr(zipfile.ZipInfo(first[0]), first[1], compress_type=zipfile.ZIP_STORED)
        for name, data in names.items():
            z.writestr(name, data, compress_type=zipfile.ZIP_STORED if len(data) > 4096 else zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _ole2(stream: str, body: bytes) -> bytes:
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHH", header, 0x18, 0x3E, 3, 0xFFFE)
    struct.pack_into("<H", header, 0x1E, 9)  # 512-byte sectors
    struct.pack_into("<I", header, 0x30, 0)  # directory in sector 0 (file offset 512)
    directory = bytearray(512)
    for i, name in enumerate(("Root Entry", stream)):
        encoded = (name + "\0").encode("utf-16-le")
        directory[i * 128 : i * 128 + len(encoded)] = encoded
        struct.pack_into("<H", directory, i * 128 + 0x40, len(encoded))
    return bytes(header) + bytes(directory) + body


def _build_document(kind: str, size: int, seed: int) -> bytes:
    if kind == "pdf":
        head, tail = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", b"\n%%EOF\n"
        return head + _filler(size - len(head) - len(tail), seed, False) + tail
    if kind == "png":
        head = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x02\x00\x00\x00"
        return head + _filler(size - len(head), seed, False)
    if kind == "jpg":
        head = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        return head + _filler(size - len(head) - 2, seed, False) + b"\xff\xd9"
    if kind == "gif":
        return b"GIF89a" + _filler(size - 6, seed, False)
    if kind == "exe":
        return b"MZ\x90\x00" + _filler(size - 4, seed, False)
    if kind == "txt":
        return _filler(size, seed, True)
    if kind in ("doc", "xls", "ppt"):
        stream = {"doc": "WordDocument", "xls": "Workbook", "ppt": "PowerPoint Document"}[kind]
        return _ole2(stream, _filler(size - 1024, seed, False))
    if kind in ("docx", "xlsx", "pptx"):
        folder = {"docx": "word", "xlsx": "xl", "pptx": "ppt"}[kind]
        parts = {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
            "_rels/.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>',
            f"{folder}/document.xml": b"<document/>",
        }
        parts[f"{folder}/media/image1.bin"] = _filler(max(0, size - 900), seed, False)
        return _zip_document(parts)
    if kind in ("odt", "ods", "odp"):
        mime = {"odt": "text", "ods": "spreadsheet", "odp": "presentation"}[kind]
        parts = {
            "META-INF/manifest.xml": b"<manifest/>",
            "content.xml": b"<office:document-content/>",
            "Pictures/image1.bin": _filler(max(0, size - 800), seed, False),
        }
        return _zip_document(parts, first=("mimetype", f"application/vnd.oasis.opendocument.{mime}".encode()))
    if kind == "zip":
        return _zip_document({"inhoud.txt": _filler(max(0, size - 200), seed, True)})
    if kind == "zip_exe":  # a ZIP holding a program
        return _zip_document({"setup.exe": _build_document("exe", max(600, size - 200), seed)})
    if kind in HOSTILE_CONTAINERS:
        return _hostile_container(kind)
    raise ValueError(f"unknown document kind {kind!r}")


# Office containers built to attack the attachment inspector (gateway.inspection) -> the code they must get
HOSTILE_CONTAINERS: dict[str, str] = {
    "docx_bom": "BIJLAGE_ZIP_BOM",  # ~300 kB whose word/document.xml inflates to 300 MiB; the headers say 1 kB
    "docx_versleuteld": "BIJLAGE_ZIP_VERSLEUTELD",  # one entry flagged as encrypted
    "docx_pad": "BIJLAGE_PAD_ONVEILIG",  # an entry '../../evil.xml'
    "docx_genest": "BIJLAGE_ZIP_TE_DIEP_GENEST",  # a ZIP in a ZIP in a ZIP in the document
}


@functools.lru_cache(maxsize=8)
def _hostile_container(kind: str) -> bytes:
    if kind == "docx_bom":
        return lying_docx_bomb()
    parts = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<document/>"}
    if kind == "docx_pad":
        parts["../../evil.xml"] = b"<x/>"
    if kind == "docx_genest":
        inner = _zip_document({"a.txt": b"diep"})
        for level in range(3):
            inner = _zip_document({f"laag{level}.zip": inner})
        parts["word/embeddings/object.zip"] = inner
    data = _zip_document(parts)
    if kind == "docx_versleuteld":
        raw = bytearray(data)
        raw[6] |= 0x01
        cd = raw.find(b"PK\x01\x02")
        raw[cd + 8] |= 0x01
        data = bytes(raw)
    return data


def lying_docx_bomb(inflated: int = 300 * 1024 * 1024, announced: int = 1024) -> bytes:
    """A DOCX whose ``word/document.xml`` inflates to ``inflated`` bytes of zeros while its local and
    central headers announce ``announced`` bytes: the ZIP bomb with lying size headers (≈ 306 kB for
    300 MiB). Built streaming, never whole in memory."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("word/document.xml", b"")  # placeholder entry, replaced below
    # write the bomb entry by hand: local header, raw deflate stream, then fix the directory
    head = buf.getvalue()
    cd_at = head.rfind(b"PK\x01\x02")
    local_at = struct.unpack_from("<I", head, cd_at + 42)[0]
    out = bytearray(head[:local_at])
    name = b"word/document.xml"
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = b"\0" * (1024 * 1024)
    body = bytearray()
    for _ in range(inflated // len(block)):
        body += packer.compress(block)
    body += packer.flush()
    out += struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, 8, 0, 0, 0, len(body), announced, len(name), 0)
    out += name + body
    directory_at = len(out)
    first_cd = head[head.find(b"PK\x01\x02") : cd_at]
    out += first_cd
    out += struct.pack(
        "<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 0, 20, 0, 0, 8, 0, 0, 0, len(body), announced, len(name), 0, 0, 0, 0,
        0, local_at,
    )  # fmt: skip
    out += name
    size = len(out) - directory_at
    out += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 2, 2, size, directory_at, 0)
    return bytes(out)


@functools.lru_cache(maxsize=128)
def _cached_document(kind: str, size: int, seed: int) -> bytes:
    return _build_document(kind, size, seed)


def document_bytes(kind: str = "pdf", size: int = 20_000, seed: int = 0) -> bytes:
    """The bytes of one generated document of ``kind`` (about ``size`` bytes; cached up to 1 MB)."""
    if size <= 1024 * 1024:
        return _cached_document(kind, size, seed)
    return _build_document(kind, size, seed)


def _zip_for(spec: AttachmentSpec) -> bytes:
    doc = spec.document()
    entry = spec.entry_name or spec.bestandsnaam
    broken = spec.broken
    if broken == "not_zip":
        return doc
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        if broken == "bomb":
            z.writestr(entry, b"\0" * (8 * 1024 * 1024))
        elif broken == "empty_zip":
            pass
        elif broken == "many_entries":
            for i in range(1000):
                z.writestr(f"deel{i}.txt", b"")
        else:
            hostile = {
                "traversal": f"../../{entry}",
                "absolute": "/" + f"tmp/{entry}",  # a hostile entry name, not a file we write
                "name_mismatch": f"anders-{entry}",
            }
            name = hostile.get(broken or "", entry)
            compress = zipfile.ZIP_STORED if spec.kind not in ("txt",) else zipfile.ZIP_DEFLATED
            z.writestr(name, doc, compress_type=compress)
            if broken == "multiple":
                z.writestr("tweede.txt", b"nog een bestand")
    data = buf.getvalue()
    if broken == "truncated":
        return data[: max(30, len(data) // 2)]
    if broken == "encrypted":
        raw = bytearray(data)
        raw[6] |= 0x01  # local header general-purpose flag
        cd = raw.rfind(b"PK\x01\x02")
        raw[cd + 8] |= 0x01  # central directory flag
        return bytes(raw)
    if broken == "too_large":
        raw = bytearray(data)
        cd = raw.rfind(b"PK\x01\x02")
        struct.pack_into("<I", raw, cd + 24, 64 * 1024 * 1024)  # announce 64 MB uncompressed
        return bytes(raw)
    return data


def base64_parts(spec: AttachmentSpec, wrap: bool) -> Iterator[str]:
    data = _zip_for(spec)
    step = 3 * 65536 if not wrap else 57 * 1024
    parts: list[str] = []
    for at in range(0, len(data), step):
        text = base64.b64encode(data[at : at + step]).decode("ascii")
        if wrap:
            text = "\n".join(text[i : i + 76] for i in range(0, len(text), 76)) + "\n"
        parts.append(text)
    if spec.broken == "base64" and parts:
        parts[0] = parts[0][:8] + "!!!!" + parts[0][12:]
    if spec.broken == "base64_truncated" and parts:
        parts[-1] = parts[-1].rstrip()[:-1]
    yield from parts
