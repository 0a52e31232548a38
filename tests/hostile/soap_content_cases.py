"""Hostile OSO notificaties: the notificatie's content (kenmerken, koppelsleutel, doel)."""

from __future__ import annotations

from tests.hostile.corpus_types import Case
from tests.hostile.soap_build import _post, envelope

__all__ = ["SOAP_CONTENT_CASES"]

SOAP_CONTENT_CASES: list[Case] = [
    # -- notificatie content ---------------------------------------------------------------------------
    Case(
        "xinclude-wordt-niet-uitgevoerd",
        "soap",
        "xxe",
        "NOTIFICATIE_VELD_ONTBREEKT",
        500,
        lambda _p: _post(
            envelope().replace(
                b"<oso:doel>SWV</oso:doel>",
                b'<oso:doel><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd"'
                b' parse="text"/></oso:doel>',
            )
        ),
    ),
    Case(
        "koppelsleutel-padtraversal",
        "soap",
        "path_traversal",
        "NOTIFICATIE_VELD_ONGELDIG",
        500,
        lambda _p: _post(envelope(koppelsleutel="../../../../etc/passwd")),
    ),
    Case(
        "brin-sql-injectie",
        "soap",
        "injection",
        "NOTIFICATIE_VELD_ONGELDIG",
        500,
        lambda _p: _post(envelope(bronBrin="14SS' OR '1'='1", doelBrin="14SS' OR '1'='1")),
    ),
    Case(
        "veld-van-10-kb",
        "soap",
        "huge_attribute",
        "NOTIFICATIE_VELD_ONGELDIG",
        500,
        lambda _p: _post(envelope(doelRouteringsKenmerk="9" * 10_000)),
    ),
    Case(
        "routeringskenmerk-buiten-500-reeks",
        "soap",
        "broken",
        "ROUTERING_BUITEN_500_REEKS",
        500,
        lambda _p: _post(envelope(bronRouteringsKenmerk="0000000700014SS00499")),
    ),
    Case("doel-paO", "soap", "broken", "NOTIFICATIE_DOEL_ONJUIST", 500, lambda _p: _post(envelope(doel="PaO"))),
]
