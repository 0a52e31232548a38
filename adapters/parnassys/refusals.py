"""Every refusal the OSO adapter can give, in one place: a stable code and a Dutch, actionable message.

Transport and security refusals (``SOAP_*``, ``WSA_*``, ``TLS_*``, ``WSS_*``) are answered with a SOAP fault
and logged, never stored. Content refusals (``NOTIFICATIE_*``) of an authenticated sender are also recorded
in the inbox so the secretariaat sees them. Worker-side refusals (``OSO_*``) end an exchange.
"""

from __future__ import annotations

from verification.findings import Finding, fout

__all__ = ["TRANSPORT", "http_status", "known_codes", "message_template", "refusal"]

_MESSAGES: dict[str, str] = {
    # transport / SOAP
    "SOAP_TE_GROOT": "Het bericht is groter dan de toegestane {limit} bytes en is niet gelezen.",
    "SOAP_TE_TRAAG": "Het bericht kwam niet binnen {seconds} seconden volledig binnen en is niet verwerkt. "
    "Verstuur het opnieuw; blijft dit gebeuren, controleer dan de verbinding.",
    "SOAP_ONGELDIG": "Het bericht is geen geldig SOAP 1.1-bericht: {detail}.",
    "SOAP_DTD_NIET_TOEGESTAAN": "Het bericht bevat een DOCTYPE/DTD of entiteiten; dat is niet toegestaan.",
    "SOAP_ONBEKENDE_OPERATIE": "De operatie {operation} wordt op dit adres niet ondersteund; "
    "alleen notificatieRequest (OSO'21).",
    "SOAP_CONTENT_TYPE": "Het bericht moet als text/xml in UTF-8 (SOAP 1.1: Content-Type: text/xml; "
    "charset=utf-8) worden verstuurd, niet als {received}; het is niet gelezen.",
    "SOAP_SOAPACTION_ONTBREEKT": "De HTTP-header SOAPAction ontbreekt; SOAP 1.1 vraagt bij operatie {operation} "
    'SOAPAction: "{expected}" (zoals in de WSDL).',
    "SOAP_SOAPACTION_ONJUIST": "De HTTP-header SOAPAction ({received}) hoort niet bij operatie {operation}; "
    'verwacht SOAPAction: "{expected}" (zoals in de WSDL).',
    "INTAKE_TIJDELIJK_NIET_BESCHIKBAAR": "De notificatie kon nu niet worden vastgelegd; probeer het later "
    "opnieuw (er is niets opgeslagen).",
    # WS-Addressing
    "WSA_ACTION_ONTBREEKT": "De WS-Addressing header wsa:Action ontbreekt (verplicht in Edukoppeling).",
    "WSA_ACTION_ONJUIST": "wsa:Action {action} hoort niet bij de operatie {operation}.",
    "WSA_MESSAGEID_ONTBREEKT": "De WS-Addressing header wsa:MessageID ontbreekt.",
    "WSA_HEADER_DUBBEL": "De WS-Addressing header {header} komt meer dan eens voor.",
    "WSA_FROM_OIN_ONTBREEKT": "wsa:From/wsa:Address moet het OIN van de verzender bevatten (…?oin=<OIN>).",
    "WSA_FROM_OIN_AFWIJKEND": "Het OIN in wsa:From ({claimed}) is niet het OIN uit het clientcertificaat "
    "({certified}).",
    "WSA_TO_OIN_AFWIJKEND": "wsa:To is gericht aan OIN {claimed}, niet aan dit samenwerkingsverband ({ours}).",
    "WSA_MESSAGEID_HERHAALD": "Dit bericht (wsa:MessageID {message_id}) is al eerder ontvangen; "
    "een herhaald bericht wordt niet verwerkt.",
    # TLS / sender identity
    "TLS_CLIENTCERTIFICAAT_ONTBREEKT": "Er is geen TLS-clientcertificaat aangeboden (tweezijdig TLS is verplicht).",
    "TLS_CERTIFICAAT_NIET_VERTROUWD": "Het clientcertificaat is niet uitgegeven door een vertrouwde CA "
    "of is niet geldig: {detail}.",
    "TLS_OIN_ONTBREEKT": "Het clientcertificaat bevat geen OIN in Subject.serialNumber.",
    "TLS_AFZENDER_ONBEKEND": "OIN {oin} is niet geregistreerd als verzendend systeem voor OSO-SWV.",
    "TLS_PROXY_NIET_VERTROUWD": "Een doorgegeven clientcertificaat wordt alleen van een vertrouwde proxy geaccepteerd.",
    # WS-Security (2W-be-S)
    "WSS_HANDTEKENING_ONTBREEKT": "Voor deze verzender is profiel 2W-be-S ingesteld: het bericht moet "
    "ondertekend zijn (wsse:Security met ds:Signature en wsu:Timestamp).",
    "WSS_HANDTEKENING_ONGELDIG": "De WS-Security-handtekening klopt niet: {detail}.",
    "WSS_ALGORITME_NIET_TOEGESTAAN": "Algoritme {algorithm} is niet toegestaan; gebruik SHA-2 "
    "(bijv. rsa-sha256) en exclusive C14N.",
    "WSS_NIET_ONDERTEKEND": "{element} is niet (met een eigen referentie) ondertekend; Body, Timestamp en "
    "alle WS-Addressing headers moeten ondertekend zijn.",
    "WSS_DUBBELE_ID": "Id {id} komt meer dan eens voor in het bericht.",
    "WSS_TOKEN_ONGELDIG": "Het BinarySecurityToken ontbreekt of bevat geen bruikbaar X.509-certificaat.",
    "WSS_CERTIFICAAT_AFWIJKEND": "Het ondertekeningscertificaat is niet het TLS-clientcertificaat.",
    "WSS_TIMESTAMP_ONGELDIG": "wsu:Timestamp ontbreekt of is onleesbaar.",
    "WSS_TIMESTAMP_VERLOPEN": "wsu:Timestamp valt buiten het toegestane tijdvenster ({detail}); "
    "controleer de klok van de verzender.",
    # notificatie content (recorded as refused exchanges)
    "NOTIFICATIE_VELD_ONTBREEKT": "Het verplichte veld {field} ontbreekt in de notificatie.",
    "NOTIFICATIE_VELD_ONGELDIG": "Het veld {field} heeft geen geldige waarde ({detail}).",
    "NOTIFICATIE_DOEL_ONJUIST": "doel moet 'SWV' zijn voor een aanvraag bij het samenwerkingsverband, niet '{doel}'.",
    "NOTIFICATIE_BRIN_AFWIJKEND": "bronBrin ({bron}) moet gelijk zijn aan doelBrin ({doel}): een "
    "SWV-aanvraag gaat van de school naar haar eigen aanvraag bij het samenwerkingsverband.",
    "NOTIFICATIE_DOEL_ROUTERING_ONBEKEND": "doelRouteringsKenmerk {value} hoort niet bij dit "
    "samenwerkingsverband; controleer de routeringskenmerken in ParnasSys.",
    # worker side
    "OSO_SESSIE_GEWEIGERD": "Het Traffic Center gaf geen sessie voor deze koppelsleutel: {detail}.",
    "OSO_DOSSIER_GEWEIGERD": "ParnasSys leverde het dossier niet: {detail}.",
    "OSO_DOSSIER_ONTBREEKT": "Het antwoord van ParnasSys bevat geen dossier.",
    "OSO_ANTWOORD_ONGELDIG": "Het antwoord van {system} is onleesbaar: {detail}.",
    "OSO_AANVRAAG_ONTBREEKT": "Het antwoord bevat geen aanvraaggegevens (aanvraagtype); het secretariaat "
    "bepaalt het aanvraagtype.",
    "OSO_LAS_ENDPOINT_ONBEKEND": "Voor routeringskenmerk {value} is in het OSR geen ParnasSys-adres bekend. "
    "De school (of Topicus) controleert in het OSR dat het endpoint voor dit routeringskenmerk is vastgelegd.",
    "OSO_TERUGKOPPELING_ZONDER_KOPPELSLEUTEL": "Hulpvraag {hulpvraag} heeft geen koppelsleutel; de nieuwe "
    "status kan niet aan ParnasSys worden teruggemeld.",
    "OSO_AFMELDING_NIET_AFGELEVERD": "Het Traffic Center sloot de sessie voor koppelsleutel {koppelsleutel} "
    "zonder onze afmelding, ook na een nieuwe sessie; ParnasSys kent de uitkomst niet. Meld dit bij het "
    "Traffic Center.",
}

