"""Pure rules on one attachment (bijlage) of a dossier: what its bytes really are, whether that type and
size are allowed, and the handbook's advice on names (§2.2).

Nothing here reads a file: the gateway's extractor reads the bytes and hands over what these rules need
(the first bytes, the names inside a ZIP container, the ODF ``mimetype`` entry, the OLE2 directory names).

Allowed types (OSO gegevensset, ``document/bestandsnaam``): PDF, JPG, PNG, DOC, DOCX, ODF, XLS, XLSX, TXT,
PPT, PPTX. OOXML, ODF and a plain ZIP all start with ``PK``: they are told apart by the names inside
(``[Content_Types].xml`` + ``word/``, ``xl/``, ``ppt/``) and by the ODF ``mimetype`` entry. DOC, XLS and PPT
are OLE2 compound files told apart by their directory entries (``WordDocument``, ``Workbook``/``Book``,
``PowerPoint Document``).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Collection, Sequence

from verification.findings import Finding, fout, waarschuwing

__all__ = [
    "ALLOWED_TYPES",
    "check_bestandsnaam",
    "check_entry_name",
    "check_omschrijving",
    "check_size",
    "check_type",
    "check_zip_entry",
    "ole2_directory_offset",
    "ole2_names",
    "sniff",
    "zip_entry_count",
]

ALLOWED_TYPES = frozenset(
    {"pdf", "jpg", "png", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "odt", "ods", "odp", "odg", "odf"}
)
_EXTENSIONS: dict[str, frozenset[str]] = {
    "pdf": frozenset({"pdf"}),
    "jpg": frozenset({"jpg", "jpeg", "jpe", "jfif"}),
    "png": frozenset({"png"}),
    "doc": frozenset({"doc", "dot"}),
    "docx": frozenset({"docx", "docm", "dotx"}),
    "xls": frozenset({"xls", "xlt"}),
    "xlsx": frozenset({"xlsx", "xlsm", "xltx"}),
    "ppt": frozenset({"ppt", "pps", "pot"}),
    "pptx": frozenset({"pptx", "ppsx", "potx"}),
    "txt": frozenset({"txt", "text", "csv", "log"}),
    "odt": frozenset({"odt", "odf"}),
    "ods": frozenset({"ods", "odf"}),
    "odp": frozenset({"odp", "odf"}),
    "odg": frozenset({"odg", "odf"}),
    "odf": frozenset({"odf"}),
}
_ODF_MIMETYPES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "application/vnd.oasis.opendocument.graphics": "odg",
    "application/vnd.oasis.opendocument.formula": "odf",
}
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TYPE_LABELS = {
    "zip": "ZIP-archief",
    "exe": "programma (EXE)",
    "gif": "GIF-afbeelding",
    "rar": "RAR-archief",
    "7z": "7-Zip-archief",
    "gz": "gzip-archief",
    "html": "webpagina (HTML)",
    "ole2": "onbekend Office-bestand",
}


# ---------------------------------------------------------------------------------------------- sniffing


def sniff(
    head: bytes,
    *,
    zip_names: Collection[str] | None = None,
    odf_mimetype: bytes | None = None,
    ole_names: Collection[str] | None = None,
) -> str | None:
    """The type of a document from its bytes: an allowed type (``ALLOWED_TYPES``), a label of a known
    but refused type (``zip``, ``exe``, ``gif``, ``ole2``, ...), or None when nothing is recognised."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _sniff_zip(zip_names or (), odf_mimetype)
    if head.startswith(_OLE2_MAGIC):
        names = {n.lower() for n in (ole_names or ())}
        if "worddocument" in names:
            return "doc"
        if "workbook" in names or "book" in names:
            return "xls"
        if "powerpoint document" in names:
            return "ppt"
        return "ole2"
    if head.startswith(b"MZ"):
        return "exe"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"Rar!\x1a\x07"):
        return "rar"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if head.startswith(b"\x1f\x8b"):
        return "gz"
    if _looks_like_text(head):
        stripped = head.lstrip()[:64].lower()
        if stripped.startswith((b"<!doctype html", b"<html")):
            return "html"
        return "txt"
    return None


