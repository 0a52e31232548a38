"""What follows a status change of a ParnasSys hulpvraag: a terugkoppeling to the school's LAS, once per
koppelsleutel that contributed to it (exchanges merged by the "same request" rule each carry their own, so
every school conversation hears it).

Registered as the ``parnassys`` `StatusHook` (`Components.status_hooks`); the core writes the messages to the
outbox in the status change's transaction and `TerugkoppelingDeliverer` delivers them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.parnassys.handoff import KIND, NotificatieHandoff
from gateway.pipeline.contracts import OutboundMessage, StatusChange

__all__ = ["SOURCE", "TERUGKOPPELING", "Terugkoppelingen"]

SOURCE = "parnassys"
TERUGKOPPELING = "oso_terugkoppeling"
_SENDER_KEYS = ("koppelsleutel", "bronRouteringsKenmerk", "bronBrin")


class Terugkoppelingen:
    def after_status_change(self, change: StatusChange) -> list[OutboundMessage]:
        return [
            OutboundMessage(
                kind=TERUGKOPPELING,
                key=f"terugkoppeling:{change.hulpvraag_id}:{change.change_id}:{keys.get('koppelsleutel', '')}"[:200],
                payload={
                    "hulpvraag_id": change.hulpvraag_id,
                    "status": change.status,
                    "toelichting": change.toelichting,
                    "brin6": change.brin6,
                    "external_keys": keys,
                },
            )
            for keys in contributors(change)
        ]


def contributors(change: StatusChange) -> list[dict[str, Any]]:
    """The external keys of every exchange that made or added to the hulpvraag, the hulpvraag's own first; one
    entry per koppelsleutel (each with the sender keys of its own notificatie)."""
    own: Mapping[str, Any] = change.external_keys
    found: dict[str, dict[str, Any]] = {}
    first = own.get("koppelsleutel")
    if first:
        found[str(first)] = dict(own)
    for contribution in change.contributions:
        if contribution.kind != KIND:
            continue
        fields = contribution.read(NotificatieHandoff).fields
        koppelsleutel = fields.get("koppelsleutel")
        if koppelsleutel and koppelsleutel not in found:
            sender = {k: str(fields[k]) for k in _SENDER_KEYS if fields.get(k)}
            found[koppelsleutel] = {**own, **sender}
    return list(found.values()) or [dict(own)]
