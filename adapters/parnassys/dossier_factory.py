"""A factory of SWV dossiers (OSO gegevensset 2019.1, SWV profile), as ParnasSys would hand them over.

Valid by default — a PO-SWV dossier with an OPP and a toelichting onderwijsbehoeften — and broken on
request: ``mutation=`` breaks one rule (``MUTATIONS`` says which finding it must cause) and
``AttachmentSpec(broken=...)`` breaks one attachment (``ATTACHMENT_BREAKS``). The structure follows the
official POSWV example; every dossier is generated, nothing is copied. Built for speed: documents up to
1 MB are cached, and `write_dossier` streams big attachments to disk one at a time.

    build_dossier()                                            # valid, bytes
    build_dossier(mutation="bsn")                              # refused on PaO.LL12
    build_dossier(attachments=[AttachmentSpec(kind="exe", bestandsnaam="OPP.exe")])
    write_dossier(path, attachments=[AttachmentSpec(size=10 * 2**20)] * 5)   # ≈70 MB, streamed
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

__all__ = [
    "ATTACHMENT_BREAKS",
    "MUTATIONS",
    "AttachmentSpec",
    "build_dossier",
    "document_bytes",
    "write_dossier",
]

from adapters.parnassys.dossier_documents import (
    ATTACHMENT_BREAKS,
    DEFAULT_ATTACHMENTS,
    AttachmentSpec,
    base64_parts,
    document_bytes,
)

NS = "http://www.edustandaard.nl/oso_gegevensset/2019/dossier"


_CATEGORIES = {
    "cat_metadata": "VERPLICHT",
    "cat_ouderinzage": "OPTIONEEL",
    "cat_school": "VERPLICHT",
    "cat_leerling": "VERPLICHT",
    "cat_oudersverzorgers": "VERPLICHT",
    "cat_vve": "OPTIONEEL",
    "cat_schoolloopbaan": "VERPLICHT",
    "cat_overstapadvies": "OPTIONEEL",
    "cat_onderwijsondersteuning": "VERPLICHT",
    "cat_verzuim": "OPTIONEEL",
    "cat_eindtoetsbo": "VERBODEN",
    "cat_toetsresultaten": "OPTIONEEL",
    "cat_handelingsplannen": "OPTIONEEL",
    "cat_cijferlijsten": "OPTIONEEL",
    "cat_vombo": "VERBODEN",
    "cat_bijlagedocs": "OPTIONEEL",
}
# The children of <leerling> in schema order; a dossier fills the slots it needs.
_LEERLING_ORDER = (
    "voornaam voorletters-1 voorvoegsel achternaam roepnaam geboortedatum geslacht adresgeheim adreslijst "
    "communicatielijst gba adresbuitenland geboorteplaats nationaliteit bsn leerlingid onderwijssinds "
    "startdatumhuidigonderwijs datuminschrijving datumuitschrijving teruggeplaatstnaarbrin leerlinggewicht "
    "nnca tehuis huisarts verzorgersaansprakelijk aansprakelijkeinstelling overstapadvies vanpeuterspeelzaal "
    "naampeuterspeelzaal voorschools vroegschools schoolloopbaanlijst onderwijsondersteuning verzuim "
    "eindtoets_basisonderwijs toetslijst cijferlijstlijst overigdocumentlijst verzorger bevorderd "
    "examenresultaat resultaatvakkenvo certificaat competenties stage overigvombo"
).split()
_METADATA_ORDER = (
    "deeldossier pakketnaam pakketversie datum standaardversie validatieversie categorie_uitlevering overstap"
).split()
_SCHOOL_ORDER = "naam adreslijst communicatielijst brincode vestigingscode aanleverpunt soort".split()


def _el(name: str, value: object) -> str:
    return f"<{name}>{escape(str(value))}</{name}>"


def _adres(soort: str, straat: str, nummer: str, postcode: str, plaats: str) -> str:
    return (
        f"<adres>{_el('soortadres', soort)}{_el('straat', straat)}{_el('nummer', nummer)}"
        f"{_el('postcode', postcode)}{_el('plaats', plaats)}</adres>"
    )


def _comm(soort: str, nummer: str, geheim: bool | None = None) -> str:
    g = "" if geheim is None else _el("geheim", "true" if geheim else "false")
    return f"<communicatie>{_el('soort', soort)}{_el('aanduiding', 'prive')}{_el('nummer', nummer)}{g}</communicatie>"


# A dossier being built: ordered slots per block, plus the attachments placed in them.
@dataclass
class _Dossier:
    metadata: dict[str, str]
    categories: dict[str, str]
    overdrachtsoort: str | None
    school: dict[str, str]
    leerling: dict[str, str]
    prolog: str = '<?xml version="1.0" encoding="UTF-8"?>\n'
    docs: dict[str, list[AttachmentSpec]] = field(default_factory=dict)
    root_ns: str = NS
    epilog: str = ""


def _base(
    brin: str,
    vestigingscode: str,
    leerlingid: str,
    voornaam: str,
    achternaam: str,
    geboortedatum: date,
    overstap: str,
) -> _Dossier:
    ll = {
        "voornaam": _el("voornaam", voornaam),
        "achternaam": _el("achternaam", achternaam),
        "roepnaam": _el("roepnaam", voornaam),
        "geboortedatum": _el("geboortedatum", geboortedatum.isoformat()),
        "geslacht": _el("geslacht", 1),
        "adresgeheim": _el("adresgeheim", "false"),
        "adreslijst": f"<adreslijst>{_adres('gba', 'Kerkstraat', '12', '5701AB', 'Helmond')}</adreslijst>",
        "communicatielijst": f"<communicatielijst>{_comm('telefoon', '0492123456', False)}</communicatielijst>",
        "leerlingid": _el("leerlingid", leerlingid),
        "verzorgersaansprakelijk": _el("verzorgersaansprakelijk", "true"),
        "schoolloopbaanlijst": (
            "<schoolloopbaanlijst><schoolloopbaan>"
            f"{_el('schooljaar', '2024-2025')}{_el('groepscode', '4a')}{_el('jaargroep', 4)}"
            f"{_el('brincode', brin)}{_el('vestigingscode', vestigingscode)}"
            "</schoolloopbaan></schoolloopbaanlijst>"
        ),
        "verzorger": (
            f"<verzorger>{_el('voornaam', 'Maria')}{_el('achternaam', achternaam)}{_el('geslacht', 1)}"
            f"<communicatielijst>{_comm('e-mail', 'ouder@example.nl', False)}</communicatielijst>"
            f"{_el('relatietotkind', 1)}{_el('wettigevertegenwoordiger', 'true')}</verzorger>"
        ),
    }
    school = {
        "naam": _el("naam", f"Basisschool {brin}"),
        "adreslijst": f"<adreslijst>{_adres('bezoek', 'Schoolstraat', '1', '5701AA', 'Helmond')}</adreslijst>",
        "communicatielijst": f"<communicatielijst>{_comm('telefoon', '0492000000')}</communicatielijst>",
        "brincode": _el("brincode", brin),
        "vestigingscode": _el("vestigingscode", vestigingscode),
        "aanleverpunt": _el("aanleverpunt", 1),
    }
    metadata = {
        "deeldossier": _el("deeldossier", "LAS"),
        "pakketnaam": _el("pakketnaam", "ParnasSys"),
        "pakketversie": _el("pakketversie", "2025.1"),
        "datum": _el("datum", "2025-09-15"),
        "standaardversie": _el("standaardversie", "2019.1"),
        "validatieversie": _el("validatieversie", "2019.1.1"),
        "overstap": _el("overstap", overstap),
    }
    cats = dict(_CATEGORIES)
    if overstap == "VOSWV":
        cats.update(cat_vve="VERBODEN", cat_eindtoetsbo="OPTIONEEL", cat_vombo="OPTIONEEL")
    return _Dossier(metadata, cats, "swv-dossier", school, ll)


# ------------------------------------------------------------------------------------------ mutations

_Mutation = Callable[[_Dossier], None]
_MUTATORS: dict[str, tuple[str, _Mutation]] = {}


def _mutation(name: str, code: str) -> Callable[[_Mutation], _Mutation]:
    def register(fn: _Mutation) -> _Mutation:
        _MUTATORS[name] = (code, fn)
        return fn

    return register


def _set(block: str, slot: str, xml: str | None, code: str, name: str) -> None:
    def fn(d: _Dossier) -> None:
        target = getattr(d, block)
        if xml is None:
            target.pop(slot, None)
        else:
            target[slot] = xml

    _MUTATORS[name] = (code, fn)


def _vo(d: _Dossier) -> None:
    d.metadata["overstap"] = _el("overstap", "VOSWV")
    d.categories.update(cat_vve="OPTIONEEL", cat_eindtoetsbo="OPTIONEEL", cat_vombo="OPTIONEEL")


def _po_with(slot: str, xml: str) -> _Mutation:
    def fn(d: _Dossier) -> None:
        d.categories["cat_vombo"] = "OPTIONEEL"
        d.categories["cat_eindtoetsbo"] = "OPTIONEEL"
        d.leerling[slot] = xml

    return fn


def _vo_with(slot: str, xml: str) -> _Mutation:
    def fn(d: _Dossier) -> None:
        _vo(d)
        d.leerling[slot] = xml

    return fn


_set("metadata", "deeldossier", _el("deeldossier", "LVS"), "PaO.MD01", "deeldossier_lvs")
_set("metadata", "validatieversie", _el("validatieversie", "2018.1.1"), "PaO.MD02", "validatieversie")
_set("metadata", "overstap", None, "PaO.SO01", "geen_overstap")
_set("metadata", "overstap", _el("overstap", "POPO"), "PaO.SO02", "overstap_popo")
_set("metadata", "standaardversie", _el("standaardversie", "2018.1"), "OG.02", "standaardversie")
_set("school", "adreslijst", None, "PaO.SL01", "school_zonder_adres")
_set("school", "communicatielijst", None, "PaO.SL02", "school_zonder_communicatie")
_set("leerling", "voornaam", None, "PaO.LL01", "geen_voornaam")
_set("leerling", "geboortedatum", None, "PaO.LL02", "geen_geboortedatum")
_set("leerling", "geboortedatum", _el("geboortemaand", "2016-03"), "PaO.LL03", "geboortemaand")
_set("leerling", "adresgeheim", None, "PaO.LL04", "geen_adresgeheim")
_set("leerling", "adreslijst", None, "PaO.LL05", "geen_adres")
_set("leerling", "adreslijst", _el("postcode4adres", "5701"), "PaO.LL07", "postcode4adres")
_set("leerling", "geboorteplaats", _el("geboorteplaats", "Helmond"), "PaO.LL10", "geboorteplaats")
_set("leerling", "nationaliteit", _el("nationaliteit", "0001"), "PaO.LL11", "nationaliteit")
_set("leerling", "bsn", _el("bsn", "123456782"), "PaO.LL12", "bsn")
_set("leerling", "bsn", _el("onderwijsnummer", "103456789"), "PaO.LL12", "onderwijsnummer")
_set("leerling", "schoolloopbaanlijst", None, "PaO.SL01", "geen_schoolloopbaan")
_set("leerling", "geslacht", _el("geslacht", 9), "CODELIJST_14", "geslacht_onbekend")
_set("leerling", "verzorger", None, "PaO.OV01", "aansprakelijk_zonder_verzorger")
_set("leerling", "adresbuitenland", "<vir>ja</vir>", "PaO.ZB01", "vir")
_set("leerling", "adresbuitenland", "<zat>ja</zat>", "PaO.ZB02", "zat")
_set("school", "brincode", _el("brincode", "14S"), "XSD_ONGELDIG", "xsd_brincode")
_set("leerling", "leerlingid", _el("leerlingnummer", "1"), "XSD_ONGELDIG", "xsd_onbekend_element")
_set("leerling", "geboortedatum", _el("geboortedatum", "14-03-2016"), "XSD_ONGELDIG", "xsd_datum")


@_mutation("xsd_geen_achternaam", "XSD_ONGELDIG")
def _no_achternaam(d: _Dossier) -> None:
    d.leerling.pop("achternaam")


@_mutation("xsd_volgorde", "XSD_ONGELDIG")
def _order(d: _Dossier) -> None:
    # the slots keep schema order, so swapping their contents puts achternaam before voornaam
    d.leerling["voornaam"], d.leerling["achternaam"] = d.leerling["achternaam"], d.leerling["voornaam"]


@_mutation("xsd_lege_bestandsinhoud", "XSD_ONGELDIG")
def _empty_inhoud(d: _Dossier) -> None:
    d.docs.setdefault("empty_inhoud", [])


@_mutation("xsd_verkeerde_namespace", "XSD_ONGELDIG")
def _wrong_ns(d: _Dossier) -> None:
    d.root_ns = "http://www.edustandaard.nl/oso_gegevensset/2018/dossier"


@_mutation("geen_categorie_uitlevering", "PaO.MD03")
def _no_cats(d: _Dossier) -> None:
    d.categories.clear()


@_mutation("overdrachtsoort_overstapdossier", "PaO.SO03")
def _ov(d: _Dossier) -> None:
    d.overdrachtsoort = "overstapdossier"


@_mutation("adresgeheim_met_adres", "PaO.LL06")
def _secret_with_address(d: _Dossier) -> None:
    d.leerling["adresgeheim"] = _el("adresgeheim", "true")


@_mutation("adresgeheim_met_buitenland", "PaO.LL09")
def _secret_abroad(d: _Dossier) -> None:
    d.leerling["adresgeheim"] = _el("adresgeheim", "true")
    d.leerling.pop("adreslijst")
    d.leerling["adresbuitenland"] = _el("adresbuitenland", "10 Rue de Rivoli, Paris")


@_mutation("geheim_telefoon_zichtbaar", "PaO.LL08")
def _secret_phone(d: _Dossier) -> None:
    d.leerling["communicatielijst"] = f"<communicatielijst>{_comm('telefoon', '0612345678', True)}</communicatielijst>"


def _verzorger(extra_before_relatie: str = "", adres: str = "", comm: str | None = None, after: str = "") -> str:
    c = comm if comm is not None else _comm("e-mail", "ouder@example.nl", False)
    return (
        f"<verzorger>{_el('voornaam', 'Maria')}{_el('achternaam', 'Jansen')}{_el('geslacht', 1)}{extra_before_relatie}"
        f"{adres}<communicatielijst>{c}</communicatielijst>{_el('relatietotkind', 1)}"
        f"{_el('wettigevertegenwoordiger', 'true')}{after}</verzorger>"
    )


_set(
    "leerling",
    "verzorger",
    _verzorger(
        _el("adresgeheim", "true"), f"<adreslijst>{_adres('gba', 'Dorpsstraat', '3', '5701AC', 'Helmond')}</adreslijst>"
    ),
    "PaO.OV03",
    "verzorger_adresgeheim_met_adres",
)
_set(
    "leerling",
    "verzorger",
    _verzorger(comm=_comm("e-mail", "maria@example.nl", True)),
    "PaO.OV04",
    "verzorger_geheim_email_zichtbaar",
)
_set("leerling", "verzorger", _verzorger(after=_el("banknummer", "123456789")), "PaO.OV05", "verzorger_banknummer")
_set(
    "leerling",
    "verzorger",
    _verzorger(after="").replace(
        "<communicatielijst>", "<communicatielijst>" + _comm("e-mail", "geen-apenstaart", False), 1
    ),
    "OG.01",
    "email_ongeldig",
)
_set(
    "leerling",
    "verzorger",
    _verzorger(after="").replace(
        _el("wettigevertegenwoordiger", "true"),
        _el("overlijdensdatum", "2020-01-01") + _el("wettigevertegenwoordiger", "true"),
    ),
    "OG.04",
    "overlijdensdatum_zonder_overleden",
)

_MUTATORS["vo_peuterspeelzaal"] = ("PaO.VV01", _vo_with("vanpeuterspeelzaal", _el("vanpeuterspeelzaal", "true")))
_MUTATORS["vo_naampeuterspeelzaal"] = (
    "PaO.VV02",
    _vo_with("naampeuterspeelzaal", _el("naampeuterspeelzaal", "De Hummel")),
)
_MUTATORS["vo_voorschools"] = (
    "PaO.VV03",
    _vo_with(
        "voorschools",
        ("<voorschools>" + _el("codevoorschoolsprogramma", 1) + _el("voorschoolsemaanden", 8) + "</voorschools>"),
    ),
)
_MUTATORS["vo_vroegschools"] = (
    "PaO.VV04",
    _vo_with(
        "vroegschools",
        (
            "<vroegschools>"
            + _el("codevroegschoolsprogramma", 1)
            + _el("vroegschoolsdatumingang", "2020-08-01")
            + "</vroegschools>"
        ),
    ),
)
_MUTATORS["po_eindtoets"] = (
    "PaO.EB01",
    _po_with(
        "eindtoets_basisonderwijs",
        ("<eindtoets_basisonderwijs>" + _el("deelgenomen", "false") + "</eindtoets_basisonderwijs>"),
    ),
)
for _name, _code, _slot, _xml in (
    ("po_bevorderd", "PaO.VM01", "bevorderd", "<bevorderd>" + _el("leerjaar", 5) + "</bevorderd>"),
    (
        "po_examenresultaat",
        "PaO.VM02",
        "examenresultaat",
        "<examenresultaat>" + _el("examenjaar", 2024) + "</examenresultaat>",
    ),
    (
        "po_resultaatvakkenvo",
        "PaO.VM03",
        "resultaatvakkenvo",
        "<resultaatvakkenvo>"
        + _el("vakcode", "ne")
        + _el("afgerond", "true")
        + _el("examenvak", "false")
        + _el("rapportcijfer", "7.5")
        + "</resultaatvakkenvo>",
    ),
    ("po_certificaat", "PaO.VM04", "certificaat", _el("certificaat", "Typen")),
    (
        "po_competenties",
        "PaO.VM05",
        "competenties",
        "<competenties>" + _el("competentiestatus", "behaald") + "</competenties>",
    ),
    ("po_stage", "PaO.VM06", "stage", "<stage>" + _el("soortstage", "snuffel") + "</stage>"),
    (
        "po_overigvombo",
        "PaO.VM07",
        "overigvombo",
        "<overigvombo>"
        + "".join(_el(n, "false") for n in ("beroepskeuzetest", "portfolio", "pop", "motivatiebrief", "lobdossier"))
        + "</overigvombo>",
    ),
):
    _MUTATORS[_name] = (_code, _po_with(_slot, _xml))

_TOETS = (
    "<toetslijst><toets><toetsidentificatie>" + _el("eldtoetscode", "CITO-R") + "</toetsidentificatie>"
    "<afname>" + _el("afnamedatum", "2025-01-20") + "</afname>{resultaat}</toets></toetslijst>"
)
_MUTATORS["toetsresultaat_leeg"] = (
    "PaO.TR01",
    lambda d: d.leerling.__setitem__("toetslijst", _TOETS.format(resultaat="<resultaat></resultaat>")),
)
_MUTATORS["toetsscore_leeg"] = (
    "PaO.TR02",
    lambda d: d.leerling.__setitem__(
        "toetslijst",
        _TOETS.format(
            resultaat="<resultaat><toetsscore>" + _el("codevaardigheidsschaal", "X") + "</toetsscore></resultaat>"
        ),
    ),
)
_MUTATORS["score_leeg"] = (
    "PaO.CL01",
    lambda d: d.leerling.__setitem__(
        "cijferlijstlijst",
        (
            "<cijferlijstlijst><cijferlijst><cijferlijstTypelijst>" + _el("naam", "Rapport 1") + "<score></score>"
            "</cijferlijstTypelijst>" + _el("jaargroep", 4) + "</cijferlijst></cijferlijstlijst>"
        ),
    ),
)
_MUTATORS["jaargroep_onbekend"] = (
    "CODELIJST_13",
    lambda d: d.leerling.__setitem__(
        "schoolloopbaanlijst", d.leerling["schoolloopbaanlijst"].replace(_el("jaargroep", 4), _el("jaargroep", 42))
    ),
)
_MUTATORS["cat_verzuim_opt_uit_met_verzuim"] = (  # type: ignore[assignment]  # debt (issue 17): table of mutating lambdas
    "OS.cat_verzuim",
    lambda d: (
        d.categories.__setitem__("cat_verzuim", "OPT-UIT"),  # type: ignore[func-returns-value]  # debt (issue 17): table of mutating lambdas
        d.leerling.__setitem__("verzuim", "<verzuim>" + _el("dagdelengeoorloofd", 2) + "</verzuim>"),  # type: ignore[func-returns-value]  # debt (issue 17): table of mutating lambdas
    ),
)
_MUTATORS["cat_schoolloopbaan_verboden"] = (
    "OS.cat_schoolloopbaan",
    lambda d: d.categories.__setitem__("cat_schoolloopbaan", "VERBODEN"),
)
_MUTATORS["cat_onderwijsondersteuning_ontbreekt"] = (
    "OS.cat_onderwijsondersteuning",
    lambda d: d.docs.__setitem__("no_ondersteuning", []),
)
_MUTATORS["cat_waarde_onbekend"] = ("CODELIJST_48", lambda d: d.categories.__setitem__("cat_verzuim", "MISSCHIEN"))

# Hostile XML: the reader refuses these before or while parsing.
_HOSTILE_PROLOG = {
    "doctype": '<?xml version="1.0"?>\n<!DOCTYPE dossier>\n',
    "xxe": '<?xml version="1.0"?>\n<!DOCTYPE dossier [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n',
    "billion_laughs": '<?xml version="1.0"?>\n<!DOCTYPE dossier [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
    + "]>\n",
}
for _name in _HOSTILE_PROLOG:
    _MUTATORS[_name] = ("XML_DTD_NIET_TOEGESTAAN", lambda d, n=_name: setattr(d, "prolog", _HOSTILE_PROLOG[n]))  # type: ignore[misc]  # debt (issue 17): table of mutating lambdas
_MUTATORS["afgekapt"] = ("DOSSIER_GEEN_XML", lambda d: setattr(d, "epilog", "<afgekapt"))
_MUTATORS["grote_tekstnode"] = (
    "DOSSIER_TEKST_TE_GROOT",
    lambda d: d.school.__setitem__("naam", _el("naam", "x" * (2 * 1024 * 1024))),
)

MUTATIONS: dict[str, str] = {name: code for name, (code, _) in _MUTATORS.items()}


# ------------------------------------------------------------------------------------------ assembly


def _document_xml(spec: AttachmentSpec) -> tuple[str, AttachmentSpec, str]:
    omschrijving = _el("omschrijving", spec.omschrijving) if spec.omschrijving else ""
    return (
        f"<document>{_el('bestandsnaam', spec.bestandsnaam)}{omschrijving}<bestandsinhoud>",
        spec,
        "</bestandsinhoud></document>",
    )


def _parts(d: _Dossier, attachments: Sequence[AttachmentSpec]) -> list[str | AttachmentSpec]:
    opp = [a for a in attachments if a.role == "opp"]
    toel = [a for a in attachments if a.role == "toelichting_onderwijsbehoeften"]
    other = [a for a in attachments if a.role not in ("opp", "toelichting_onderwijsbehoeften")]
    other = toel[1:] + other  # the schema allows one toelichting document; more go to the other documents
    out: list[str | AttachmentSpec] = []

    def docs(specs: Sequence[AttachmentSpec]) -> None:
        for spec in specs:
            open_, s, close = _document_xml(spec)
            out.extend((open_, s, close))

    out.append(f'{d.prolog}<dossier xmlns="{d.root_ns}"><metadata>')
    for slot in _METADATA_ORDER:
        if slot == "categorie_uitlevering":
            if d.categories:
                out.append(
                    "<categorie_uitlevering>"
                    + "".join(_el(k, v) for k, v in d.categories.items())
                    + "</categorie_uitlevering>"
                )
        elif slot in d.metadata:
            out.append(d.metadata[slot])
    out.append("</metadata>")
    if d.overdrachtsoort is not None:
        out.append(_el("overdrachtsoort", d.overdrachtsoort))
    out.append("<huidigeschool>" + "".join(d.school[s] for s in _SCHOOL_ORDER if s in d.school) + "<leerling>")
    for slot in _LEERLING_ORDER:
        if slot == "onderwijsondersteuning":
            if "no_ondersteuning" in d.docs:
                continue
            out.append("<onderwijsondersteuning>")
            if toel:
                out.append("<toelichting_onderwijsbehoeften>")
                docs(toel[:1])
                out.append("</toelichting_onderwijsbehoeften>")
            out.append("<opp>" + _el("opp_ingangdatum", "2025-09-01"))
            docs(opp)
            if "empty_inhoud" in d.docs:
                out.append(
                    "<document><bestandsnaam>Leeg.pdf</bestandsnaam><bestandsinhoud></bestandsinhoud></document>"
                )
            out.append("</opp></onderwijsondersteuning>")
        elif slot == "overigdocumentlijst":
            if other:
                out.append("<overigdocumentlijst>")
                docs(other)
                out.append("</overigdocumentlijst>")
        elif slot in d.leerling:
            out.append(d.leerling[slot])
    out.append("</leerling></huidigeschool></dossier>\n" + d.epilog)
    return out


def _prepare(
    *,
    brin: str = "14SS",
    vestigingscode: str = "00",
    leerlingid: str = "LL-0001",
    voornaam: str = "Sanne",
    achternaam: str = "Jansen",
    geboortedatum: date = date(2016, 3, 14),
    attachments: Sequence[AttachmentSpec] | None = None,
    mutation: str | None = None,
    overstap: str = "POSWV",
    adresgeheim: bool = False,
    tussenvoegsel: str | None = None,
) -> list[str | AttachmentSpec]:
    d = _base(brin, vestigingscode, leerlingid, voornaam, achternaam, geboortedatum, overstap)
    if tussenvoegsel:
        d.leerling["voorvoegsel"] = _el("voorvoegsel", tussenvoegsel)
    if adresgeheim:
        d.leerling["adresgeheim"] = _el("adresgeheim", "true")
        d.leerling.pop("adreslijst")
    if mutation is not None:
        if mutation not in _MUTATORS:
            raise ValueError(f"unknown mutation {mutation!r}; see MUTATIONS")
        _MUTATORS[mutation][1](d)
    return _parts(d, DEFAULT_ATTACHMENTS if attachments is None else attachments)


def build_dossier(*, wrap_base64: bool = False, **options: Any) -> bytes:
    """A whole dossier as bytes. Options: brin, vestigingscode, leerlingid, voornaam, achternaam,
    tussenvoegsel, geboortedatum, attachments, mutation, overstap ("POSWV"/"VOSWV"), adresgeheim."""
    pieces: list[str] = []
    for part in _prepare(**options):
        if isinstance(part, AttachmentSpec):
            pieces.extend(base64_parts(part, wrap_base64))
        else:
            pieces.append(part)
    return "".join(pieces).encode("utf-8")


def write_dossier(path: os.PathLike[str] | str | BinaryIO, *, wrap_base64: bool = False, **options: Any) -> int:
    """Stream a dossier to ``path`` (or an open binary file); one attachment in memory at a time.
    Returns the number of bytes written."""
    written = 0
    handle: BinaryIO = open(path, "wb") if isinstance(path, str | os.PathLike) else path
    try:
        for part in _prepare(**options):
            texts = base64_parts(part, wrap_base64) if isinstance(part, AttachmentSpec) else (part,)
            for text in texts:
                data = text.encode("utf-8")
                handle.write(data)
                written += len(data)
    finally:
        if handle is not path:
            handle.close()
    return written
