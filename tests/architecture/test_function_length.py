"""No function over 80 lines in the code tree (issue 17): a longer one is split into named steps.

A function's length runs from its ``def`` line to its last line (docstring and comments included, decorators
not). Nested functions count on their own and inside the function that holds them.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TREES = ("gateway", "adapters", "verification")
MAX_LINES = 80
GENERATED = ("gateway/store/migrations/versions/",)

# A function allowed to stay longer, with the reason next to it (a listed function that is short by then fails
# test_the_allow_list_holds_only_long_functions). Empty: every function is split into named steps.
ALLOWED: frozenset[tuple[str, str]] = frozenset()


def long_functions(source: str, limit: int = MAX_LINES) -> list[tuple[str, int]]:
    """(name, lines) of every function in the source longer than ``limit`` lines."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > limit:
                found.append((node.name, lines))
    return found


def long_functions_in_tree() -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for top in TREES:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith(GENERATED):
                continue
            for name, lines in long_functions(path.read_text(encoding="utf-8")):
                found[(rel, name)] = lines
    return found


def test_no_function_is_longer_than_80_lines() -> None:
    too_long = {key: n for key, n in long_functions_in_tree().items() if key not in ALLOWED}
    assert not too_long, "split these into named steps: " + ", ".join(
        f"{path} {name} ({n} lines)" for (path, name), n in sorted(too_long.items())
    )


def test_the_allow_list_holds_only_long_functions() -> None:
    paid = sorted(ALLOWED - set(long_functions_in_tree()))
    assert not paid, f"no longer over {MAX_LINES} lines (or gone): remove from ALLOWED: {paid}"


def test_the_count_includes_the_def_line_through_the_last_line() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(79))
    assert long_functions(f"def f():\n{body}") == []  # 80 lines
    assert long_functions(f"def f():\n{body}    x = 0\n") == [("f", 81)]
    method = textwrap.indent(f"async def m(self):\n{body}    y = 1\n", "    ")
    assert long_functions(f"class C:\n{method}") == [("m", 81)]
