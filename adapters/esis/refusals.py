"""Every refusal code of the ESIS adapter in one table: the HTTP status it is answered with, what it means and
what the sender (ESIS, the school or its supplier) should do — in Dutch, as partners read it.

The messages themselves are written where the rule is checked (they name the field, the document, the limit);
this table is what they have in common. `tests/esis/test_refusal_table.py` holds the code to it: every
``ESIS_*`` code in ``adapters/esis`` is here, every code here is used, and every ``refuse(status, code, …)`` /
``ApiError(status, [fout(code, …)])`` answers with a status listed here. `docs/refusals/esis.md` is generated
from it (``python -m adapters.refusal_docs``). Codes the adapter passes on from ``verification/`` and the
attachment inspector (``BIJLAGE_*``, ``OPP_ONTBREEKT``, ``VERIFICATIECODE_*``, …) keep their own messages there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["TABLE", "EsisRefusal"]

Stage = Literal["deur", "verwerking", "waarschuwing", "logboek"]


@dataclass(frozen=True)
class EsisRefusal:
    code: str
    statuses: tuple[int, ...]  # the HTTP statuses it is answered with at the door; () when not on the wire
    stage: Stage  # deur: the API answer; verwerking: ends the request after acceptance (see its status);
    # waarschuwing: a remark on the hulpvraag, the request goes on; logboek: in the audit only
    meaning: str
    action: str


def _r(code: str, statuses: tuple[int, ...], stage: Stage, meaning: str, action: str) -> EsisRefusal:
    return EsisRefusal(code, statuses, stage, meaning, action)


_ROWS = (
    # authentication and quota
    _r(
        "ESIS_VERIFICATIECODE_ONTBREEKT",
        (401,),
        "deur",
        "De header X-Verificatiecode ontbreekt.",
        "Stuur de verificatiecode van de vestiging mee (instellingen van de koppeling in ESIS).",
    ),
    _r(
        "ESIS_VERIFICATIECODE_ONBEKEND",
        (401,),
        "deur",
        "De verificatiecode is onbekend of niet meer geldig (een ingetrokken code krijgt hetzelfde antwoord).",
        "Controleer de code in ESIS; klopt die, kijk op de koppelcheck van de vestiging of bel het secretariaat.",
    ),
    _r(
        "ESIS_VERIFICATIECODE_NIET_ACTIEF",
        (401,),
        "deur",
        "De verificatiecode is aangemeld maar nog niet geactiveerd door het secretariaat.",
        "Wacht op de mail dat de koppeling actief is, of vraag het secretariaat de code te activeren.",
    ),
    _r(
        "ESIS_VERIFICATIECODE_INGETROKKEN",
        (),
        "logboek",
        "Een ingetrokken verificatiecode werd gebruikt (op de lijn: ESIS_VERIFICATIECODE_ONBEKEND).",
        "De school vraagt een nieuwe code aan; het secretariaat ziet de poging in het logboek.",
    ),
    _r(
        "ESIS_TE_VEEL_POGINGEN",
        (429,),
        "deur",
        "Te veel pogingen met een onjuiste verificatiecode.",
        "Wacht de tijd uit de header Retry-After af en controleer de code voor u het opnieuw probeert.",
    ),
    _r(
        "ESIS_TE_VEEL_AANMELDINGEN",
        (429,),
        "deur",
        "Te veel aanmeldingen van verificatiecodes vanaf dit adres.",
        "Wacht de tijd uit de header Retry-After af.",
    ),
    # the form of the request
    _r(
        "ESIS_CONTENT_TYPE_ONGELDIG",
        (415,),
        "deur",
        "Het bericht heeft niet het verwachte Content-Type.",
        "Stuur een aanvraag als multipart/form-data, een aanmelding als application/json.",
    ),
    _r(
        "ESIS_MULTIPART_ONGELDIG",
        (400,),
        "deur",
        "Het multipart-bericht is onleesbaar (boundary, delen, koppen).",
        "Herstel de opbouw van het bericht (RFC 7578) en verstuur het opnieuw.",
    ),
    _r(
        "ESIS_MULTIPART_VOLGORDE",
        (400,),
        "deur",
        "Het deel met de aanvraaggegevens staat niet vóór de documenten.",
        "Zet het JSON-deel 'aanvraag' als eerste deel in het bericht.",
    ),
    _r(
        "ESIS_UPLOAD_TE_TRAAG",
        (408,),
        "deur",
        "Het bericht kwam niet op tijd volledig binnen.",
        "Verstuur het opnieuw; blijft het gebeuren, controleer de verbinding.",
    ),
    _r(
        "ESIS_AANVRAAG_TE_GROOT",
        (413,),
        "deur",
        "Het bericht is groter dan de toegestane omvang.",
        "Verklein of verminder de documenten en verstuur de aanvraag opnieuw.",
    ),
    _r(
        "ESIS_JSON_ONGELDIG",
        (400,),
        "deur",
        "De aanvraaggegevens zijn geen geldig JSON-object.",
        "Stuur de gegevens als één JSON-object in UTF-8.",
    ),
    _r(
        "ESIS_VELD_ONTBREEKT",
        (400, 422),
        "deur",
        "Een verplicht veld ontbreekt of is leeg.",
        "Vul het genoemde veld (location) en verstuur opnieuw.",
    ),
    _r(
        "ESIS_VELD_ONGELDIG",
        (400, 422),
        "deur",
        "Een veld heeft niet de verwachte vorm.",
        "Herstel het genoemde veld volgens de OpenAPI-beschrijving.",
    ),
    _r("ESIS_VELD_TE_LANG", (400, 422), "deur", "Een veld is langer dan toegestaan.", "Kort het genoemde veld in."),
    _r(
        "ESIS_VELD_ONBEKEND",
        (400, 422),
        "deur",
        "Het bericht bevat een veld dat deze koppeling niet kent.",
        "Laat het veld weg (of gebruik de naam uit de OpenAPI-beschrijving).",
    ),
    _r(
        "ESIS_BSN_NIET_TOEGESTAAN",
        (400, 422),
        "deur",
        "Een veld of bestandsnaam bevat een BSN; de gateway slaat geen BSN op (het nummer wordt niet genoemd).",
        "Haal het BSN uit het genoemde veld of de bestandsnaam.",
    ),
    _r(
        "ESIS_IDEMPOTENCY_KEY_ONGELDIG",
        (400,),
        "deur",
        "De header Idempotency-Key heeft niet de verwachte vorm.",
        "Gebruik alleen letters, cijfers en . _ : - (hoogstens 100 tekens), een nieuwe sleutel per wijziging.",
    ),
    # documents
    _r(
        "ESIS_TE_VEEL_DOCUMENTEN",
        (400, 422),
        "deur",
        "De aanvraag bevat meer documenten dan toegestaan.",
        "Voeg documenten samen of stuur minder documenten mee.",
    ),
    _r(
        "ESIS_DOCUMENT_ONTBREEKT",
        (422,),
        "deur",
        "Een document uit de lijst 'documenten' zit niet in het bericht.",
        "Stuur elk genoemd document als eigen deel mee.",
    ),
    _r(
        "ESIS_DOCUMENT_NAAM_ONTBREEKT",
        (422,),
        "deur",
        "Een documentdeel heeft geen bestandsnaam.",
        "Geef elk documentdeel een filename in Content-Disposition.",
    ),
    _r(
        "ESIS_DOCUMENT_DUBBEL",
        (400, 422),
        "deur",
        "Twee documenten hebben dezelfde bestandsnaam.",
        "Geef elk document een eigen bestandsnaam.",
    ),
    _r("ESIS_DOCUMENT_LEEG", (422,), "deur", "Een document is leeg.", "Stuur het document met inhoud opnieuw."),
    _r(
        "ESIS_DOCUMENT_TE_GROOT",
        (413,),
        "deur",
        "Een document is groter dan de toegestane omvang.",
        "Verklein het document en verstuur de aanvraag opnieuw.",
    ),
    _r(
        "ESIS_DOCUMENT_TYPE_NIET_TOEGESTAAN",
        (415,),
        "deur",
        "Het soort document is niet toegestaan.",
        "Sla het document op als PDF (of Word) en verstuur de aanvraag opnieuw.",
    ),
    # the request against the registry and earlier requests
    _r(
        "ESIS_SWV_ONBEKEND",
        (422,),
        "deur",
        "Het samenwerkingsverband in de aanvraag is niet dit samenwerkingsverband.",
        "Kies in ESIS bij 'Aanvraag bestemd voor samenwerkingsverband' dit samenwerkingsverband.",
    ),
    _r(
        "ESIS_VESTIGING_HOORT_NIET_BIJ_CODE",
        (403,),
        "deur",
        "De vestiging in de aanvraag is niet de vestiging van de verificatiecode.",
        "Verstuur de aanvraag vanuit de ESIS-omgeving van de vestiging waarvoor zij is.",
    ),
    _r(
        "ESIS_AANVRAAGTYPE_ONBEKEND",
        (422,),
        "deur",
        "De korte omschrijving is geen aanvraagtype van het samenwerkingsverband.",
        "Gebruik precies de formulering van het samenwerkingsverband (handleiding §2.1).",
    ),
    _r(
        "ESIS_AANVRAAG_AL_ONTVANGEN",
        (409,),
        "deur",
        "Deze aanvraag is al eerder ontvangen, met andere gegevens.",
        "Wijzig een verzonden aanvraag via een wijziging (heropenen in ESIS), niet door haar opnieuw aan te maken.",
    ),
    _r(
        "ESIS_IDEMPOTENCY_KEY_HERGEBRUIKT",
        (409,),
        "deur",
        "Dezelfde Idempotency-Key werd eerder gebruikt voor een andere wijziging.",
        "Gebruik een nieuwe sleutel voor elke nieuwe wijziging.",
    ),
    _r(
        "ESIS_AANVRAAG_ONBEKEND",
        (404,),
        "deur",
        "De aanvraag waarnaar verwezen wordt is niet bekend.",
        "Controleer het aanvraag-id; stuur een nieuwe aanvraag als die nooit is aangekomen.",
    ),
    _r(
        "ESIS_WIJZIGING_LEEG",
        (422,),
        "deur",
        "De wijziging wijzigt niets.",
        "Voeg documenten toe, trek documenten in of pas de omschrijving aan.",
    ),
    # after acceptance (the status of the request says it)
    _r(
        "ESIS_AANVRAAG_NIET_VERWERKT",
        (),
        "verwerking",
        "De wijziging hoort bij een aanvraag die niet is verwerkt.",
        "Verstuur de aanvraag opnieuw als nieuwe aanvraag.",
    ),
    _r(
        "ESIS_DOCUMENT_KWIJT",
        (),
        "verwerking",
        "Een document van de aanvraag is niet meer aanwezig.",
        "Verstuur de aanvraag opnieuw.",
    ),
    _r(
        "ESIS_DOCUMENT_NIET_GEVONDEN",
        (),
        "waarschuwing",
        "Een document dat de school wilde intrekken zit niet (meer) in de hulpvraag.",
        "Niets; ter informatie.",
    ),
    _r(
        "ESIS_DOCUMENT_EERDER_INGETROKKEN",
        (),
        "waarschuwing",
        "Een eerder ingetrokken document is opnieuw gestuurd en niet opnieuw toegevoegd.",
        "Het secretariaat beoordeelt of het document erbij hoort.",
    ),
    _r(
        "ESIS_OMSCHRIJVING_GEWIJZIGD",
        (),
        "waarschuwing",
        "De school heeft de omschrijving gewijzigd via ESIS.",
        "Niets; het secretariaat ziet de vorige omschrijving.",
    ),
)

TABLE: dict[str, EsisRefusal] = {row.code: row for row in _ROWS}
assert len(TABLE) == len(_ROWS), "a code is listed twice"
