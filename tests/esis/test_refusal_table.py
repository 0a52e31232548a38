"""The ESIS refusal table (adapters/esis/refusals.py) and the code agree: every ESIS_* code written in the
adapter is in the table, every code in the table is used, every refusal answers with a status the table
lists for its code, no ESIS message is written inline, and every message variant a call site names exists and
is used. Read from the source (ast), so a new inline code or text without a table row fails here."""

from __future__ import annotations

import ast
import string
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
            if name in ("refuse", "refused") and len(node.args) > 1 and (code := _code(node.args[1])):
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


# call → (index of the code argument or the code it implies, index of a positional variant)
_RAISERS: dict[str, tuple[int | str, int | None]] = {
    "refused": (1, None),
    "refusal": (0, 2),
    "refusal_message": (0, 1),
    "self.add": (0, 2),
    "c.add": (0, 2),
    "self.invalid": ("ESIS_VELD_ONGELDIG", 1),
    "c.invalid": ("ESIS_VELD_ONGELDIG", 1),
    "_detail": ("ESIS_MULTIPART_ONGELDIG", 0),
    "self._replay_or_conflict": (2, None),
}


def variants_named() -> list[tuple[str, str, str]]:
    """(code, variant, where) for every call that raises or words an ESIS code by the table."""
    found: list[tuple[str, str, str]] = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or (name := ast.unparse(node.func)) not in _RAISERS:
                continue
            at, positional = _RAISERS[name]
            if isinstance(at, str):
                code: object = at
            elif len(node.args) > at and isinstance(node.args[at], ast.Constant):
                code = node.args[at].value  # type: ignore[attr-defined]  # checked: a Constant
            else:
                continue  # the code is a variable (auth.py's reason): covered by the codes-in-source test
            given = [node.args[positional]] if positional is not None and len(node.args) > positional else []
            given += [kw.value for kw in node.keywords if kw.arg == "variant"]
            if given and not isinstance(given[0], ast.Constant):
                continue  # a helper passing its caller's variant on (`_Checker.invalid`): its callers are seen
            variant = given[0].value if given else ""  # type: ignore[attr-defined]  # checked: a Constant
            found.append((str(code), str(variant), f"{path.name}:{node.lineno}"))
    return found


def test_no_esis_message_is_written_inline() -> None:
    inline = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in ("fout", "waarschuwing", "refuse", "Finding"):
                if any(_is_code(arg) for arg in node.args):
                    inline.append(f"{path.name}:{node.lineno}")
    assert not inline, f"ESIS messages belong in adapters/esis/refusals.py; raise by code (refused/refusal): {inline}"


def test_every_variant_named_at_a_call_site_is_in_the_table() -> None:
    found = variants_named()
    assert len(found) > 40  # the scanner sees the call sites
    wrong = [(c, v, where) for c, v, where in found if v not in TABLE[c].messages]
    assert not wrong, f"no such message in the table: {wrong}"


def test_every_message_in_the_table_is_used() -> None:
    used = {(c, v) for c, v, _ in variants_named()}
    used |= {("ESIS_VERIFICATIECODE_NIET_ACTIEF", ""), ("ESIS_VERIFICATIECODE_ONBEKEND", "")}  # auth.py's reason
    unused = sorted((code, v) for code, row in TABLE.items() for v in row.messages if (code, v) not in used)
    assert not unused, f"messages no call site names: {unused}"


@pytest.mark.parametrize("code", sorted(TABLE))
def test_each_message_fills_in_with_what_it_names(code: str) -> None:
    for variant, template in TABLE[code].messages.items():
        names = {f for _, f, _, _ in string.Formatter().parse(template) if f}
        text = TABLE[code].message(variant, **dict.fromkeys(names, 7))
        assert "{" not in text and text.strip(), (code, variant)


@pytest.mark.parametrize("code", sorted(TABLE))
def test_each_row_says_what_it_means_and_what_to_do(code: str) -> None:
    row = TABLE[code]
    assert row.meaning.strip() and row.action.strip()
    assert bool(row.messages) == (row.stage != "logboek")  # every code a sender or the secretariaat reads has its text
    assert (row.stage == "deur") == bool(row.statuses)  # only door refusals are answered with a status
    assert all(400 <= s < 500 for s in row.statuses)
