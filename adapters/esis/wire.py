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

from adapters.esis.refusals import refusal
from verification.bsn import contains_bsn
from verification.findings import Finding

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
        raise WireError([refusal("ESIS_JSON_ONGELDIG", location)], syntax=True) from None
    if not isinstance(data, dict):
        raise WireError([refusal("ESIS_JSON_ONGELDIG", location, "geen_object")], syntax=True)
    return data


class _Checker:
    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def add(self, code: str, location: str, variant: str = "", **params: object) -> None:
        """A finding of ``code`` (its message from the table, filled in with ``params``)."""
        self.findings.append(refusal(code, location, variant, **params))

    def invalid(self, loc: str, variant: str, **params: object) -> None:
        """``ESIS_VELD_ONGELDIG`` for the field at ``loc``, worded by ``variant``."""
        self.add("ESIS_VELD_ONGELDIG", loc, variant, veld=loc, **params)

    def missing(self, loc: str) -> None:
        self.add("ESIS_VELD_ONTBREEKT", loc, veld=loc)

    def text(self, obj: dict[str, Any], key: str, loc: str, *, required: bool = True, max_len: int = 200) -> str | None:
        value = obj.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.missing(loc)
            return None
        if not isinstance(value, str):
            self.invalid(loc, "tekst")
            return None
        if len(value) > max_len:
            self.add("ESIS_VELD_TE_LANG", loc, veld=loc, maximum=max_len)
            return None
        if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
            self.invalid(loc, "stuurtekens")
            return None
        if contains_bsn(value):
            self.add("ESIS_BSN_NIET_TOEGESTAAN", loc, "in_tekst", veld=loc)  # names the field, never the number
            return None
        return value.strip()

    def obj(self, parent: dict[str, Any], key: str, loc: str, *, required: bool = True) -> dict[str, Any] | None:
        value = parent.get(key)
        if value is None:
            if required:
                self.missing(loc)
            return None
        if not isinstance(value, dict):
            self.invalid(loc, "object")
            return None
        return value

    def unknown(self, obj: dict[str, Any], allowed: set[str], loc: str) -> None:
        for key in obj:
            if key.lower() in _FORBIDDEN:
                self.add("ESIS_BSN_NIET_TOEGESTAAN", f"{loc}.{key}" if loc else key, "veldnaam")
            elif key not in allowed:
                where = f"{loc}.{key}" if loc else key
                self.add("ESIS_VELD_ONBEKEND", where, veld=where)

    def documents(self, parent: dict[str, Any], loc: str, limit: int) -> tuple[DocumentMeta, ...]:
        value = parent.get("documenten", [])
        if not isinstance(value, list):
            self.invalid(loc, "lijst")
            return ()
        if len(value) > limit:
            self.add("ESIS_TE_VEEL_DOCUMENTEN", loc, maximum=limit)
            return ()
        out: list[DocumentMeta] = []
        names: set[str] = set()
        for i, item in enumerate(value):
            at = f"{loc}[{i}]"
            if not isinstance(item, dict):
                self.invalid(at, "object")
                continue
            self.unknown(item, {"bestandsnaam", "soort", "omschrijving"}, at)
            name = self.text(item, "bestandsnaam", f"{at}.bestandsnaam", max_len=255)
            soort = item.get("soort", "overig")
            if soort not in DOCUMENT_ROLES:
                self.invalid(f"{at}.soort", "soort", soorten=", ".join(DOCUMENT_ROLES))
                continue
            omschrijving = self.text(item, "omschrijving", f"{at}.omschrijving", required=False, max_len=500)
            if name is None:
                continue
            if not _plain_file_name(name):
                self.invalid(f"{at}.bestandsnaam", "bestandsnaam")
                continue
            if name in names:
                self.add("ESIS_DOCUMENT_DUBBEL", f"{at}.bestandsnaam", "in_lijst", naam=name)
                continue
            names.add(name)
            out.append(DocumentMeta(name, soort, omschrijving))
        return tuple(out)


def _plain_file_name(name: str) -> bool:
    """A file name, not a path: no directory separators and not ``.`` or ``..``."""
    return "/" not in name and "\\" not in name and name.strip(". ") != ""


_AANVRAAG_FIELDS = {
    "esis_aanvraag_id",
    "swv_code",
    "vestiging",
    "contactpersoon",
    "korte_omschrijving",
    "omschrijving",
    "opp",
    "leerling",
    "documenten",
}


