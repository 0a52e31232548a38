"""The sealed spool (gateway/store/spool.py): bytes written aside in many small pieces come back the same; on
disk they are never plaintext and have no name; closing drops the file, also under a reader still busy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateway.store.spool import CHUNK, SealedSpool, SpoolDamaged

MARKER = b"<voornaam>Fleur</voornaam><bsn>123456782</bsn>"


def _written(data: bytes, directory: Path | None, piece: int = 97) -> SealedSpool:
    spool = SealedSpool(directory)
    for at in range(0, len(data), piece):
        spool.write(data[at : at + piece])
    return spool.seal()


def _on_disk(spool: SealedSpool) -> bytes:
    fd = spool._file.fileno()  # type: ignore[union-attr]  # an open spool has its file
    return os.pread(fd, os.fstat(fd).st_size + 1, 0)


def _fds_on(inode: tuple[int, int]) -> list[int]:
    """The descriptors of this process that point at the file (Linux: /proc/self/fd)."""
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            st = os.stat(f"/proc/self/fd/{name}")
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == inode:
            found.append(int(name))
    return found


def _inode(spool: SealedSpool) -> tuple[int, int]:
    st = os.fstat(spool._file.fileno())  # type: ignore[union-attr]  # an open spool has its file
    return st.st_dev, st.st_ino


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 4321])
@pytest.mark.parametrize("read_by", [1000, CHUNK, 10 * CHUNK])
def test_bytes_written_in_many_small_pieces_read_back_the_same(tmp_path: Path, size: int, read_by: int) -> None:
    data = (MARKER * (size // len(MARKER) + 1))[:size]
    with _written(data, tmp_path) as spool:
        assert spool.size == size
        for _ in range(2):  # every reader starts at the beginning
            with spool.open() as f:
                parts = []
                while part := f.read(read_by):
                    parts.append(part)
            assert b"".join(parts) == data


def test_what_lies_on_disk_is_neither_plaintext_nor_named(tmp_path: Path) -> None:
    data = MARKER * 20_000  # ≈ 1 MB: four sealed chunks and a last one
    with _written(data, tmp_path / "spool") as spool:
        raw = _on_disk(spool)
        assert len(raw) == len(data) + (len(data) // CHUNK + 1) * 16  # the ciphertext and one tag per chunk
        assert b"Fleur" not in raw and b"123456782" not in raw and b"<voornaam>" not in raw
        assert list((tmp_path / "spool").iterdir()) == []  # unlinked: the directory shows nothing
        assert (tmp_path / "spool").stat().st_mode & 0o777 == 0o700


def test_two_spools_of_the_same_bytes_differ_on_disk(tmp_path: Path) -> None:
    """A fresh key per spool: nothing on disk links two copies of one dossier."""
    with _written(MARKER * 100, tmp_path) as one, _written(MARKER * 100, tmp_path) as two:
        assert _on_disk(one) != _on_disk(two)


def test_closing_removes_the_file_and_the_key(tmp_path: Path) -> None:
    spool = _written(MARKER * 10_000, tmp_path)
    inode = _inode(spool)
    assert len(_fds_on(inode)) == 1
    spool.close()
    assert _fds_on(inode) == [] and spool.closed
    with pytest.raises(ValueError):
        spool.open()
    spool.close()  # again: nothing happens


def test_a_reader_busy_when_the_spool_closes_reads_to_the_end_then_the_file_is_gone(tmp_path: Path) -> None:
    data = MARKER * 30_000
    spool = _written(data, tmp_path)
    inode = _inode(spool)
    reader = spool.open()
    first = reader.read(1000)
    spool.close()
    assert first + reader.read() == data
    reader.close()
    assert _fds_on(inode) == []


def test_a_changed_byte_on_disk_is_noticed(tmp_path: Path) -> None:
    with _written(MARKER * 10_000, tmp_path) as spool:
        fd = spool._file.fileno()  # type: ignore[union-attr]  # an open spool has its file
        os.pwrite(fd, bytes([os.pread(fd, 1, CHUNK + 100)[0] ^ 1]), CHUNK + 100)
        with spool.open() as f, pytest.raises(SpoolDamaged):
            f.read()


def test_a_cut_at_a_chunk_boundary_is_noticed(tmp_path: Path) -> None:
    with _written(b"x" * (2 * CHUNK), tmp_path) as spool:
        os.ftruncate(spool._file.fileno(), 2 * (CHUNK + 16))  # type: ignore[union-attr]  # an open spool has its file
        with spool.open() as f, pytest.raises(SpoolDamaged):
            f.read()


def test_no_writes_after_sealing(tmp_path: Path) -> None:
    with _written(b"abc", tmp_path) as spool, pytest.raises(ValueError):
        spool.write(b"d")


def test_an_unusable_directory_falls_back_to_the_system_temp_dir(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_bytes(b"")
    with _written(MARKER, blocked / "spool") as spool, spool.open() as f:
        assert f.read() == MARKER
