"""The ESIS refusal table (adapters/esis/refusals.py) and the code agree: every ESIS_* code written in the
adapter is in the table, every code in the table is used, and every refusal answers with a status the table
lists for its code. Read from the source (ast), so a new inline code without a table row fails here."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from adapters.esis.refusals import TABLE

ESIS = Path(__file__).resolve().parents[2] / "adapters" / "esis"


def _code(node: ast.AST) -> str | None:
    """The ESIS refusal code a node spells, if it is one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("ESIS_"):
        return node.value
    return None


def _is_code(node: ast.AST) -> bool:
    return _code(node) is not None


def _sources() -> list[tuple[Path, ast.AST]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(ESIS.glob("*.py")) if p.name != "refusals.py"]


def codes_in_source() -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for path, tree in _sources():
        for node in ast.walk(tree):
            if (
                _is_code(node)
                and isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.isupper()
            ):
                found[node.value].append(f"{path.name}:{node.lineno}")
    return found


def answered_statuses() -> list[tuple[str, int, str]]:
    """(code, status, where) for ``refuse(<status>, "<code>", …)`` and ``ApiError(<status>, [fout("<code>", …)…])``."""
    found: list[tuple[str, int, str]] = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
                continue
            status = node.args[0].value
            if not isinstance(status, int):
                continue
            name = ast.unparse(node.func)
            if name == "refuse" and len(node.args) > 1 and (code := _code(node.args[1])):
                found.append((code, status, f"{path.name}:{node.lineno}"))
            elif name == "ApiError" and len(node.args) > 1:
                for inner in ast.walk(node.args[1]):
                    if isinstance(inner, ast.Call) and inner.args and (code := _code(inner.args[0])):
                        found.append((code, status, f"{path.name}:{node.lineno}"))
    return found


def test_every_code_written_in_the_adapter_is_in_the_table() -> None:
    missing = {code: where for code, where in codes_in_source().items() if code not in TABLE}
    assert not missing, f"add these ESIS codes to adapters/esis/refusals.py: {missing}"


def test_every_code_in_the_table_is_used() -> None:
    unused = sorted(set(TABLE) - set(codes_in_source()))
    assert not unused, f"no longer used, remove from the table: {unused}"


def test_every_refusal_answers_with_a_status_the_table_lists() -> None:
    found = answered_statuses()
    assert len(found) > 20  # the scanner sees the adapter's refusals
    wrong = [(code, status, where) for code, status, where in found if status not in TABLE[code].statuses]
    assert not wrong, f"status not in the table for the code: {wrong}"


@pytest.mark.parametrize("code", sorted(TABLE))
def test_each_row_says_what_it_means_and_what_to_do(code: str) -> None:
    row = TABLE[code]
    assert row.meaning.strip() and row.action.strip()
    assert (row.stage == "deur") == bool(row.statuses)  # only door refusals are answered with a status
    assert all(400 <= s < 500 for s in row.statuses)
