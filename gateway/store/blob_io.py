"""The position-keeping part shared by the blob store's seekable readers (decrypting, S3 ranges)."""

from __future__ import annotations

import io

__all__ = ["SeekableReader"]


class SeekableReader(io.RawIOBase):
    """A read-only raw stream of known ``size`` that keeps its own position (``_pos``). Subclasses implement
    ``readinto`` and may override `_moved_to` to drop state that belongs to the old position."""

    size: int
    _pos: int = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        pos = base + offset
        if pos < 0:
            raise ValueError("negative seek position")
        if pos != self._pos:
            self._moved_to(pos)
        return pos

    def _moved_to(self, pos: int) -> None:
        self._pos = pos
