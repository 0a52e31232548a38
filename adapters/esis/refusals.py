"""Every refusal code of the ESIS adapter in one table: the HTTP status it is answered with, the Dutch message
the sender reads, what it means and what the sender (ESIS, the school or its supplier) should do — in Dutch, as
partners read it.

A code's message may come in variants (``ESIS_VELD_ONGELDIG``: "moet tekst zijn", "moet een lijst zijn", …),
each a template filled in where the rule is checked with what it names (``{veld}``, ``{naam}``, a limit). The
call sites raise by code: `refusal` (a finding) and `adapters.esis.errors.refused` (an API answer);
`refusal_message` gives the text alone. `tests/esis/test_refusal_table.py` holds the code to the table: every
``ESIS_*`` code in ``adapters/esis`` is here, every code here is used, no message is written inline, every
variant named at a call site exists, and every refusal answers with a status listed here.
`docs/refusals/esis.md` is generated from it (``python -m adapters.refusal_docs``). Codes the adapter passes on
from ``verification/`` and the attachment inspector (``BIJLAGE_*``, ``OPP_ONTBREEKT``, ``VERIFICATIECODE_*``, …)
keep their own messages there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from verification.findings import Finding, fout, waarschuwing

__all__ = ["TABLE", "EsisRefusal", "refusal", "refusal_message"]

Stage = Literal["deur", "verwerking", "waarschuwing", "logboek"]


@dataclass(frozen=True)
class EsisRefusal:
    code: str
    statuses: tuple[int, ...]  # the HTTP statuses it is answered with at the door; () when not on the wire
    stage: Stage  # deur: the API answer; verwerking: ends the request after acceptance (see its status);
    # waarschuwing: a remark on the hulpvraag, the request goes on; logboek: in the audit only
    meaning: str
    action: str
    # the Dutch message the sender reads: variant → template (``""`` when there is one); {} when the code is
    # never shown (logboek)
    messages: Mapping[str, str]

    def message(self, variant: str = "", **params: object) -> str:
        return self.messages[variant].format(**params)


def _r(
    code: str, statuses: tuple[int, ...], stage: Stage, meaning: str, action: str, messages: Mapping[str, str]
) -> EsisRefusal:
    return EsisRefusal(code, statuses, stage, meaning, action, messages)


_ROWS = (
    # authentication and quota
    _r(
        "ESIS_VERIFICATIECODE_ONTBREEKT",
        (401,),
        "deur",
        "De header X-Verificatiecode ontbreekt.",
        "Stuur de verificatiecode van de vestiging mee (instellingen van de koppeling in ESIS).",
        {
            "": (
                "De verificatiecode ontbreekt. Activeer de koppeling in ESIS (Beheer > Koppelingen > "
                "Samenwerkingsverband) met de verificatiecode van de vestiging."
            ),
        },
    ),
    _r(
        "ESIS_VERIFICATIECODE_ONBEKEND",
        (401,),
        "deur",
        "De verificatiecode is onbekend of niet meer geldig (een ingetrokken code krijgt hetzelfde antwoord).",
        "Controleer de code in ESIS; klopt die, kijk op de koppelcheck van de vestiging of bel het secretariaat.",
        {
            "": (
                "De verificatiecode is niet bekend bij het samenwerkingsverband of niet meer geldig. Controleer de "
                "code in ESIS; klopt die, kijk dan op de koppelcheck van de vestiging of neem contact op met het "
                "secretariaat."
            ),
        },
    ),
    _r(
        "ESIS_VERIFICATIECODE_NIET_ACTIEF",
        (401,),
        "deur",
        "De verificatiecode is aangemeld maar nog niet geactiveerd door het secretariaat.",
        "Wacht op de mail dat de koppeling actief is, of vraag het secretariaat de code te activeren.",
        {
            "": (
                "De verificatiecode is aangemeld maar nog niet geactiveerd door het secretariaat. U ontvangt een "
                "mail zodra de koppeling actief is."
            ),
        },
    ),
    _r(
        "ESIS_VERIFICATIECODE_INGETROKKEN",
        (),
        "logboek",
        "Een ingetrokken verificatiecode werd gebruikt (op de lijn: ESIS_VERIFICATIECODE_ONBEKEND).",
        "De school vraagt een nieuwe code aan; het secretariaat ziet de poging in het logboek.",
        {},
    ),
    _r(
        "ESIS_TE_VEEL_POGINGEN",
        (429,),
        "deur",
        "Te veel pogingen met een onjuiste verificatiecode.",
        "Wacht de tijd uit de header Retry-After af en controleer de code voor u het opnieuw probeert.",
        {
            "": (
                "Te veel pogingen met een onjuiste verificatiecode. Probeer het over {minuten} minuten opnieuw, of "
                "neem contact op met het secretariaat."
            ),
        },
    ),
    _r(
        "ESIS_TE_VEEL_AANMELDINGEN",
        (429,),
        "deur",
        "Te veel aanmeldingen van verificatiecodes vanaf dit adres.",
        "Wacht de tijd uit de header Retry-After af.",
        {
            "": "Te veel aanmeldingen van verificatiecodes vanaf dit adres. Probeer het later opnieuw.",
        },
    ),
    # the form of the request
    _r(
        "ESIS_CONTENT_TYPE_ONGELDIG",
        (415,),
        "deur",
        "Het bericht heeft niet het verwachte Content-Type.",
        "Stuur een aanvraag als multipart/form-data, een aanmelding als application/json.",
        {
            "aanvraag": (
                "Stuur de aanvraag als multipart/form-data (gegevens en documenten) of als application/json "
                "(alleen gegevens)."
            ),
            "aanmelding": "Stuur de aanmelding als application/json.",
        },
    ),
    _r(
        "ESIS_MULTIPART_ONGELDIG",
        (400,),
        "deur",
        "Het multipart-bericht is onleesbaar (boundary, delen, koppen).",
        "Herstel de opbouw van het bericht (RFC 7578) en verstuur het opnieuw.",
        {
            "": "Het bericht is geen geldig multipart/form-data-bericht: {detail}. Controleer de koppeling in ESIS.",
            "boundary": "Het multipart-bericht mist een geldige boundary.",
            "deel_ontbreekt": "het onderdeel '{naam}' ontbreekt",
            "codering": "onderdeel '{naam}' gebruikt een codering die niet wordt ondersteund",
            "genest": "geneste multipart-onderdelen worden niet ondersteund",
            "deel_onbekend": "onbekend onderdeel '{naam}'; documenten heten 'document'",
        },
    ),
    _r(
        "ESIS_MULTIPART_VOLGORDE",
        (400,),
        "deur",
        "Het deel met de aanvraaggegevens staat niet vóór de documenten.",
        "Zet het JSON-deel 'aanvraag' als eerste deel in het bericht.",
        {
            "": "Het eerste onderdeel van het bericht moet '{naam}' (JSON) zijn, vóór de documenten.",
        },
    ),
    _r(
        "ESIS_UPLOAD_TE_TRAAG",
        (408,),
        "deur",
        "Het bericht kwam niet op tijd volledig binnen.",
        "Verstuur het opnieuw; blijft het gebeuren, controleer de verbinding.",
        {
            "": (
                "Het bericht kwam te traag binnen (minder dan {kb_per_seconde} kB per seconde of {stil_seconden:g} "
                "seconden niets) en is niet aangenomen. Verstuur de aanvraag opnieuw."
            ),
        },
    ),
    _r(
        "ESIS_AANVRAAG_TE_GROOT",
        (413,),
        "deur",
        "Het bericht is groter dan de toegestane omvang.",
        "Verklein of verminder de documenten en verstuur de aanvraag opnieuw.",
        {
            "bericht": "Het bericht is te groot: hoogstens {documenten} documenten van {mb} MB.",
            "gegevens": "De gegevens van de aanvraag zijn groter dan {kb} kB.",
        },
    ),
    _r(
        "ESIS_JSON_ONGELDIG",
        (400,),
        "deur",
        "De aanvraaggegevens zijn geen geldig JSON-object.",
        "Stuur de gegevens als één JSON-object in UTF-8.",
        {
            "": "De gegevens van de aanvraag zijn geen geldige JSON (UTF-8). Controleer de koppeling in ESIS.",
            "geen_object": "De gegevens van de aanvraag moeten een JSON-object zijn.",
        },
    ),
    _r(
        "ESIS_VELD_ONTBREEKT",
        (400, 422),
        "deur",
        "Een verplicht veld ontbreekt of is leeg.",
        "Vul het genoemde veld (location) en verstuur opnieuw.",
        {
            "": "Het veld '{veld}' ontbreekt of is leeg.",
            "onvolledig": "De aanvraag is niet compleet.",
            "intrekken": "Geef bij '{veld}' de sha256 of de bestandsnaam van het document.",
        },
    ),
    _r(
        "ESIS_VELD_ONGELDIG",
        (400, 422),
        "deur",
        "Een veld heeft niet de verwachte vorm.",
        "Herstel het genoemde veld volgens de OpenAPI-beschrijving.",
        {
            "tekst": "Het veld '{veld}' moet tekst zijn.",
            "tekst_254": "Het veld '{veld}' moet tekst zijn (hoogstens 254).",
            "stuurtekens": "Het veld '{veld}' bevat stuurtekens.",
            "object": "Het veld '{veld}' moet een object zijn.",
            "lijst": "Het veld '{veld}' moet een lijst zijn.",
            "soort": "Het veld '{veld}' moet een van {soorten} zijn.",
            "bestandsnaam": (
                "Het veld '{veld}' moet een bestandsnaam zijn zonder map of pad (geen / of \\), zoals "
                "'OPPondertekening.pdf'."
            ),
            "aanvraag_id": (
                "Het veld '{veld}' mag alleen letters, cijfers, punten, liggende streepjes en koppeltekens "
                "bevatten (hoogstens 64)."
            ),
            "brin6": "Het veld '{veld}' moet een BRIN6 zijn, zoals 27ZX01.",
            "waar_onwaar": "Het veld '{veld}' moet true of false zijn.",
            "datum": "Het veld '{veld}' moet een datum zijn als 2016-03-14.",
            "sha256": "Het veld '{veld}' moet een SHA-256 (64 hextekens) zijn.",
        },
    ),
    _r(
        "ESIS_VELD_TE_LANG",
        (400, 422),
        "deur",
        "Een veld is langer dan toegestaan.",
        "Kort het genoemde veld in.",
        {
            "": "Het veld '{veld}' is te lang: maximaal {maximum} tekens.",
        },
    ),
    _r(
        "ESIS_VELD_ONBEKEND",
        (400, 422),
        "deur",
        "Het bericht bevat een veld dat deze koppeling niet kent.",
        "Laat het veld weg (of gebruik de naam uit de OpenAPI-beschrijving).",
        {
            "": "Het veld '{veld}' is onbekend in deze koppeling.",
        },
    ),
    _r(
        "ESIS_BSN_NIET_TOEGESTAAN",
        (400, 422),
        "deur",
        "Een veld of bestandsnaam bevat een BSN; de gateway slaat geen BSN op (het nummer wordt niet genoemd).",
        "Haal het BSN uit het genoemde veld of de bestandsnaam.",
        {
            "in_tekst": (
                "Het veld '{veld}' bevat een nummer van negen cijfers dat een BSN of onderwijsnummer kan zijn. Een "
                "aanvraag mag geen BSN of onderwijsnummer bevatten; het bericht is niet bewaard. Haal het nummer "
                "weg en verstuur de aanvraag opnieuw."
            ),
            "veldnaam": (
                "Een aanvraag mag geen BSN of onderwijsnummer bevatten. Verwijder dit gegeven en verstuur de "
                "aanvraag opnieuw."
            ),
        },
    ),
    _r(
        "ESIS_IDEMPOTENCY_KEY_ONGELDIG",
        (400,),
        "deur",
        "De header Idempotency-Key heeft niet de verwachte vorm.",
        "Gebruik alleen letters, cijfers en . _ : - (hoogstens 100 tekens), een nieuwe sleutel per wijziging.",
        {
            "": "De Idempotency-Key mag alleen letters, cijfers en . _ : - bevatten (hoogstens 100 tekens).",
        },
    ),
    # documents
    _r(
        "ESIS_TE_VEEL_DOCUMENTEN",
        (400, 422),
        "deur",
        "De aanvraag bevat meer documenten dan toegestaan.",
        "Voeg documenten samen of stuur minder documenten mee.",
        {
            "": "Een aanvraag mag hoogstens {maximum} documenten bevatten.",
        },
    ),
    _r(
        "ESIS_DOCUMENT_ONTBREEKT",
        (422,),
        "deur",
        "Een document uit de lijst 'documenten' zit niet in het bericht.",
        "Stuur elk genoemd document als eigen deel mee.",
        {
            "": "Het document '{naam}' staat in de lijst 'documenten', maar zit niet in het bericht.",
        },
    ),
    _r(
        "ESIS_DOCUMENT_NAAM_ONTBREEKT",
        (422,),
        "deur",
        "Een documentdeel heeft geen bestandsnaam.",
        "Geef elk documentdeel een filename in Content-Disposition.",
        {
            "": (
                "Een document heeft geen bestandsnaam. Geef elk document een naam die zegt wat het is, zoals "
                "'OPPondertekening.pdf'."
            ),
        },
    ),
    _r(
        "ESIS_DOCUMENT_DUBBEL",
        (400, 422),
        "deur",
        "Twee documenten hebben dezelfde bestandsnaam.",
        "Geef elk document een eigen bestandsnaam.",
        {
            "in_lijst": "Het document '{naam}' staat twee keer in de lijst; geef elk document een eigen naam.",
            "in_bericht": "Het document '{naam}' zit twee keer in het bericht; geef elk document een eigen naam.",
        },
    ),
    _r(
        "ESIS_DOCUMENT_LEEG",
        (422,),
        "deur",
        "Een document is leeg.",
        "Stuur het document met inhoud opnieuw.",
        {
            "": "Het document '{naam}' is leeg.",
        },
    ),
    _r(
        "ESIS_DOCUMENT_TE_GROOT",
        (413,),
        "deur",
        "Een document is groter dan de toegestane omvang.",
        "Verklein het document en verstuur de aanvraag opnieuw.",
        {
            "": (
                "Het document '{naam}' is groter dan {mb} MB. Verklein het document (bijvoorbeeld als PDF met een "
                "lagere resolutie) of splits het op."
            ),
        },
    ),
    _r(
        "ESIS_DOCUMENT_TYPE_NIET_TOEGESTAAN",
        (415,),
        "deur",
        "Het soort document is niet toegestaan.",
        "Sla het document op als PDF (of Word) en verstuur de aanvraag opnieuw.",
        {
            "": (
                "Het document '{naam}' is geen PDF- of Word-bestand. Via ESIS kunnen alleen PDF- en "
                "Word-documenten worden meegestuurd; sla het document op als PDF en verstuur de aanvraag opnieuw."
            ),
        },
    ),
    # the request against the registry and earlier requests
    _r(
        "ESIS_SWV_ONBEKEND",
        (422,),
        "deur",
        "Het samenwerkingsverband in de aanvraag is niet dit samenwerkingsverband.",
        "Kies in ESIS bij 'Aanvraag bestemd voor samenwerkingsverband' dit samenwerkingsverband.",
        {
            "": (
                "De aanvraag is bestemd voor samenwerkingsverband {gevraagd}, maar dit is {ons}. Kies in ESIS bij "
                "'Aanvraag bestemd voor samenwerkingsverband' {ons}."
            ),
        },
    ),
    _r(
        "ESIS_VESTIGING_HOORT_NIET_BIJ_CODE",
        (403,),
        "deur",
        "De vestiging in de aanvraag is niet de vestiging van de verificatiecode.",
        "Verstuur de aanvraag vanuit de ESIS-omgeving van de vestiging waarvoor zij is.",
        {
            "": (
                "De verificatiecode hoort bij vestiging {code_vestiging}, maar de aanvraag is voor vestiging "
                "{vestiging}. Verstuur de aanvraag vanuit de ESIS-omgeving van die vestiging."
            ),
            "wijziging": "De aanvraag hoort bij een andere vestiging.",
        },
    ),
    _r(
        "ESIS_AANVRAAGTYPE_ONBEKEND",
        (422,),
        "deur",
        "De korte omschrijving is geen aanvraagtype van het samenwerkingsverband.",
        "Gebruik precies de formulering van het samenwerkingsverband (handleiding §2.1).",
        {
            "": (
                "De korte omschrijving {naam!r} is geen aanvraagtype van het samenwerkingsverband. Gebruik precies "
                "de formulering van het samenwerkingsverband (handleiding §2.1).{tip}"
            ),
            "tip": " Bedoelde u: {suggesties}?",
        },
    ),
    _r(
        "ESIS_AANVRAAG_AL_ONTVANGEN",
        (409,),
        "deur",
        "Deze aanvraag is al eerder ontvangen, met andere gegevens.",
        "Wijzig een verzonden aanvraag via een wijziging (heropenen in ESIS), niet door haar opnieuw aan te maken.",
        {
            "": (
                "Aanvraag {aanvraag_id} is al eerder ontvangen met andere gegevens. Wijzig een verzonden aanvraag "
                "via een wijziging (heropenen in ESIS), niet door haar opnieuw aan te maken."
            ),
        },
    ),
    _r(
        "ESIS_IDEMPOTENCY_KEY_HERGEBRUIKT",
        (409,),
        "deur",
        "Dezelfde Idempotency-Key werd eerder gebruikt voor een andere wijziging.",
        "Gebruik een nieuwe sleutel voor elke nieuwe wijziging.",
        {
            "": (
                "Deze Idempotency-Key is al gebruikt voor een andere wijziging. Gebruik per wijziging een nieuwe "
                "sleutel."
            ),
        },
    ),
    _r(
        "ESIS_AANVRAAG_ONBEKEND",
        (404,),
        "deur",
        "De aanvraag waarnaar verwezen wordt is niet bekend.",
        "Controleer het aanvraag-id; stuur een nieuwe aanvraag als die nooit is aangekomen.",
        {
            "vorm": "Deze aanvraag is niet bekend.",
            "wijziging": (
                "Aanvraag {aanvraag_id} is niet bekend voor deze vestiging en ESIS-omgeving. Verstuur eerst de "
                "aanvraag zelf."
            ),
            "status": "Aanvraag {aanvraag_id} is niet bekend voor deze vestiging en ESIS-omgeving.",
        },
    ),
    _r(
        "ESIS_WIJZIGING_LEEG",
        (422,),
        "deur",
        "De wijziging wijzigt niets.",
        "Voeg documenten toe, trek documenten in of pas de omschrijving aan.",
        {
            "": (
                "De wijziging bevat niets om te wijzigen: voeg documenten toe, trek documenten in of pas de "
                "omschrijving aan."
            ),
        },
    ),
    # after acceptance (the status of the request says it)
    _r(
        "ESIS_AANVRAAG_NIET_VERWERKT",
        (),
        "verwerking",
        "De wijziging hoort bij een aanvraag die niet is verwerkt.",
        "Verstuur de aanvraag opnieuw als nieuwe aanvraag.",
        {
            "": (
                "De wijziging hoort bij aanvraag {aanvraag_id}, maar die aanvraag is niet verwerkt (zie de "
                "status). Verstuur de aanvraag opnieuw als nieuwe aanvraag."
            ),
        },
    ),
    _r(
        "ESIS_DOCUMENT_KWIJT",
        (),
        "verwerking",
        "Een document van de aanvraag is niet meer aanwezig.",
        "Verstuur de aanvraag opnieuw.",
        {
            "": "Het document '{naam}' is niet meer aanwezig. Verstuur de aanvraag opnieuw.",
        },
    ),
    _r(
        "ESIS_DOCUMENT_NIET_GEVONDEN",
        (),
        "waarschuwing",
        "Een document dat de school wilde intrekken zit niet (meer) in de hulpvraag.",
        "Niets; ter informatie.",
        {
            "": "De school wilde het document '{naam}' intrekken, maar dat zit niet (meer) in de hulpvraag.",
        },
    ),
    _r(
        "ESIS_DOCUMENT_EERDER_INGETROKKEN",
        (),
        "waarschuwing",
        "Een eerder ingetrokken document is opnieuw gestuurd en niet opnieuw toegevoegd.",
        "Het secretariaat beoordeelt of het document erbij hoort.",
        {
            "": (
                "Het document '{naam}' is eerder ingetrokken en nu opnieuw gestuurd; het is niet opnieuw "
                "toegevoegd. Het secretariaat beoordeelt of het document erbij hoort."
            ),
        },
    ),
    _r(
        "ESIS_OMSCHRIJVING_GEWIJZIGD",
        (),
        "waarschuwing",
        "De school heeft de omschrijving gewijzigd via ESIS.",
        "Niets; het secretariaat ziet de vorige omschrijving.",
        {
            "": "De school heeft de omschrijving gewijzigd via ESIS. Vorige omschrijving: {vorige!r}.",
        },
    ),
)

TABLE: dict[str, EsisRefusal] = {row.code: row for row in _ROWS}
assert len(TABLE) == len(_ROWS), "a code is listed twice"


def refusal_message(code: str, variant: str = "", **params: object) -> str:
    """The Dutch message of ``code`` (its ``variant``), filled in with ``params``."""
    return TABLE[code].message(variant, **params)


def refusal(code: str, location: str | None = None, variant: str = "", **params: object) -> Finding:
    """The finding of ``code``: an error, or a remark when the table's stage says the request goes on."""
    row = TABLE[code]
    make = waarschuwing if row.stage == "waarschuwing" else fout
    return make(code, row.message(variant, **params), location)
