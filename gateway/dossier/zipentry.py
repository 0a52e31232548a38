"""A ZIP holding one plain file, found straight in its bytes — the usual decoded ``bestandsinhoud`` — with
exactly the verdicts `zipfile` gives.

Opening a one-entry archive with `zipfile.ZipFile` and `ZipFile.open` costs tens of microseconds (the end
record, the central directory and the local header are read through file objects, a `ZipInfo` is built
per entry); for a dossier with 17 small documents that was a tenth of the whole check. `plain_entry` reads
the same records with `struct` and accepts only archives that zipfile reads in exactly the same way:

- the end-of-central-directory record is the last 22 bytes, without a comment and without a ZIP64 locator
  before it, and the central directory ends right where it starts (nothing prepended);
- the central directory holds exactly one entry: signature, version needed ≤ 6.3, a name that decodes
  (UTF-8 when flagged, else cp437), is not empty, holds no NUL and is not a directory, well-formed extra
  fields without a ZIP64 or a Unicode Path one, not encrypted, no patch data or strong encryption, stored
  or deflated;
- its local header is there with its signature and the same name, and all compressed data is present and
  ends before the central directory.

The last two rules keep out what zipfile itself reads differently from one Python version to the next:
since 3.12 (and in the security releases of 3.11) it takes a name from a Unicode Path extra field (0x7075)
and refuses an entry whose data runs into what follows it ("Overlapped entries"). So the verdict here is
the running zipfile's on every interpreter.

For anything else it returns None and the caller asks zipfile, so an unusual or broken archive gets
zipfile's own verdict. The entry is read by zipfile's `ZipExtFile` (same chunks, same CRC check).
``tests/dossier/test_zipentry.py`` holds this against zipfile on mutated archives.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from typing import IO

__all__ = ["PlainEntry", "plain_entry", "plain_names"]

_END = struct.Struct("<4s4H2LH")  # zipfile.structEndArchive
_DIRECTORY = struct.Struct("<4s4B4HL2L5H2L")  # zipfile.structCentralDir
_LOCAL = struct.Struct("<4s2B4HL2L2H")  # zipfile.structFileHeader
_EXTRA = struct.Struct("<HH")
_UTF8_NAME = 1 << 11
_REFUSED_FLAGS = (1 << 0) | (1 << 5) | (1 << 6)  # encrypted, compressed patch data, strong encryption
_MAX_EXTRACT_VERSION = 63  # zipfile.MAX_EXTRACT_VERSION
_VERSIONED_EXTRA = (0x0001, 0x7075)  # ZIP64, Unicode Path: read by zipfile, differently per Python version


class PlainEntry:
    """The one entry of a plain archive: ``info`` as zipfile would list it, ``open()`` to read it."""

    __slots__ = ("_data", "_offset", "info")

    def __init__(self, data: bytes, info: zipfile.ZipInfo, offset: int) -> None:
        self._data = data
        self._offset = offset
        self.info = info

    def open(self) -> IO[bytes]:
        """The entry's content to read, as zipfile's ``ZipFile.open`` gives it. A stored entry is checked
        at once (zipfile checks the CRC when the last piece is read: the same verdict, earlier); a deflated
        one is read by zipfile's ``ZipExtFile`` itself."""
        info = self.info
        if info.compress_type == zipfile.ZIP_STORED:
            # ZipExtFile gives the first min(compress_size, file_size) bytes (all present, see plain_entry)
            end = self._offset + min(info.compress_size, info.file_size)
            content = self._data[self._offset : end]
            if zlib.crc32(content) != info.CRC:
                raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
            return io.BytesIO(content)
        stream = io.BytesIO(self._data)  # shares the bytes, no copy
        stream.seek(self._offset)
        return zipfile.ZipExtFile(stream, "r", info)  # type: ignore[return-value]  # typeshed: ZipExtFile is IO[bytes], unpack wants BinaryIO


