"""Limits on what a person types into a form, checked on the server with a Dutch message per field.

The pages never cut input silently: a value over its limit is refused with the limit named, and the page is
shown again with what was typed (up to the limit), so nothing else has to be typed twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["LABELS_MAX", "LABEL_MAX", "Field", "check_fields", "check_labels", "split_labels"]

LABEL_MAX = 40  # characters of one label
LABELS_MAX = 20  # labels on one hulpvraag


@dataclass(frozen=True)
class Field:
    label: str  # the field's name as the page shows it
    max_length: int
    required: bool = False
    min_length: int = 0


def check_fields(form: Mapping[str, object], fields: Mapping[str, Field]) -> list[str]:
    """One Dutch message per field that is missing, too short or too long."""
    problems = []
    for name, f in fields.items():
        raw = form.get(name)
        value = raw.strip() if isinstance(raw, str) else ""
        if not value:
            if f.required:
                problems.append(f"Vul '{f.label}' in.")
            continue
        if len(value) > f.max_length:
            problems.append(f"'{f.label}' is {len(value)} tekens; maximaal {f.max_length}. Maak het korter.")
        elif len(value) < f.min_length:
            problems.append(f"'{f.label}' is te kort; minimaal {f.min_length} tekens.")
    return problems


def split_labels(text: str) -> list[str]:
    return [" ".join(part.split()) for part in text.split(",") if part.strip()]


def check_labels(labels: list[str]) -> list[str]:
    problems = []
    if len(set(labels)) > LABELS_MAX:
        problems.append(f"Er zijn {len(set(labels))} labels; maximaal {LABELS_MAX} per hulpvraag.")
    long = [label for label in labels if len(label) > LABEL_MAX]
    if long:
        shown = long[0] if len(long[0]) <= 30 else long[0][:29] + "…"
        problems.append(f"Een label is hoogstens {LABEL_MAX} tekens; '{shown}' is {len(long[0])} tekens.")
    return problems
