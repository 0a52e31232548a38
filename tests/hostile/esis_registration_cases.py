"""Hostile ESIS requests: registering a verificatiecode (and codes that only look valid)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.hostile.corpus_types import Case
from tests.hostile.targets import ESIS_BRIN6, HostilePki
from tests.hostile.wire import HttpInput

__all__ = ["ESIS_REGISTRATION_CASES"]


def _registration(data: dict[str, Any] | bytes) -> Callable[[HostilePki], HttpInput]:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return lambda _pki: HttpInput("/esis/v1/verificatiecodes", raw, {"Content-Type": "application/json"})


ESIS_REGISTRATION_CASES: list[Case] = [
    # -- code registration ----------------------------------------------------------------------------------
    Case("registratie-geen-json", "esis", "broken", "ESIS_JSON_ONGELDIG", 400, _registration(b"<xml/>")),
    Case(
        "registratie-code-te-kort",
        "esis",
        "broken",
        "VERIFICATIECODE_TE_KORT",
        422,
        _registration({"brin6": ESIS_BRIN6, "omgeving": "esis-2", "verificatiecode": "27ZX00-kort"}),
    ),
    Case(
        "registratie-code-leeg",
        "esis",
        "broken",
        "ESIS_VELD_ONTBREEKT",
        422,
        _registration({"brin6": ESIS_BRIN6, "omgeving": "esis-2", "verificatiecode": ""}),
    ),
    Case(
        "registratie-code-van-51-tekens",
        "esis",
        "huge_attribute",
        "VERIFICATIECODE_TE_LANG",
        422,
        _registration({"brin6": ESIS_BRIN6, "omgeving": "esis-2", "verificatiecode": "27ZX00-" + "x" * 44}),
    ),
    Case(
        "registratie-code-niet-ascii",
        "esis",
        "invalid_utf8",
        "VERIFICATIECODE_TEKEN_ONGELDIG",
        422,
        _registration({"brin6": ESIS_BRIN6, "omgeving": "esis-2", "verificatiecode": "27ZX00-\u202egnilppok-2025-x"}),
    ),
]
