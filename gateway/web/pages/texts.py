"""Plain-Dutch words for what the queue and hulpvragen pages show: states, sources, waits, reasons."""

from __future__ import annotations

from typing import Any

from gateway.store.models import Exchange, ExchangeState
from gateway.web.pages.context import local
from gateway.web.pages.plain import step_label

__all__ = [
    "SOURCES",
    "STATE_LABELS",
    "WAITING_FOR",
    "reason_of",
    "reasons_of",
    "retry_hint",
    "source_label",
    "state_label",
]

STATE_LABELS: dict[str, str] = {
    ExchangeState.ONTVANGEN.value: "Ontvangen",
    ExchangeState.IN_BEHANDELING.value: "Wordt opgehaald/verwerkt",
    ExchangeState.VERWERKT.value: "Verwerkt",
    ExchangeState.GEWEIGERD.value: "Geweigerd",
    ExchangeState.WACHT_OP_HERHALING.value: "Wacht op nieuwe poging",
    ExchangeState.VASTGEHOUDEN.value: "Vastgehouden (beslissing secretariaat)",
}

WAITING_FOR: dict[str, str] = {
    "osr": "Wacht op het OSR",
    "traffic_center": "Wacht op het Traffic Center",
    "las": "Wacht op het LAS van de school",
    "secretariaat": "Wacht op het secretariaat",
}

SOURCES: dict[str, str] = {"parnassys": "ParnasSys", "esis": "ESIS"}

# what an unexpected technical error means for the secretariaat
_ERRORS: tuple[tuple[str, str], ...] = (
    ("Timeout", "Het andere systeem antwoordde niet op tijd."),
    ("ConnectionRefused", "Het andere systeem was niet bereikbaar."),
    ("ClientConnector", "Het andere systeem was niet bereikbaar."),
    ("ServerDisconnected", "Het andere systeem verbrak de verbinding."),
    ("SSL", "De beveiligde verbinding met het andere systeem mislukte (certificaat)."),
)


def source_label(source: str) -> str:
    return SOURCES.get(source, source)


def state_label(ex: Exchange) -> str:
    if ex.state == ExchangeState.WACHT_OP_HERHALING.value:
        wait = WAITING_FOR.get(ex.waiting_for or "", "Wacht op nieuwe poging")
        return f"{wait} — volgende poging {local(ex.next_attempt_at, '%d-%m %H:%M')}"
    if ex.state == ExchangeState.IN_BEHANDELING.value and ex.waiting_for:
        return WAITING_FOR.get(ex.waiting_for, STATE_LABELS[ex.state])
    return STATE_LABELS.get(ex.state, ex.state)


def _first_message(findings: list[dict[str, Any]]) -> str | None:
    for f in findings:
        if f.get("severity", "fout") == "fout" and f.get("message"):
            return str(f["message"])
    for f in findings:
        if f.get("message"):
            return str(f["message"])
    return None


def reason_of(ex: Exchange) -> str:
    """The reason in plain Dutch: the first finding's message, else the last step, else the error explained."""
    message = _first_message(ex.findings)
    if message:
        return message
    if ex.state == ExchangeState.WACHT_OP_HERHALING.value and ex.last_error:
        for needle, text in _ERRORS:
            if needle.lower() in ex.last_error.lower():
                return text
        return step_label(ex.step) or "Tijdelijke fout; het wordt vanzelf opnieuw geprobeerd."
    return step_label(ex.step)


def reasons_of(ex: Exchange) -> list[str]:
    """Every distinct reason (blocking findings first), or the single explained reason when there are none."""
    ordered = sorted((f for f in ex.findings if f.get("message")), key=lambda f: f.get("severity", "fout") != "fout")
    messages = list(dict.fromkeys(str(f["message"]) for f in ordered))
    return messages or ([reason_of(ex)] if reason_of(ex) else [])


def retry_hint(ex: Exchange) -> str | None:
    """What "Opnieuw aanbieden" can and cannot do for this exchange, when only the school can fix it."""
    if ex.state != ExchangeState.GEWEIGERD.value:
        return None
    if ex.payload_purged:
        return (
            f"Van deze uitwisseling is niets bewaard om opnieuw aan te bieden; alleen de school kan dit oplossen. "
            f"Vraag de school de aanvraag aan te passen en opnieuw te versturen vanuit {source_label(ex.source)}."
        )
    if ex.source == "parnassys":
        return (
            "Deze uitwisseling is geweigerd om wat de school stuurde; alleen de school kan dat oplossen. Laat de "
            "school het dossier in ParnasSys aanpassen: 'Opnieuw aanbieden' haalt dan het aangepaste dossier op. "
            "Zonder aanpassing wordt de uitwisseling opnieuw geweigerd."
        )
    return (
        "Deze uitwisseling is geweigerd om wat de school stuurde; alleen de school kan dat oplossen. "
        "'Opnieuw aanbieden' verwerkt dezelfde gegevens opnieuw en wordt dus opnieuw geweigerd. Vraag de school "
        f"de aanvraag aan te passen en opnieuw te versturen vanuit {source_label(ex.source)}."
    )
