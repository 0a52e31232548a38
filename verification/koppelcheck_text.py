"""Plain-text rendering of a `KoppelcheckReport` for the terminal (no colours, no I/O)."""

from __future__ import annotations

import textwrap

from verification.koppelcheck import CheckStatus, KoppelcheckReport

__all__ = ["render_text"]

_MARK = {
    CheckStatus.OK: "OK",
    CheckStatus.FOUT: "FOUT",
    CheckStatus.WAARSCHUWING: "LET OP",
    CheckStatus.ONBEKEND: "ONBEKEND",
}


def render_text(report: KoppelcheckReport, width: int = 100) -> str:
    title = f"Koppelcheck {report.brin6}"
    if report.naam:
        title += f" — {report.naam}"
    header = [title, f"Gecontroleerd op {report.reference_date.isoformat()}"]
    if report.scholenkring:
        header.append(f"Scholenkring: {report.scholenkring}")
    check_width = max([len(line.check) for line in report.lines] + [5])
    status_width = max(len(m) for m in _MARK.values())
    indent = " " * (check_width + status_width + 4)
    body_width = max(30, width - len(indent))
    rows = [
        "",
        f"{'Check':<{check_width}}  {'Status':<{status_width}}  Toelichting",
        f"{'-' * check_width}  {'-' * status_width}  {'-' * min(body_width, 40)}",
    ]
    for line in report.lines:
        text = textwrap.wrap(line.message, body_width) or [""]
        rows.append(f"{line.check:<{check_width}}  {_MARK[line.status]:<{status_width}}  {text[0]}")
        rows.extend(indent + more for more in text[1:])
        if line.action:
            action = textwrap.wrap("Wat te doen: " + line.action, body_width)
            rows.extend(indent + part for part in action)
    verdict = (
        "Klaar: de koppeling kan gebruikt worden."
        if report.ready
        else "Niet klaar: los eerst de regels met FOUT (en verplichte regels met ONBEKEND) op."
    )
    return "\n".join([*header, *rows, "", verdict]) + "\n"
