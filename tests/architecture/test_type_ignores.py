"""Every mypy ignore comment names its error code and says why (issue 17).

An ignore reads ``# type: ignore[code]  # why``: the code keeps it from silencing other errors on the line, the
reason tells the next reader whether it can go (mypy's ``warn_unused_ignores`` removes the ones that no longer
silence anything). Where a library is wrong the reason says so; a loose annotation is fixed instead.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TREES = ("gateway", "adapters", "verification", "partner_kit", "tests", "bench")
_IGNORE = re.compile(r"#\s*type:\s*ignore")
_WITH_CODE_AND_REASON = re.compile(r"#\s*type:\s*ignore\[[a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*\]\s+#\s*\S")


def bare_ignores(source: str) -> list[int]:
    """The lines of the source whose ignore comment lacks an error code or a reason."""
    lines = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and _IGNORE.search(token.string):
            if not _WITH_CODE_AND_REASON.search(token.string):
                lines.append(token.start[0])
    return lines


def bare_ignores_in_tree() -> list[str]:
    found = []
    for top in TREES:
        for path in sorted((ROOT / top).rglob("*.py")):
            for line in bare_ignores(path.read_text(encoding="utf-8")):
                found.append(f"{path.relative_to(ROOT).as_posix()}:{line}")
    return found


def test_every_type_ignore_has_a_code_and_a_reason() -> None:
    bare = bare_ignores_in_tree()
    assert not bare, f"{len(bare)} ignore comments without [code] and '# why': " + ", ".join(bare)


def test_an_ignore_needs_both_the_code_and_the_reason() -> None:
    ti = "type:" + " ignore"  # spelled apart, so that a grep over the tree does not count these samples
    source = (
        f"a = 1  # {ti}\n"
        f"b = 2  # {ti}[arg-type]\n"
        f"c = 3  # {ti}  # why\n"
        f"d = 4  # {ti}[arg-type]  # the library's stub is wrong\n"
        f"e = 5  # {ti}[call-overload, arg-type]  # sqlmodel's overloads\n"
        f's = "# {ti}"\n'  # a string, not a comment
    )
    assert bare_ignores(source) == [1, 2, 3]
