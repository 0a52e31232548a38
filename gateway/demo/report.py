"""What the demo prints: per exchange its outcome and reason, counts per outcome, where to look."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from gateway.store.db import Database
from gateway.store.models import Exchange, Hulpvraag

__all__ = ["aanvraagtype_of", "collect", "render_text"]


def aanvraagtype_of(meta: dict[str, Any]) -> str | None:
    """The aanvraagtype the exchange asked for, if any: ESIS ``korte_omschrijving``, or ``meta.aanvraagtype``,
    which the worker keeps for an OSO-SWV exchange refused or held after its dossier was read (a notificatie
    itself names none: its aanvraagtype arrives with the dossier)."""
    aanvraag = meta.get("aanvraag")
    for value in (meta.get("aanvraagtype"), aanvraag.get("korte_omschrijving") if isinstance(aanvraag, dict) else None):
        if isinstance(value, str) and value:
            return value
    return None


async def collect(db: Database) -> dict[str, Any]:
    async with db.reader() as s:
        rows = (await s.exec(select(Exchange).order_by(col(Exchange.id)))).scalars().all()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        hulpvragen = (await s.exec(select(Hulpvraag).order_by(col(Hulpvraag.id)))).scalars().all()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    types = {h.id: h.aanvraagtype for h in hulpvragen}
    items = [
        {
            "exchange_id": r.id,
            "source": r.source,
            "kind": r.kind,
            "brin6": r.brin6,
            "state": r.state,
            "hulpvraag_id": r.hulpvraag_id,
            "aanvraagtype": types.get(r.hulpvraag_id) or aanvraagtype_of(r.meta),
            "reasons": [{"code": f["code"], "message": f["message"]} for f in r.findings],
        }
        for r in rows
    ]
    return {
        "counts": dict(Counter(i["state"] for i in items)),
        "exchanges": items,
        "hulpvragen": [
            {
                "id": h.id,
                "brin6": h.brin6,
                "aanvraagtype": h.aanvraagtype,
                "status": h.status,
                "coordinator": h.coordinator,
                "source_system": h.source_system,
            }
            for h in hulpvragen
        ],
    }


_LABEL = {
    "verwerkt": "verwerkt",
    "geweigerd": "GEWEIGERD",
    "vastgehouden": "vastgehouden (secretariaat beslist)",
    "wacht_op_herhaling": "wacht op herhaling",
    "ontvangen": "ontvangen",
    "in_behandeling": "in behandeling",
}


def render_text(summary: dict[str, Any]) -> str:
    lines = ["", "Uitwisselingen:"]
    for i in summary["exchanges"]:
        head = f"  #{i['exchange_id']:<3} {i['source']:<9} {i['brin6'] or '-':<6}  {_LABEL.get(i['state'], i['state'])}"
        if i["hulpvraag_id"]:
            head += f" -> hulpvraag {i['hulpvraag_id']}"
        lines.append(head)
        for r in i["reasons"]:
            lines.append(f"        [{r['code']}] {r['message']}")
    counts = ", ".join(f"{n} {_LABEL.get(k, k)}" for k, n in sorted(summary["counts"].items())) or "geen"
    lines += ["", f"Totaal: {counts}; {len(summary['hulpvragen'])} hulpvragen in de kern-opslag."]
    return "\n".join(lines)