TRANSPORT: frozenset[str] = frozenset(
    code for code in _MESSAGES if code.split("_", 1)[0] in {"SOAP", "WSA", "TLS", "WSS"}
)


# The HTTP status of the SOAP fault that answers a refusal at the door: SOAP 1.1 answers a fault with 500, except
# where the transport itself refuses (below). Worker-side refusals (OSO_*) are not answered on the wire: the
# afmelding to ParnasSys carries them. tests/parnassys/test_refusal_statuses.py holds the code to this.
_HTTP_STATUS: dict[str, int] = {
    "SOAP_TE_GROOT": 413,
    "SOAP_TE_TRAAG": 408,
    "SOAP_CONTENT_TYPE": 415,
    "INTAKE_TIJDELIJK_NIET_BESCHIKBAAR": 503,
    **{code: 403 for code in _MESSAGES if code.startswith("TLS_")},
}


def http_status(code: str) -> int | None:
    """The HTTP status a refusal is answered with at the door; None for a worker-side refusal."""
    if code.startswith("OSO_"):
        return None
    return _HTTP_STATUS.get(code, 500)


def message_template(code: str) -> str:
    return _MESSAGES[code]


def refusal(code: str, location: str | None = None, **values: object) -> Finding:
    """The finding for ``code`` with its Dutch message filled in (unknown placeholders stay visible)."""
    template = _MESSAGES[code]
    try:
        message = template.format(**values)
    except (KeyError, IndexError):
        message = template
    return fout(code, message, location)


# Codes the adapter passes on from `verification/` with their message from there (one message per code).
FROM_VERIFICATION: frozenset[str] = frozenset({"ROUTERING_BUITEN_500_REEKS"})


def known_codes() -> list[str]:
    return sorted(set(_MESSAGES) | FROM_VERIFICATION)
