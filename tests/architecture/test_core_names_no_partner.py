"""The core names no partner (issue 17): the pipeline, the inbox and the contracts between them hold no
partner's name in their code — not as an identifier, not as a string. What a source system adds (its hand-off,
its status hook, the Dutch label of whom it waits for) it registers from its own adapter.

Checked statically (ast): every identifier and every string constant that is not a docstring. Comments and
docstrings may name partners as examples. Known debt is listed with its reason; the test fails on any other.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = sorted(
    [
        *(ROOT / "gateway" / "pipeline").rglob("*.py"),
        *(ROOT / "gateway" / "inbox").glob("*.py"),
        ROOT / "gateway" / "errors.py",
        ROOT / "gateway" / "doorbell.py",
        ROOT / "gateway" / "components.py",
    ]
)
# a partner's name as a word of an identifier or a string: "oso_terugkoppeling", "esis:…", "parnassys"
PARTNER = re.compile(r"(?<![a-z])(parnassys|esis|oso|osr|las|traffic_center|kindkans)(?![a-z])", re.IGNORECASE)

# identifiers that contain such a word without naming a partner, with why
NOT_A_PARTNER: dict[str, str] = {
    "via_las": "the aanvraagtype catalogue's 'may come through a LAS': LAS is the domain's word for any "
    "pupil-administration system",
}

# (file, name found) → why it is still there
KNOWN_DEBT: dict[tuple[str, str], str] = {
    ("gateway/pipeline/ports/registry.py", "osr"): "the store port for the OSR's mandates (issue 17 part c): the "
    "mandaat table keeps the OSR's answer as the registry's own data (bron='osr'), read by the koppelcheck",
}


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def partner_names(source: str) -> list[tuple[int, str, str]]:
    """(line, partner word, text) of every identifier or non-docstring string that names a partner."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    hits: list[tuple[int, str, str]] = []
    for node in ast.walk(tree):
        text: str | None = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            text = node.value
        elif isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        elif isinstance(node, ast.arg):
            text = node.arg
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            text = node.name
        elif isinstance(node, ast.keyword) and node.arg:
            text = node.arg
        if text is not None and text not in NOT_A_PARTNER:
            hits += [(getattr(node, "lineno", 0), m.group(1).lower(), text) for m in PARTNER.finditer(text)]
    return hits


def test_the_pipeline_and_the_inbox_name_no_partner() -> None:
    found = []
    for path in CORE:
        rel = path.relative_to(ROOT).as_posix()
        for line, word, text in partner_names(path.read_text(encoding="utf-8")):
            if (rel, word) not in KNOWN_DEBT:
                found.append(f"{rel}:{line}: {text!r}")
    assert found == [], "the core names a partner; let the adapter register it (gateway.pipeline.contracts)"


def test_the_check_sees_a_partner_in_code_but_not_in_docstrings_or_ordinary_words() -> None:
    code = '''
"""The terugkoppeling for ParnasSys (an example in a docstring is fine)."""
def change(hv):
    """OSO: also fine here."""
    last_reaction_at = hv.klasse  # words that merely contain the letters
    if hv.source_system == "parnassys":
        kind = "oso_terugkoppeling"
    return hv.esis_request_key, {"las": "het LAS"}
'''
    hits = partner_names(code)
    assert {word for _, word, _ in hits} == {"parnassys", "oso", "esis", "las"}
    assert {text for _, _, text in hits} == {"parnassys", "oso_terugkoppeling", "esis_request_key", "las", "het LAS"}
