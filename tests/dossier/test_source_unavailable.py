"""A dossier whose bytes cannot be read from where the gateway holds them (a disk error, a damaged spool of a big
documentResponse) is not an unreadable dossier: `read_dossier` raises `DossierSourceUnavailable` and the worker
tries the exchange again later, instead of refusing the school's dossier with DOSSIER_ONLEESBAAR."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from adapters.parnassys.dossier_factory import build_dossier
from gateway.dossier import DossierSourceUnavailable, read_dossier
from gateway.store.blobs_local import LocalBlobStore
from gateway.store.spool import CHUNK, SealedSpool


class _FailingAfter(io.RawIOBase):
    """A file-like that gives ``good`` bytes of ``data`` and then fails as a disk does."""

    def __init__(self, data: bytes, good: int) -> None:
        self._data, self._good, self._at = data, good, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # RawIOBase's buffer type
        if self._at >= self._good:
            raise OSError(5, "Input/output error")
        n = min(len(buffer), self._good - self._at)
        buffer[:n] = self._data[self._at : self._at + n]
        self._at += n
        return n


def test_a_disk_error_while_reading_is_raised_not_a_refusal(tmp_path: Path) -> None:
    dossier = build_dossier()
    with pytest.raises(DossierSourceUnavailable):
        read_dossier(io.BufferedReader(_FailingAfter(dossier, len(dossier) // 2)), blobs=LocalBlobStore(tmp_path))


def test_a_damaged_spool_is_raised_not_a_refusal(tmp_path: Path) -> None:
    dossier = build_dossier()
    with SealedSpool(tmp_path / "spool") as spool:
        spool.write(dossier)
        spool.seal()
        fd = spool._file.fileno()  # type: ignore[union-attr]  # an open spool has its file
        at = min(len(dossier), CHUNK) // 2  # one flipped bit inside the first sealed chunk
        os.pwrite(fd, bytes([os.pread(fd, 1, at)[0] ^ 1]), at)
        with spool.open() as source, pytest.raises(DossierSourceUnavailable):
            read_dossier(source, blobs=LocalBlobStore(tmp_path / "blobs"))


def test_an_intact_spool_reads_as_the_dossier(tmp_path: Path) -> None:
    dossier = build_dossier()
    with SealedSpool(tmp_path / "spool") as spool:
        spool.write(dossier)
        spool.seal()
        with spool.open() as source:
            report = read_dossier(source, blobs=LocalBlobStore(tmp_path / "blobs"))
    assert report.valid, [f.code for f in report.findings]


def test_the_error_is_not_an_oserror_that_bad_input_handling_could_swallow() -> None:
    assert not issubclass(DossierSourceUnavailable, OSError)