def parse_aanvraag(data: dict[str, Any], *, max_documents: int = 20) -> EsisAanvraag:
    """The request, checked field by field; every problem is a finding, all raised together (`WireError`)."""
    c = _Checker()
    c.unknown(data, _AANVRAAG_FIELDS, "")
    aanvraag_id = _aanvraag_id(c, data)
    swv_code = c.text(data, "swv_code", "swv_code", max_len=6)
    vestiging, brin6 = _vestiging(c, data)
    contact = _contactpersoon(c, data)
    korte = c.text(data, "korte_omschrijving", "korte_omschrijving", max_len=200)
    omschrijving = c.text(data, "omschrijving", "omschrijving", required=False, max_len=4000)
    opp = data.get("opp", True)
    if not isinstance(opp, bool):
        c.invalid("opp", "waar_onwaar")
        opp = True
    leerling, geboortedatum = _leerling(c, data)
    documenten = c.documents(data, "documenten", max_documents)
    if c.findings:
        raise WireError(c.findings)
    if not (aanvraag_id and swv_code and brin6 and korte and geboortedatum):  # every path above adds a finding
        raise WireError([refusal("ESIS_VELD_ONTBREEKT", "aanvraag", "onvolledig")])
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


def _aanvraag_id(c: _Checker, data: dict[str, Any]) -> str | None:
    aanvraag_id = c.text(data, "esis_aanvraag_id", "esis_aanvraag_id", max_len=64)
    if aanvraag_id is not None and not AANVRAAG_ID.fullmatch(aanvraag_id):
        c.invalid("esis_aanvraag_id", "aanvraag_id")
        return None
    return aanvraag_id


def _vestiging(c: _Checker, data: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The vestiging object as sent, and its BRIN6 when it is one."""
    vestiging = c.obj(data, "vestiging", "vestiging") or {}
    brin6 = None
    if vestiging:
        c.unknown(vestiging, {"brin6", "naam", "bezoekadres", "postadres"}, "vestiging")
        brin6 = c.text(vestiging, "brin6", "vestiging.brin6", max_len=6)
        if brin6 is not None and not re.fullmatch(r"[0-9]{2}[A-Za-z]{2}[0-9]{2}", brin6):
            c.invalid("vestiging.brin6", "brin6")
            brin6 = None
        c.text(vestiging, "naam", "vestiging.naam", required=False)
        for adres in ("bezoekadres", "postadres"):
            sub = c.obj(vestiging, adres, f"vestiging.{adres}", required=False)
            if sub is not None:
                c.unknown(sub, {"straat", "huisnummer", "postcode", "plaats"}, f"vestiging.{adres}")
                for k in ("straat", "huisnummer", "postcode", "plaats"):
                    c.text(sub, k, f"vestiging.{adres}.{k}", required=False, max_len=100)
    return vestiging, brin6


def _contactpersoon(c: _Checker, data: dict[str, Any]) -> dict[str, str]:
    contact_obj = c.obj(data, "contactpersoon", "contactpersoon")
    contact: dict[str, str] = {}
    if contact_obj is not None:
        c.unknown(contact_obj, {"naam", "email", "telefoon"}, "contactpersoon")
        for k in ("naam", "email", "telefoon"):
            v = c.text(contact_obj, k, f"contactpersoon.{k}", required=k == "naam", max_len=254)
            if v is not None:
                contact[k] = v
    return contact


def _leerling(c: _Checker, data: dict[str, Any]) -> tuple[dict[str, str | None], dt.date | None]:
    """The pupil's name fields and birth date (never a BSN: `_Checker.unknown` refuses such a field by name)."""
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
                c.invalid("leerling.geboortedatum", "datum")
    return leerling, geboortedatum


def parse_wijziging(data: dict[str, Any], *, max_documents: int = 20) -> EsisWijziging:
    c = _Checker()
    c.unknown(data, {"omschrijving", "verwijder_documenten", "documenten"}, "")
    omschrijving = c.text(data, "omschrijving", "omschrijving", required=False, max_len=4000)
    removals: list[Removal] = []
    raw = data.get("verwijder_documenten", [])
    if not isinstance(raw, list) or len(raw) > 100:
        c.invalid("verwijder_documenten", "lijst")
        raw = []
    for i, item in enumerate(raw):
        at = f"verwijder_documenten[{i}]"
        if not isinstance(item, dict):
            c.invalid(at, "object")
            continue
        c.unknown(item, {"sha256", "bestandsnaam"}, at)
        sha = c.text(item, "sha256", f"{at}.sha256", required=False, max_len=64)
        name = c.text(item, "bestandsnaam", f"{at}.bestandsnaam", required=False, max_len=255)
        if sha is not None and not SHA256.fullmatch(sha):
            c.invalid(f"{at}.sha256", "sha256")
            continue
        if sha is None and name is None:
            c.add("ESIS_VELD_ONTBREEKT", at, "intrekken", veld=at)
            continue
        removals.append(Removal(sha, name))
    documenten = c.documents(data, "documenten", max_documents)
    if c.findings:
        raise WireError(c.findings)
    return EsisWijziging(omschrijving, tuple(removals), documenten, frozenset(data))
