"""The OSO refusal table's HTTP statuses (adapters/parnassys/refusals.py) agree with the code: every
``SoapRejected(refusal("<code>", …), status=<n>)`` and ``_reply_fault([refusal("<code>")…], status=<n>)`` answers
with the status the table gives its code (read from the source with ast)."""

from __future__ import annotations

import ast
from pathlib import Path

from adapters.parnassys.refusals import http_status, known_codes

PARNASSYS = Path(__file__).resolve().parents[2] / "adapters" / "parnassys"


def answered_statuses() -> list[tuple[str, int, str]]:
    found: list[tuple[str, int, str]] = []
    for path in sorted(PARNASSYS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            status = next((k.value for k in node.keywords if k.arg == "status"), None)
            if not (isinstance(status, ast.Constant) and isinstance(status.value, int)):
                continue
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and ast.unparse(inner.func) == "refusal"
                    and inner.args
                    and isinstance(inner.args[0], ast.Constant)
                ):
                    found.append((str(inner.args[0].value), status.value, f"{path.name}:{node.lineno}"))
    return found


def test_every_fixed_status_in_the_code_is_the_tables() -> None:
    found = answered_statuses()
    assert len(found) >= 8  # the scanner sees the transport's refusals
    wrong = [(code, status, where) for code, status, where in found if http_status(code) != status]
    assert not wrong, f"status differs from adapters/parnassys/refusals.py: {wrong}"


def test_worker_side_refusals_have_no_http_status_and_door_refusals_do() -> None:
    for code in known_codes():
        assert (http_status(code) is None) == code.startswith("OSO_"), code