def plain_entry(data: bytes) -> PlainEntry | None:
    directory = _directory(data)
    if directory is None:
        return None
    directory_at, directory_size = directory
    if directory_size < _DIRECTORY.size:
        return None
    (
        signature,
        _create_version,
        _create_system,
        extract_version,
        _reserved,
        flags,
        method,
        raw_time,
        _raw_date,
        crc,
        compress_size,
        file_size,
        name_size,
        extra_size,
        comment_size,
        _volume,
        _internal,
        _external,
        header_at,
    ) = _DIRECTORY.unpack_from(data, directory_at)
    if signature != b"PK\x01\x02" or _DIRECTORY.size + name_size + extra_size + comment_size != directory_size:
        return None
    if extract_version > _MAX_EXTRACT_VERSION or flags & _REFUSED_FLAGS or method not in (0, 8):
        return None
    at = directory_at + _DIRECTORY.size
    name = _name(data[at : at + name_size], flags)
    if not name or "\x00" in name or name.endswith("/"):
        return None
    if not _plain_extra(data[at + name_size : at + name_size + extra_size]):
        return None
    size = len(data)
    if header_at + _LOCAL.size > size:
        return None
    local = _LOCAL.unpack_from(data, header_at)
    local_name_size, local_extra_size = local[10], local[11]
    start = header_at + _LOCAL.size
    if local[0] != b"PK\x03\x04" or start + local_name_size > size:
        return None
    if _name(data[start : start + local_name_size], local[3]) != name:
        return None
    offset = start + local_name_size + local_extra_size
    if offset + compress_size > directory_at:  # newer zipfile: "Overlapped entries"
        return None
    info = zipfile.ZipInfo(name)
    info.flag_bits = flags
    info.compress_type = method
    info.CRC = crc
    info.compress_size = compress_size
    info.file_size = file_size
    info.header_offset = header_at
    info._raw_time = raw_time  # type: ignore[attr-defined]  # CPython's private ZipInfo._raw_time, read on purpose
    return PlainEntry(data, info, offset)


def plain_names(data: bytes) -> list[str] | None:
    """``ZipFile(...).namelist()`` of a document that is itself a ZIP (OOXML), or None when zipfile should
    be asked: anything unusual, and any archive with a ``mimetype`` entry (ODF), whose content zipfile
    reads."""
    directory = _directory(data)
    if directory is None:
        return None
    at, directory_size = directory
    end = at + directory_size
    names: list[str] = []
    while at < end:
        if at + _DIRECTORY.size > end:
            return None
        fields = _DIRECTORY.unpack_from(data, at)
        name_size, extra_size, comment_size = fields[12], fields[13], fields[14]
        start = at + _DIRECTORY.size
        at = start + name_size + extra_size + comment_size
        if fields[0] != b"PK\x01\x02" or fields[3] > _MAX_EXTRACT_VERSION or at > end:
            return None
        name = _name(data[start : start + name_size], fields[5])
        if name is None or not _plain_extra(data[start + name_size : start + name_size + extra_size]):
            return None
        cut = name.find("\x00")
        names.append(name if cut < 0 else name[:cut])
    return None if "mimetype" in names else names


def _directory(data: bytes) -> tuple[int, int] | None:
    """Where the central directory is and how long, when zipfile finds it the plain way: the end record is
    the last 22 bytes (no comment), no ZIP64 locator before it, nothing prepended to the archive."""
    size = len(data)
    if size < _END.size + _DIRECTORY.size + _LOCAL.size:
        return None
    signature, _, _, _, _, directory_size, directory_at, comment_size = _END.unpack_from(data, size - _END.size)
    if signature != b"PK\x05\x06" or comment_size:
        return None
    if data[size - _END.size - 20 : size - _END.size - 16] == b"PK\x06\x07":
        return None  # a ZIP64 end-of-central-directory locator
    if directory_at + directory_size != size - _END.size:
        return None
    return directory_at, directory_size


def _name(raw: bytes, flags: int) -> str | None:
    if raw.isascii():
        return raw.decode("ascii")  # UTF-8 and cp437 agree with ASCII on these bytes
    try:
        return raw.decode("utf-8" if flags & _UTF8_NAME else "cp437")
    except UnicodeDecodeError:
        return None


def _plain_extra(extra: bytes) -> bool:
    """Well-formed extra fields without a ZIP64 one (zipfile would change sizes or refuse the archive) or a
    Unicode Path one (newer zipfile takes the name from it)."""
    while len(extra) >= _EXTRA.size:
        kind, length = _EXTRA.unpack_from(extra)
        if length + _EXTRA.size > len(extra) or kind in _VERSIONED_EXTRA:
            return False
        extra = extra[length + _EXTRA.size :]
    return True