def _sniff_zip(names: Collection[str], odf_mimetype: bytes | None) -> str:
    if odf_mimetype is not None:
        found = _ODF_MIMETYPES.get(odf_mimetype.decode("ascii", "replace").strip())
        if found:
            return found
    if "[Content_Types].xml" in names:
        prefixes = {n.split("/", 1)[0] for n in names if "/" in n}
        for prefix, kind in (("word", "docx"), ("xl", "xlsx"), ("ppt", "pptx")):
            if prefix in prefixes:
                return kind
    return "zip"


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return True  # an empty file is empty text
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16 with byte-order mark
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as e:
        if e.start >= len(head) - 3 and e.reason == "unexpected end of data":
            return True  # a multibyte character cut off by the end of the head
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls * 100 <= len(head)  # cp1252/latin-1 text: almost no control characters


def ole2_directory_offset(header: bytes) -> tuple[int, int] | None:
    """(offset, length) of the first directory sector of an OLE2 compound file, from its 512-byte header."""
    if len(header) < 512 or not header.startswith(_OLE2_MAGIC):
        return None
    shift = struct.unpack_from("<H", header, 0x1E)[0]
    if shift not in (9, 12):
        return None
    size = 1 << shift
    first = struct.unpack_from("<I", header, 0x30)[0]
    if first >= 0xFFFFFFFA:
        return None
    return (first + 1) * size, size


def ole2_names(sector: bytes) -> list[str]:
    """The entry names in one OLE2 directory sector (128-byte entries, UTF-16LE names)."""
    names = []
    for offset in range(0, len(sector) - 127, 128):
        length = struct.unpack_from("<H", sector, offset + 0x40)[0]
        if 2 <= length <= 64:
            names.append(sector[offset : offset + length - 2].decode("utf-16-le", "replace"))
    return names


def zip_entry_count(tail: bytes, start: int = 0) -> int | None:
    """Entries announced by a ZIP's end-of-central-directory record, from the file's last bytes (≤ 64 KiB +
    22), which begin at ``start`` in ``tail`` (a caller holding the whole file passes it and where its tail
    begins). Read before listing a ZIP so that a directory of a million entries is refused unread."""
    at = tail.rfind(b"PK\x05\x06", start)
    if at < 0 or len(tail) - at < 22:
        return None
    (count,) = struct.unpack_from("<H", tail, at + 10)
    return int(count)


# ---------------------------------------------------------------------------------------------- rules


def check_type(detected: str | None, bestandsnaam: str, location: str | None) -> list[Finding]:
    if detected not in ALLOWED_TYPES:
        label = _TYPE_LABELS.get(detected or "", "onbekend bestandstype")
        return [
            fout(
                "BIJLAGE_TYPE_NIET_TOEGESTAAN",
                f"De bijlage '{bestandsnaam}' is een {label}. Alleen PDF, JPG, PNG, DOC, DOCX, ODF, XLS, XLSX, "
                "TXT, PPT en PPTX zijn toegestaan; sla het document op als PDF en voeg het opnieuw toe.",
                location,
            )
        ]
    extension = bestandsnaam.rsplit(".", 1)[-1].lower() if "." in bestandsnaam else ""
    if extension not in _EXTENSIONS[detected]:
        return [
            waarschuwing(
                "BIJLAGE_EXTENSIE_WIJKT_AF",
                f"De bijlage '{bestandsnaam}' is volgens de inhoud een {detected.upper()}-bestand, maar de naam "
                "zegt iets anders. Controleer of het juiste document is meegestuurd.",
                location,
            )
        ]
    return []


def check_size(size: int, limit: int, bestandsnaam: str, location: str | None) -> list[Finding]:
    if size <= limit:
        return []
    return [
        fout(
            "BIJLAGE_TE_GROOT",
            f"De bijlage '{bestandsnaam}' is groter dan {limit // (1024 * 1024)} MB. Verklein het document "
            "(bijvoorbeeld als PDF met lagere resolutie) of splits het op.",
            location,
        )
    ]


def check_zip_entry(
    file_size: int,
    compress_size: int,
    *,
    max_size: int,
    max_ratio: float,
    ratio_from: int,
    bestandsnaam: str,
    location: str | None,
) -> list[Finding]:
    """The sizes a ZIP entry announces, judged before a byte is decompressed: the absolute limit first,
    then the compression ratio (a bomb stays under the limit but expands absurdly)."""
    if file_size > max_size:
        return check_size(file_size, max_size, bestandsnaam, location)
    if file_size > ratio_from and file_size > max_ratio * max(compress_size, 1):
        return [
            fout(
                "BIJLAGE_ZIP_BOM",
                f"De bijlage '{bestandsnaam}' pakt uit tot een onwaarschijnlijk groot bestand (ZIP-bom) en is "
                "niet uitgepakt. Stuur het document opnieuw.",
                location,
            )
        ]
    return []


