"""Hostile OSO notificaties: WS-Addressing headers."""

from __future__ import annotations

from lxml import etree

from adapters.parnassys.soap import NS, SOAP_ENV, WSA, action_for
from tests.hostile.corpus_types import Case
from tests.hostile.soap_build import Tamper, _post, envelope

__all__ = ["SOAP_ADDRESSING_CASES"]


def _remove(xpath: str) -> Tamper:
    def tamper(env: etree._Element) -> None:
        for el in env.xpath(xpath, namespaces={"wsa": WSA, "soap": SOAP_ENV, "oso": NS}):
            el.getparent().remove(el)

    return tamper


def _duplicate_action(env: etree._Element) -> None:
    header = env.find(f"{{{SOAP_ENV}}}Header")
    extra = etree.SubElement(header, f"{{{WSA}}}Action")
    extra.text = action_for("notificatieRequest")


SOAP_ADDRESSING_CASES: list[Case] = [
    # -- WS-Addressing ------------------------------------------------------------------------------
    Case(
        "wsa-action-dubbel",
        "soap",
        "header_injection",
        "WSA_HEADER_DUBBEL",
        500,
        lambda _p: _post(envelope(before_sign=_duplicate_action)),
    ),
    Case(
        "wsa-action-ontbreekt",
        "soap",
        "broken",
        "WSA_ACTION_ONTBREEKT",
        500,
        lambda _p: _post(envelope(before_sign=_remove("//wsa:Action"))),
    ),
    Case(
        "wsa-action-onjuist",
        "soap",
        "broken",
        "WSA_ACTION_ONJUIST",
        500,
        lambda _p: _post(envelope(action="urn:iets-anders")),
    ),
    Case(
        "wsa-messageid-ontbreekt",
        "soap",
        "broken",
        "WSA_MESSAGEID_ONTBREEKT",
        500,
        lambda _p: _post(envelope(before_sign=_remove("//wsa:MessageID"))),
    ),
    Case(
        "wsa-from-ander-oin",
        "soap",
        "impersonation",
        "WSA_FROM_OIN_AFWIJKEND",
        500,
        lambda _p: _post(envelope(sender="topicus")),
    ),
]
