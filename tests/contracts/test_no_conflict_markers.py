"""No file of the repository holds a merge's conflict markers (a branch once merged main and committed them in
two docs; nothing else would have noticed)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_MARKER = re.compile(rb"^(<<<<<<< |>>>>>>> |\|\|\|\|\|\|\| )", re.MULTILINE)


def _tracked() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: nothing to compare against")
    return [REPO / name for name in out.decode().split("\0") if name]


def test_no_tracked_file_holds_conflict_markers() -> None:
    found = []
    for path in _tracked():
        if not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:  # binary (screenshots)
            continue
        for m in _MARKER.finditer(data):
            line = data[: m.start()].count(b"\n") + 1
            found.append(f"{path.relative_to(REPO)}:{line}")
    assert not found, f"conflict markers: {found}"


def test_the_check_sees_a_marker() -> None:
    assert _MARKER.search(b"text\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> main\n")