_UNSAFE = re.compile(r"(^[/\\])|(^[A-Za-z]:)|[\\\x00-\x1f]|(^|/)\.\.(/|$)")


def check_entry_name(entry: str, bestandsnaam: str, location: str | None) -> list[Finding]:
    """The name of the file inside the ZIP: never a path that could escape a folder; a name that differs
    from ``bestandsnaam`` is only noted (the official examples do it)."""
    if _UNSAFE.search(entry):
        return [
            fout(
                "BIJLAGE_PAD_ONVEILIG",
                f"De bijlage '{bestandsnaam}' bevat een bestand met een onveilige padnaam en is niet uitgepakt. "
                "Stuur het document opnieuw, zonder mappen in de ZIP.",
                location,
            )
        ]
    if entry.rsplit("/", 1)[-1] != bestandsnaam:
        return [
            waarschuwing(
                "BIJLAGE_NAAM_WIJKT_AF",
                f"Het bestand in de ZIP heet anders dan de bijlage '{bestandsnaam}'; de bestandsnaam uit het "
                "dossier is aangehouden.",
                location,
            )
        ]
    return []


_VAGUE_STEMS = frozenset(
    {
        "scan",
        "scans",
        "img",
        "image",
        "afbeelding",
        "dsc",
        "dscn",
        "dscf",
        "pxl",
        "photo",
        "foto",
        "pic",
        "document",
        "doc",
        "documenten",
        "bestand",
        "file",
        "untitled",
        "naamloos",
        "nieuw",
        "new",
        "kopie",
        "copy",
        "bijlage",
        "scanned",
        "screenshot",
        "schermafbeelding",
        "whatsapp",
        "word",
        "pdf",
        "mijnscan",
    }
)


_NOT_LETTERS = re.compile(r"[^a-z]+")
_WORD = re.compile(r"\w+")


def check_bestandsnaam(bestandsnaam: str, location: str | None) -> list[Finding]:
    """Handbook §2.2: a file name says what the document is (``OPPondertekening.pdf``, not
    ``scan20230106.pdf``)."""
    stem = bestandsnaam.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower()
    letters = _NOT_LETTERS.sub("", stem)
    if letters in _VAGUE_STEMS or len(letters) < 3:
        return [
            waarschuwing(
                "BIJLAGE_NAAM_NIET_BESCHRIJVEND",
                f"De bestandsnaam '{bestandsnaam}' zegt niet wat het document is. Geef bijlagen een naam als "
                "'OPPondertekening.pdf'.",
                location,
            )
        ]
    return []


def check_same_content(bestandsnaam: str, kept_as: str, location: str | None) -> Finding:
    """Two documents of one hulpvraag with exactly the same bytes are one bijlage (it is kept once, under the
    first name): the finding on the kept one names the file that was not kept, in case another document was
    meant."""
    return waarschuwing(
        "BIJLAGE_INHOUD_DUBBEL",
        f"De bijlage '{bestandsnaam}' is precies hetzelfde bestand als '{kept_as}' en is één keer bewaard, als "
        f"'{kept_as}'. Was een ander document bedoeld? Stuur dat dan alsnog.",
        location,
    )


def check_omschrijving(omschrijving: str | None, names: Sequence[str | None], location: str | None) -> list[Finding]:
    """Handbook §2.2: the pupil's name does not belong in the omschrijving of a bijlage."""
    if not omschrijving:
        return []
    words = set(_WORD.findall(omschrijving.lower()))
    lowered = omschrijving.lower()
    for name in names:
        if not name or len(name.strip()) < 2:
            continue
        wanted = name.strip().lower()
        if (" " in wanted and re.search(rf"\b{re.escape(wanted)}\b", lowered)) or wanted in words:
            return [
                waarschuwing(
                    "BIJLAGE_OMSCHRIJVING_BEVAT_NAAM",
                    "De omschrijving van de bijlage bevat de naam van de leerling. Laat de naam weg uit de "
                    "omschrijving.",
                    location,
                )
            ]
    return []
