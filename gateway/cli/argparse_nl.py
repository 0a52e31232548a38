"""argparse's own error messages in Dutch (the CLI's output is Dutch; argparse only speaks English).

`dutch` rewrites one finished message; the help texts are left alone (they are the locked CLI contract).
A message this module does not know is passed through unchanged rather than guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["dutch"]

_TYPES = {"int": "een geheel getal", "float": "een getal", "Path": "een pad"}


def _invalid_value(m: re.Match[str]) -> str:
    kind = _TYPES.get(m["type"], m["type"])
    return f"ongeldige waarde '{m['value']}': verwacht {kind}"


_ARGUMENT = re.compile(r"^argument (?P<arg>.+?): (?P<rest>.*)$", re.S)  # "argument --port: <message>"
_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^invalid (?P<type>\w+) value: '(?P<value>.*)'$", re.S), _invalid_value),
    (
        re.compile(r"^invalid choice: '(?P<value>.*)' \(choose from (?P<choices>.*)\)$", re.S),
        lambda m: f"ongeldige keuze '{m['value']}' (kies uit {m['choices']})",
    ),
    (re.compile(r"^unrecognized arguments: (?P<a>.*)$", re.S), lambda m: f"onbekende argumenten: {m['a']}"),
    (
        re.compile(r"^the following arguments are required: (?P<a>.*)$", re.S),
        lambda m: f"deze argumenten ontbreken: {m['a']}",
    ),
    (re.compile(r"^one of the arguments (?P<a>.*) is required$", re.S), lambda m: f"geef een van: {m['a']}"),
    (re.compile(r"^not allowed with argument (?P<a>.*)$", re.S), lambda m: f"niet samen met {m['a']}"),
    (re.compile(r"^expected one argument$"), lambda m: "hier hoort één waarde bij"),
    (re.compile(r"^expected at most one argument$"), lambda m: "hier hoort hoogstens één waarde bij"),
    (re.compile(r"^expected at least one argument$"), lambda m: "hier hoort minstens één waarde bij"),
    (
        re.compile(r"^ambiguous option: (?P<o>\S+) could match (?P<m>.*)$", re.S),
        lambda m: f"optie {m['o']} is niet eenduidig: bedoelt u {m['m']}?",
    ),
    (re.compile(r"^ignored explicit argument '(?P<a>.*)'$", re.S), lambda m: f"waarde '{m['a']}' hoort hier niet"),
]


def dutch(message: str) -> str:
    """``message`` (one argparse error) in Dutch; unknown messages unchanged."""
    argument = _ARGUMENT.match(message)
    if argument:
        return f"argument {argument['arg']}: {dutch(argument['rest'])}"
    for pattern, make in _RULES:
        m = pattern.match(message)
        if m:
            return make(m)
    return message
