"""Hostile ESIS requests: replay and wijzigingen (the same aanvraag twice, updates to what is not there)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.hostile.corpus_types import Case
from tests.hostile.esis_build import AANVRAGEN, _c, _create, _headers, _json_part, multipart
from tests.hostile.targets import HostilePki
from tests.hostile.wire import HttpInput

__all__ = ["ESIS_REPLAY_CASES"]

_FIXED_ID = "ESIS-hostile-0001"


def _create_first(_pki: HostilePki) -> list[HttpInput]:
    return [_create(aanvraag_id=_FIXED_ID)]


def _update(path_id: str, **headers: str) -> Callable[[HostilePki], HttpInput]:
    body = multipart([_json_part({"omschrijving": "Aangevuld."}, name="wijziging")])
    return lambda _pki: HttpInput(f"{AANVRAGEN}/{path_id}/wijzigingen", body, {**_headers(), **headers})


def _update_with(path_id: str, wijziging: dict[str, Any]) -> Callable[[HostilePki], HttpInput]:
    body = multipart([_json_part(wijziging, name="wijziging")])
    return lambda _pki: HttpInput(f"{AANVRAGEN}/{path_id}/wijzigingen", body, _headers())


ESIS_REPLAY_CASES: list[Case] = [
    # -- replay and updates --------------------------------------------------------------------------------
    Case(
        "herhaalde-aanvraag-andere-inhoud",
        "esis",
        "replay",
        "ESIS_AANVRAAG_AL_ONTVANGEN",
        409,
        _c(aanvraag_id=_FIXED_ID, omschrijving="Andere inhoud onder hetzelfde nummer."),
        before=_create_first,
    ),
    Case(
        "idempotency-key-padtraversal",
        "esis",
        "path_traversal",
        "ESIS_IDEMPOTENCY_KEY_ONGELDIG",
        400,
        _update(_FIXED_ID, **{"Idempotency-Key": "../../etc/passwd"}),
        before=_create_first,
    ),
    Case(
        "wijziging-pad-traversal", "esis", "path_traversal", "ESIS_AANVRAAG_ONBEKEND", 404, _update("..%2F..%2Fadmin")
    ),
    Case(
        "wijziging-leeg",
        "esis",
        "broken",
        "ESIS_WIJZIGING_LEEG",
        422,
        _update_with(_FIXED_ID, {}),
        before=_create_first,
    ),
    Case(
        "wijziging-alleen-spaties",
        "esis",
        "broken",
        "ESIS_WIJZIGING_LEEG",
        422,
        _update_with(_FIXED_ID, {"omschrijving": "   ", "documenten": [], "verwijder_documenten": []}),
        before=_create_first,
    ),
]
