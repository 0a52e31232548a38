"""Hostile ESIS requests: authentication (missing, unknown and borrowed verificatiecodes)."""

from __future__ import annotations

from adapters.esis.simulator import aanvraag, pdf_document
from tests.hostile.corpus_types import Case
from tests.hostile.esis_build import _c, _create, _doc_part, _json_part
from tests.hostile.targets import ESIS_BRIN6

__all__ = ["ESIS_AUTH_CASES"]

ESIS_AUTH_CASES: list[Case] = [
    # -- authentication ---------------------------------------------------------------------------
    Case("code-ontbreekt", "esis", "impersonation", "ESIS_VERIFICATIECODE_ONTBREEKT", 401, _c(code=None)),
    Case(
        "code-onbekend",
        "esis",
        "impersonation",
        "ESIS_VERIFICATIECODE_ONBEKEND",
        401,
        _c(code="27ZX00-deze-code-bestaat-niet"),
    ),
    Case(
        "code-sql-injectie", "esis", "injection", "ESIS_VERIFICATIECODE_ONBEKEND", 401, _c(code="27ZX00' OR '1'='1' --")
    ),
    Case(
        "code-ongeldige-utf8",
        "esis",
        "invalid_utf8",
        "ESIS_VERIFICATIECODE_ONBEKEND",
        401,
        _c(code="27ZX00-\udcff\udcfe-koppeling-2025"),
    ),
    Case(
        "code-van-andere-vestiging",
        "esis",
        "impersonation",
        "ESIS_VESTIGING_HOORT_NIET_BIJ_CODE",
        403,
        lambda _p: _create([_json_part(aanvraag("09QA00", documenten=[])), _doc_part("x.pdf", pdf_document())]),
    ),
    Case(
        "header-van-20-kb",
        "esis",
        "huge_attribute",
        "HTTP_VERZOEK_ONGELDIG",
        400,
        _c(code="27ZX00-" + "x" * 20_000),
    ),
    Case(
        "code-met-geldige-vorm-maar-onbekend",
        "esis",
        "impersonation",
        "ESIS_VERIFICATIECODE_ONBEKEND",
        401,
        _c(code=ESIS_BRIN6 + "-geraden-maar-fout-0001"),
    ),
]
