"""Hostile ESIS requests: the aanvraag's JSON (unreadable, deep, wrong types, bad values)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

from adapters.esis.simulator import pdf_document
from tests.hostile.corpus_types import Case
from tests.hostile.esis_build import MB, OPP_META, Part, _body, _c, _create, _doc_part, _json_part, _raw, _with_doc
from tests.hostile.targets import HostilePki
from tests.hostile.wire import HttpInput

__all__ = ["ESIS_JSON_CASES"]


def _with_json(data: dict[str, Any] | bytes, *docs: Part) -> Callable[[HostilePki], HttpInput]:
    return lambda _pki: _create([_json_part(data), *(docs or [_doc_part("OPP-2025.pdf", pdf_document())])])


def _deep_json(levels: int) -> bytes:
    return b'{"a":' + b"[" * levels + b"]" * levels + b"}"


def _nested(levels: int) -> dict[str, Any]:
    inner: dict[str, Any] = {}
    for _ in range(levels):
        inner = {"x": inner}
    return inner


_ENC = {"Content-Encoding": "gzip"}
ESIS_JSON_CASES: list[Case] = [
    # -- JSON -------------------------------------------------------------------------------------------
    Case("json-onleesbaar", "esis", "broken", "ESIS_JSON_ONGELDIG", 400, _with_json(b'{"esis_aanvraag_id": ')),
    Case(
        "json-ongeldige-utf8",
        "esis",
        "invalid_utf8",
        "ESIS_JSON_ONGELDIG",
        400,
        _with_json(b'{"omschrijving": "\xc3\x28\xff"}'),
    ),
    Case("json-diepe-nesting", "esis", "deep_nesting", "ESIS_JSON_ONGELDIG", 400, _with_json(_deep_json(100_000))),
    Case(
        "json-diepe-nesting-in-veld",
        "esis",
        "deep_nesting",
        "ESIS_VELD_ONGELDIG",
        422,
        lambda _p: _create([_json_part(_body(omschrijving=_nested(500)))]),
    ),
    Case("json-geen-object", "esis", "broken", "ESIS_JSON_ONGELDIG", 400, _with_json(b"[1, 2, 3]")),
    Case(
        "json-nan",
        "esis",
        "broken",
        "ESIS_VELD_ONGELDIG",
        422,
        _with_json(json.dumps(_body(opp=float("nan"))).encode()),
    ),
    Case(
        "json-enorm-veld",
        "esis",
        "huge_attribute",
        "ESIS_VELD_TE_LANG",
        422,
        lambda _p: _create([_json_part(_body(omschrijving="A" * 200_000))]),
    ),
    Case(
        "json-tienduizend-onbekende-velden",
        "esis",
        "huge_attribute",
        "ESIS_VELD_ONBEKEND",
        422,
        lambda _p: _create([_json_part({**_body(), **{f"veld{i}": i for i in range(10_000)}})]),
    ),
    Case(
        "json-stuurtekens", "esis", "injection", "ESIS_VELD_ONGELDIG", 422, _c(omschrijving="regel\x1b[2J\x00verborgen")
    ),
    Case(
        "json-bsn",
        "esis",
        "broken",
        "ESIS_BSN_NIET_TOEGESTAAN",
        422,
        lambda _p: _create([_json_part({**_body(), "bsn": "123456782"})]),
    ),
    Case(
        "json-bsn-in-omschrijving",
        "esis",
        "personal_data",
        "ESIS_BSN_NIET_TOEGESTAAN",
        422,
        _c(omschrijving="Leerling met BSN 1234.56.782 heeft een arrangement nodig."),
    ),
    Case(
        "json-onderwijsnummer-in-documentomschrijving",
        "esis",
        "personal_data",
        "ESIS_BSN_NIET_TOEGESTAAN",
        422,
        _c(documenten=[{**OPP_META, "omschrijving": "OPP onderwijsnummer 101 234 567"}]),
    ),
    Case(
        "bsn-in-bestandsnaam",
        "esis",
        "personal_data",
        "ESIS_BSN_NIET_TOEGESTAAN",
        422,
        _with_doc("OPP-123456782.pdf", pdf_document(), meta_name="OPP-2025.pdf"),
    ),
    Case(
        "json-aanvraag-id-padtraversal",
        "esis",
        "path_traversal",
        "ESIS_VELD_ONGELDIG",
        422,
        _c(aanvraag_id="../../../etc/passwd"),
    ),
    Case(
        "json-homoglief-aanvraagtype",
        "esis",
        "polyglot",
        "ESIS_AANVRAAGTYPE_ONBEKEND",
        422,
        _c(korte_omschrijving="\u0410anvraag TLV"),
    ),
    Case("json-30-februari", "esis", "broken", "ESIS_VELD_ONGELDIG", 422, _c(geboortedatum="2015-02-30")),
    Case(
        "json-part-te-groot",
        "esis",
        "oversized_body",
        "ESIS_AANVRAAG_TE_GROOT",
        413,
        lambda _p: _create([_json_part(b'{"omschrijving": "' + b"A" * 300_000 + b'"}')]),
    ),
    Case(
        "json-body-te-groot",
        "esis",
        "oversized_body",
        "ESIS_AANVRAAG_TE_GROOT",
        413,
        _raw(b'{"a": "' + b"A" * 300_000 + b'"}', "application/json"),
    ),
    Case(
        "json-gzip-bom",
        "esis",
        "zip_bomb",
        "ESIS_AANVRAAG_TE_GROOT",
        413,
        _raw(gzip.compress(b'{"a": "' + b"A" * (64 * MB) + b'"}'), "application/json", **_ENC),
    ),
]
