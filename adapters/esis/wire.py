"""The ESIS wire format (ours to define, ASSUMPTION DOMAIN.md §2.2): the JSON of a new request (`aanvraag`)
and of an update (`wijziging`), checked field by field into plain dataclasses.

Every problem becomes a finding with the JSON path as location; the caller answers 422 with all of them
at once. A pupil identity never carries a BSN or onderwijsnummer: such a field is refused outright.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from verification.bsn import contains_bsn
from verification.findings import Finding, fout

__all__ = [
    "DOCUMENT_ROLES",
    "DocumentMeta",
    "EsisAanvraag",
    "EsisWijziging",
    "Removal",
    "WireError",
    "decode_json",
    "parse_aanvraag",
    "parse_wijziging",
]

AANVRAAG_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
SHA256 = re.compile(r"[0-9a-f]{64}")
DOCUMENT_ROLES = ("opp", "toelichting_onderwijsbehoeften", "overig")


def bsn_in_text_message(field: str) -> str:
    return (
        f"Het veld '{field}' bevat een nummer van negen cijfers dat een BSN of onderwijsnummer kan zijn. Een "
        "aanvraag mag geen BSN of onderwijsnummer bevatten; het bericht is niet bewaard. Haal het nummer weg en "
        "verstuur de aanvraag opnieuw."
    )


_FORBIDDEN = ("bsn", "onderwijsnummer", "burgerservicenummer", "sofinummer")


class WireError(Exception):
    """The JSON is not what the API expects; ``syntax`` distinguishes unreadable JSON (400) from wrong
    content (422)."""

    def __init__(self, findings: list[Finding], *, syntax: bool = False) -> None:
        super().__init__("; ".join(f.code for f in findings))
        self.findings = findings
        self.syntax = syntax


@dataclass(frozen=True, slots=True)
class DocumentMeta:
    bestandsnaam: str
    soort: str = "overig"
    omschrijving: str | None = None


@dataclass(frozen=True, slots=True)
class Removal:
    sha256: str | None = None
    bestandsnaam: str | None = None


@dataclass(frozen=True, slots=True)
class EsisAanvraag:
    aanvraag_id: str
    swv_code: str
    brin6: str
    vestiging: dict[str, Any]
    contact: dict[str, str]
    korte_omschrijving: str
    omschrijving: str | None
    opp: bool
    leerling: dict[str, str | None]
    geboortedatum: dt.date
    documenten: tuple[DocumentMeta, ...] = ()

    def to_meta(self) -> dict[str, Any]:
        return {
            "aanvraag_id": self.aanvraag_id,
            "swv_code": self.swv_code,
            "brin6": self.brin6,
            "vestiging": self.vestiging,
            "contact": self.contact,
            "korte_omschrijving": self.korte_omschrijving,
            "omschrijving": self.omschrijving,
            "opp": self.opp,
            "leerling": {**self.leerling, "geboortedatum": self.geboortedatum.isoformat()},
        }


@dataclass(frozen=True, slots=True)
class EsisWijziging:
    omschrijving: str | None = None
    verwijder: tuple[Removal, ...] = ()
    documenten: tuple[DocumentMeta, ...] = ()
    raw_keys: frozenset[str] = field(default_factory=frozenset)


def decode_json(raw: bytes, location: str) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise WireError(
            [
                fout(
                    "ESIS_JSON_ONGELDIG",
                    "De gegevens van de aanvraag zijn geen geldige JSON (UTF-8). Controleer de koppeling in ESIS.",
                    location,
                )
            ],
            syntax=True,
        ) from None
    if not isinstance(data, dict):
        raise WireError(
            [fout("ESIS_JSON_ONGELDIG", "De gegevens van de aanvraag moeten een JSON-object zijn.", location)],
            syntax=True,
        )
    return data


class _Checker:
    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def add(self, code: str, message: str, location: str) -> None:
        self.findings.append(fout(code, message, location))

    def missing(self, loc: str) -> None:
        self.add("ESIS_VELD_ONTBREEKT", f"Het veld '{loc}' ontbreekt of is leeg.", loc)

    def text(self, obj: dict[str, Any], key: str, loc: str, *, required: bool = True, max_len: int = 200) -> str | None:
        value = obj.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.missing(loc)
            return None
        if not isinstance(value, str):
            self.add("ESIS_VELD_ONGELDIG", f"Het veld '{loc}' moet tekst zijn.", loc)
            return None
        if len(value) > max_len:
            self.add("ESIS_VELD_TE_LANG", f"Het veld '{loc}' is te lang: maximaal {max_len} tekens.", loc)
            return None
        if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
            self.add("ESIS_VELD_ONGELDIG", f"Het veld '{loc}' bevat stuurtekens.", loc)
            return None
        if contains_bsn(value):
            self.add("ESIS_BSN_NIET_TOEGESTAAN", bsn_in_text_message(loc), loc)  # names the field, never the number
            return None
        return value.strip()

    def obj(self, parent: dict[str, Any], key: str, loc: str, *, required: bool = True) -> dict[str, Any] | None:
        value = parent.get(key)
        if value is None:
            if required:
                self.missing(loc)
            return None
        if not isinstance(value, dict):
            self.add("ESIS_VELD_ONGELDIG", f"Het veld '{loc}' moet een object zijn.", loc)
            return None
        return value

    def unknown(self, obj: dict[str, Any], allowed: set[str], loc: str) -> None:
        for key in obj:
            if key.lower() in _FORBIDDEN:
                self.add(
                    "ESIS_BSN_NIET_TOEGESTAAN",
                    "Een aanvraag mag geen BSN of onderwijsnummer bevatten. Verwijder dit gegeven en verstuur de "
                    "aanvraag opnieuw.",
                    f"{loc}.{key}" if loc else key,
                )
            elif key not in allowed:
                where = f"{loc}.{key}" if loc else key
                self.add("ESIS_VELD_ONBEKEND", f"Het veld '{where}' is onbekend in deze koppeling.", where)

    def documents(self, parent: dict[str, Any], loc: str, limit: int) -> tuple[DocumentMeta, ...]:
        value = parent.get("documenten", [])
        if not isinstance(value, list):
            self.add("ESIS_VELD_ONGELDIG", f"Het veld '{loc}' moet een lijst zijn.", loc)
            return ()
        if len(value) > limit:
            self.add("ESIS_TE_VEEL_DOCUMENTEN", f"Een aanvraag mag hoogstens {limit} documenten bevatten.", loc)
            return ()
        out: list[DocumentMeta] = []
        names: set[str] = set()
        for i, item in enumerate(value):
            at = f"{loc}[{i}]"
            if not isinstance(item, dict):
                self.add("ESIS_VELD_ONGELDIG", f"Het veld '{at}' moet een object zijn.", at)
                continue
            self.unknown(item, {"bestandsnaam", "soort", "omschrijving"}, at)
            name = self.text(item, "bestandsnaam", f"{at}.bestandsnaam", max_len=255)
            soort = item.get("soort", "overig")
            if soort not in DOCUMENT_ROLES:
                self.add(
                    "ESIS_VELD_ONGELDIG",
                    f"Het veld '{at}.soort' moet een van {', '.join(DOCUMENT_ROLES)} zijn.",
                    f"{at}.soort",
                )
                continue
            omschrijving = self.text(item, "omschrijving", f"{at}.omschrijving", required=False, max_len=500)
            if name is None:
                continue
            if not _plain_file_name(name):
                self.add(
                    "ESIS_VELD_ONGELDIG",
                    f"Het veld '{at}.bestandsnaam' moet een bestandsnaam zijn zonder map of pad (geen / of \\), "
                    "zoals 'OPPondertekening.pdf'.",
                    f"{at}.bestandsnaam",
                )
                continue
            if name in names:
                self.add(
                    "ESIS_DOCUMENT_DUBBEL",
                    f"Het document '{name}' staat twee keer in de lijst; geef elk document een eigen naam.",
                    f"{at}.bestandsnaam",
                )
                continue
            names.add(name)
            out.append(DocumentMeta(name, soort, omschrijving))
        return tuple(out)


def _plain_file_name(name: str) -> bool:
    """A file name, not a path: no directory separators and not ``.`` or ``..``."""
    return "/" not in name and "\\" not in name and name.strip(". ") != ""


def parse_aanvraag(data: dict[str, Any], *, max_documents: int = 20) -> EsisAanvraag:
    c = _Checker()
    c.unknown(
        data,
        {
            "esis_aanvraag_id",
            "swv_code",
            "vestiging",
            "contactpersoon",
            "korte_omschrijving",
            "omschrijving",
            "opp",
            "leerling",
            "documenten",
        },
        "",
    )
    aanvraag_id = c.text(data, "esis_aanvraag_id", "esis_aanvraag_id", max_len=64)
    if aanvraag_id is not None and not AANVRAAG_ID.fullmatch(aanvraag_id):
        c.add(
            "ESIS_VELD_ONGELDIG",
            "Het veld 'esis_aanvraag_id' mag alleen letters, cijfers, punten, liggende streepjes en koppeltekens "
            "bevatten (hoogstens 64).",
            "esis_aanvraag_id",
        )
        aanvraag_id = None
    swv_code = c.text(data, "swv_code", "swv_code", max_len=6)
    vestiging = c.obj(data, "vestiging", "vestiging") or {}
    brin6 = None
    if vestiging:
        c.unknown(vestiging, {"brin6", "naam", "bezoekadres", "postadres"}, "vestiging")
        brin6 = c.text(vestiging, "brin6", "vestiging.brin6", max_len=6)
        if brin6 is not None and not re.fullmatch(r"[0-9]{2}[A-Za-z]{2}[0-9]{2}", brin6):
            c.add(
                "ESIS_VELD_ONGELDIG", "Het veld 'vestiging.brin6' moet een BRIN6 zijn, zoals 27ZX01.", "vestiging.brin6"
            )
            brin6 = None
        c.text(vestiging, "naam", "vestiging.naam", required=False)
        for adres in ("bezoekadres", "postadres"):
            sub = c.obj(vestiging, adres, f"vestiging.{adres}", required=False)
            if sub is not None:
                c.unknown(sub, {"straat", "huisnummer", "postcode", "plaats"}, f"vestiging.{adres}")
                for k in ("straat", "huisnummer", "postcode", "plaats"):
                    c.text(sub, k, f"vestiging.{adres}.{k}", required=False, max_len=100)
    contact_obj = c.obj(data, "contactpersoon", "contactpersoon")
    contact: dict[str, str] = {}
    if contact_obj is not None:
        c.unknown(contact_obj, {"naam", "email", "telefoon"}, "contactpersoon")
        for k in ("naam", "email", "telefoon"):
            v = c.text(contact_obj, k, f"contactpersoon.{k}", required=k == "naam", max_len=254)
            if v is not None:
                contact[k] = v
    korte = c.text(data, "korte_omschrijving", "korte_omschrijving", max_len=200)
    omschrijving = c.text(data, "omschrijving", "omschrijving", required=False, max_len=4000)
    opp = data.get("opp", True)
    if not isinstance(opp, bool):
        c.add("ESIS_VELD_ONGELDIG", "Het veld 'opp' moet true of false zijn.", "opp")
        opp = True
    leerling_obj = c.obj(data, "leerling", "leerling")
    leerling: dict[str, str | None] = {}
    geboortedatum: dt.date | None = None
    if leerling_obj is not None:
        c.unknown(leerling_obj, {"leerlingid", "voornaam", "tussenvoegsel", "achternaam", "geboortedatum"}, "leerling")
        for k, req in (("leerlingid", True), ("voornaam", True), ("tussenvoegsel", False), ("achternaam", True)):
            leerling[k] = c.text(leerling_obj, k, f"leerling.{k}", required=req, max_len=100)
        raw_date = c.text(leerling_obj, "geboortedatum", "leerling.geboortedatum", max_len=10)
        if raw_date is not None:
            try:
                geboortedatum = dt.date.fromisoformat(raw_date)
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw_date):
                    raise ValueError
            except ValueError:
                c.add(
                    "ESIS_VELD_ONGELDIG",
                    "Het veld 'leerling.geboortedatum' moet een datum zijn als 2016-03-14.",
                    "leerling.geboortedatum",
                )
    documenten = c.documents(data, "documenten", max_documents)
    if c.findings:
        raise WireError(c.findings)
    if not (aanvraag_id and swv_code and brin6 and korte and geboortedatum):  # every path above adds a finding
        raise WireError([fout("ESIS_VELD_ONTBREEKT", "De aanvraag is niet compleet.", "aanvraag")])
    return EsisAanvraag(
        aanvraag_id=aanvraag_id,
        swv_code=swv_code.upper(),
        brin6=brin6.upper(),
        vestiging=vestiging,
        contact=contact,
        korte_omschrijving=korte,
        omschrijving=omschrijving,
        opp=opp,
        leerling=leerling,
        geboortedatum=geboortedatum,
        documenten=documenten,
    )


def parse_wijziging(data: dict[str, Any], *, max_documents: int = 20) -> EsisWijziging:
    c = _Checker()
    c.unknown(data, {"omschrijving", "verwijder_documenten", "documenten"}, "")
    omschrijving = c.text(data, "omschrijving", "omschrijving", required=False, max_len=4000)
    removals: list[Removal] = []
    raw = data.get("verwijder_documenten", [])
    if not isinstance(raw, list) or len(raw) > 100:
        c.add("ESIS_VELD_ONGELDIG", "Het veld 'verwijder_documenten' moet een lijst zijn.", "verwijder_documenten")
        raw = []
    for i, item in enumerate(raw):
        at = f"verwijder_documenten[{i}]"
        if not isinstance(item, dict):
            c.add("ESIS_VELD_ONGELDIG", f"Het veld '{at}' moet een object zijn.", at)
            continue
        c.unknown(item, {"sha256", "bestandsnaam"}, at)
        sha = c.text(item, "sha256", f"{at}.sha256", required=False, max_len=64)
        name = c.text(item, "bestandsnaam", f"{at}.bestandsnaam", required=False, max_len=255)
        if sha is not None and not SHA256.fullmatch(sha):
            c.add("ESIS_VELD_ONGELDIG", f"Het veld '{at}.sha256' moet een SHA-256 (64 hextekens) zijn.", f"{at}.sha256")
            continue
        if sha is None and name is None:
            c.add("ESIS_VELD_ONTBREEKT", f"Geef bij '{at}' de sha256 of de bestandsnaam van het document.", at)
            continue
        removals.append(Removal(sha, name))
    documenten = c.documents(data, "documenten", max_documents)
    if c.findings:
        raise WireError(c.findings)
    return EsisWijziging(omschrijving, tuple(removals), documenten, frozenset(data))
