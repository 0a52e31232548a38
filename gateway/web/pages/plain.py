"""Plain Dutch for what the pages show from the machinery: audit actions and their details, the steps of an
exchange, finding severities. The technical names (action codes, step names, finding codes, XPath) stay
available behind a "Technische details" toggle on the pages; a person reads these sentences first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["AUDIT_ACTIONS", "STEP_LABELS", "audit_action", "audit_details", "severity_label", "step_label"]

AUDIT_ACTIONS: dict[str, str] = {
    "account_aangemaakt": "Account aangemaakt",
    "account_gedeblokkeerd": "Account gedeblokkeerd",
    "account_gedeactiveerd": "Account gedeactiveerd",
    "account_geactiveerd": "Account weer actief gemaakt",
    "bewaartermijn_toegepast": "Bewaartermijn toegepast (gegevens verwijderd)",
    "bijlage_gedownload": "Bijlage gedownload",
    "esis_client_geblokkeerd": "ESIS-verbinding tijdelijk geblokkeerd (te veel foute codes)",
    "herstelmail_verstuurd": "Herstelmail verstuurd",
    "hulpvraag_aangemaakt": "Hulpvraag aangemaakt",
    "hulpvraag_bekeken": "Hulpvraag bekeken",
    "hulpvraag_bijgewerkt": "Hulpvraag bijgewerkt",
    "hulpvragen_bekeken": "Lijst met hulpvragen bekeken",
    "ingelogd": "Ingelogd",
    "inloggen_mislukt": "Inloggen mislukt",
    "kengetallen_bekeken": "Kengetallen bekeken",
    "koppelcheck_bekeken": "Koppelcheck bekeken",
    "labels_gewijzigd": "Labels gewijzigd",
    "osr_mandaten_geimporteerd": "Mandaten geïmporteerd uit een OSR-export",
    "osr_mandaten_opgehaald": "Mandaten opgehaald uit het OSR",
    "register_geimporteerd": "Scholen en vestigingen geïmporteerd",
    "routeringskenmerk_gewijzigd": "Routeringskenmerk gewijzigd",
    "routeringskenmerk_gewist": "Routeringskenmerk gewist",
    "school_bijgewerkt": "School bijgewerkt",
    "school_geregistreerd": "School geregistreerd",
    "status_gewijzigd": "Status gewijzigd",
    "tweestaps_gewist": "Tweestapsverificatie opnieuw in te stellen",
    "tweestaps_ingesteld": "Tweestapsverificatie ingesteld",
    "uitwisseling_bekeken": "Uitwisseling bekeken",
    "uitwisseling_geweigerd": "Uitwisseling geweigerd",
    "uitwisseling_opnieuw": "Uitwisseling opnieuw aangeboden",
    "uitwisseling_ruw_bekeken": "Ruwe uitwisseling bekeken",
    "uitwisseling_vrijgegeven": "Uitwisseling vrijgegeven",
    "verificatiecode_aangemeld": "Verificatiecode aangemeld",
    "verificatiecode_geactiveerd": "Verificatiecode geactiveerd",
    "verificatiecode_ingetrokken": "Verificatiecode ingetrokken",
    "vestiging_geregistreerd": "Vestiging geregistreerd",
    "wachtrij_alles_opnieuw": "Meerdere uitwisselingen opnieuw aangeboden",
    "wachtwoord_herstel_gevraagd": "Wachtwoordherstel aangevraagd",
    "wachtwoord_hersteld": "Wachtwoord opnieuw ingesteld",
}

_OBJECTS = {
    "hulpvraag": "hulpvraag",
    "exchange": "uitwisseling",
    "bijlage": "bijlage",
    "account": "account",
    "vestiging": "vestiging",
    "school": "school",
    "verificatiecode": "verificatiecode",
}

# detail key → Dutch label; keys not listed are shown with their underscores as spaces
_DETAIL_LABELS = {
    "ids": "nummers",
    "van": "van",
    "naar": "naar",
    "labels": "labels",
    "reden": "reden",
    "gereed": "klaar",
    "bestandsnaam": "bestand",
    "sha256": "vingerafdruk",
    "hulpvraag_id": "hulpvraag",
    "omschrijving": "omschrijving gewijzigd",
    "bron": "bron",
    "systemen": "systemen",
    "aantal": "aantal",
    "filter": "filter",
    "rol": "rol",
    "role": "rol",
}
_HIDDEN_DETAILS = {"sha256", "correlation_id"}  # technical only


def audit_action(action: str) -> str:
    return AUDIT_ACTIONS.get(action, action.replace("_", " ").capitalize())


def object_label(object_type: str | None) -> str:
    return _OBJECTS.get(object_type or "", (object_type or "").replace("_", " "))


def _value(value: Any) -> str:
    if value is True:
        return "ja"
    if value is False:
        return "nee"
    if value is None or value == "":
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value) or "geen"
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_value(v)}" for k, v in value.items())
    return str(value)


def audit_details(action: str, details: Mapping[str, Any]) -> list[str]:
    """The details of an audit entry as short Dutch phrases ("4 hulpvragen: 4, 3, 2, 1")."""
    out: list[str] = []
    for key, value in details.items():
        if key in _HIDDEN_DETAILS:
            continue
        if key == "ids" and isinstance(value, list):
            noun = "hulpvraag" if len(value) == 1 else "hulpvragen"
            if action.startswith("wachtrij") or action.startswith("uitwisseling"):
                noun = "uitwisseling" if len(value) == 1 else "uitwisselingen"
            out.append(f"{len(value)} {noun}: {_value(value)}")
        elif key == "omschrijving" and isinstance(value, bool):
            out.append("omschrijving gewijzigd" if value else "omschrijving ongewijzigd")
        else:
            out.append(f"{_DETAIL_LABELS.get(key, key.replace('_', ' '))}: {_value(value)}")
    return out


STEP_LABELS: dict[str, str] = {
    "ontvangen": "Ontvangen",
    "geweigerd_bij_ontvangst": "Geweigerd bij ontvangst",
    "sessie_geopend": "Verbinding met het Traffic Center geopend",
    "dossier_ontvangen": "Dossier opgehaald uit ParnasSys",
    "esis_aanvraag": "ESIS-aanvraag omgezet naar een hulpvraag",
    "esis_wijziging": "Wijziging vanuit ESIS verwerkt",
    "in_behandeling": "Wordt verwerkt",
    "verwerkt": "Verwerkt",
    "geweigerd": "Geweigerd",
    "vastgehouden": "Vastgehouden voor het secretariaat",
    "wacht_op_herhaling": "Wacht op een nieuwe poging",
    "opnieuw": "Opnieuw aangeboden",
    "opnieuw aangeboden": "Opnieuw aangeboden",
    "vrijgegeven": "Vrijgegeven",
}


def step_label(step: str | None) -> str:
    if not step:
        return ""
    if step in STEP_LABELS:
        return STEP_LABELS[step]
    if step.replace("_", "").isalpha() and step.islower() and " " not in step:  # a technical name
        return step.replace("_", " ").capitalize()
    return step  # already a sentence


def severity_label(severity: str | None) -> str:
    return "let op" if severity == "waarschuwing" else "blokkeert"
