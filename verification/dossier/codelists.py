"""Code lists and field formats of the general OSO validation that apply to every dossier.

Finding codes: ``CODELIJST_<n>`` after the number of the list in "OSO codelijsten", and the official
business rule identifiers ``OG.01`` (e-mail format), ``OG.02`` (standaardversie) and ``OG.04``
(overlijdensdatum only when overleden). Code list 23 (diagnoses) was extended in 2019.1 with codes that
are not published with the schema; an unknown diagnose code is therefore a warning, not a refusal
(docs/assumptions/dossier.md).
"""

from __future__ import annotations

import re

from verification.findings import Finding, fout, waarschuwing

from ._tree import NS, Element, child, descendants, is_true, path_of

__all__ = ["STANDAARDVERSIE", "check_codelists"]

STANDAARDVERSIE = "2019.1"

_ADVIES = frozenset("01 10 20 21 22 23 30 31 32 33 34 35 40 41 42 43 44 50 51 52 60 61 70 80".split())


def _1_TO(n: int) -> frozenset[str]:  # reads as the list it names: "1 to n"
    return frozenset(str(i) for i in range(1, n + 1))


# (parent or None, element) -> (list number, label, allowed values)
_LISTS: dict[tuple[str | None, str], tuple[int, str, frozenset[str]]] = {
    ("overstapadvies", "advies"): (2, "VO-advies volgens school", _ADVIES),
    ("overstapadvies", "wensouders"): (2, "VO-advies volgens ouders", _ADVIES),
    ("overstapadvies", "wensleerling"): (2, "VO-advies volgens leerling", _ADVIES),
    ("overstapadvies", "herzienadvies"): (2, "Herzien VO-advies", _ADVIES),
    ("communicatie", "soort"): (4, "Communicatie soort", frozenset({"e-mail", "telefoon"})),
    ("communicatie", "aanduiding"): (5, "Communicatie aanduiding", frozenset({"werk", "prive", "overig"})),
    ("voorschools", "codevoorschoolsetoeleider"): (6, "Voorschoolse toeleider", _1_TO(9)),
    ("voorschools", "codevoorschoolsehistorie"): (7, "Voorschoolse historie", _1_TO(5)),
    ("voorschools", "codevoorschoolsedeelname"): (8, "Voorschoolse deelname", _1_TO(5)),
    ("voorschools", "codevoorschoolsprogramma"): (9, "Voorschools programma", _1_TO(15)),
    ("vroegschools", "codevroegschoolsprogramma"): (9, "Vroegschools programma", _1_TO(15)),
    (None, "nnca"): (10, "NNCA", frozenset({"0", "1", "2"})),
    ("referentiescore", "codereferentiescore"): (
        11,
        "Code van referentiescore",
        frozenset(
            "AE CAE IV CIV FN ON DLE Percentiel Percentage T-score Stanine DQ IQ ERK C-score Norm RNTRM ZML "
            "LGH AVI NAZ LM Standaardscore LA".split()
        ),
    ),
    (None, "jaargroep"): (
        13,
        "Jaargroep/leerjaar",
        frozenset("0 1 2 3 4 5 6 7 8 11 12 13 14 15 16 S P".split()),
    ),
    (None, "geslacht"): (14, "Geslacht", frozenset({"0", "1", "2"})),
    (None, "leerlinggewicht"): (15, "Leerlinggewicht", frozenset({"0.00", "0.30", "1.20"})),
    ("metadata", "overstap"): (
        16,
        "Soort overstap",
        frozenset(
            "VSPO VSWEC POPO POWEC POVO VOVO VOMBO VOHBO VOWO WECWEC WECVO WECMBO POSWV VOSWV WECHBO WECWO "
            "OVERIG".split()
        ),
    ),
    ("rvc", "rvcindicatie"): (17, "RVC-indicatie", frozenset({"LWOO", "PRO"})),
    ("adres", "aanduiding"): (18, "Huisnummeraanduiding", frozenset({"TO", "BY"})),
    ("adres", "soortadres"): (19, "Soort adres", frozenset({"bezoek", "post", "gba"})),
    ("overstapadvies", "profiel"): (
        21,
        "Profiel",
        frozenset({"basis", "plus", "bespreek", "disharmonisch", "ondersteuning"}),
    ),
    ("referentiescore", "codevergelijkingsgroep"): (
        22,
        "Code van vergelijkingsgroep",
        frozenset({"BB+", "BB", "KB", "GT", "HAVO", "VWO", "Landelijk"}),
    ),
    ("dossier", "overdrachtsoort"): (
        29,
        "Soort overdracht",
        frozenset({"overstapdossier", "overdrachtbinnenbrin", "swv-dossier"}),
    ),
    ("tlv", "tlvcategorie"): (31, "TLV-bekostigingscategorie", frozenset({"H", "M", "L", "Nvt"})),
    ("metadata", "deeldossier"): (33, "Deeldossier", frozenset({"LAS", "LVS", "LASLVS", "TIB"})),
    ("examenresultaat", "examenuitslag"): (35, "Examenuitslag", frozenset({"geslaagd", "afgewezen", "herexamen"})),
    ("resultaatvakkenvo", "beoordelingexamenvak"): (
        36,
        "Beoordeling examenvak",
        frozenset({"voldoende", "onvoldoende"}),
    ),
    ("inzage", "akkoord"): (37, "Akkoord", frozenset({"Ja", "Nee", "Onbekend"})),
    ("inzage", "toestemming"): (37, "Toestemming", frozenset({"Ja", "Nee", "Onbekend"})),
    ("verzorger", "relatietotkind"): (41, "Relatie tot kind", _1_TO(9)),
    ("eindtoetsresultaat", "toetssoort"): (
        42,
        "Soort eindtoets",
        frozenset({"0011", "0012", "0013", "0014", "0015", "0016"}),
    ),
    ("eindtoetsresultaat", "toetsniveau"): (43, "Niveau eindtoets", frozenset({"G", "S", "B", "N", "E"})),
    ("eindtoetsresultaat", "wettelijke_ontheffing"): (44, "Wettelijke ontheffing", frozenset({"J", "N"})),
    ("onderdeel", "ond_referentieniveau"): (45, "Referentieniveau onderdeel", frozenset({"01", "02", "03", "04"})),
    ("domein", "dom_referentieniveau"): (45, "Referentieniveau domein", frozenset({"01", "02", "03", "04"})),
    ("onderdeel", "onderdeelcode"): (46, "Onderdeelcode eindtoets", frozenset({"8000", "8001"})),
    ("domein", "domeincode"): (47, "Domeincode eindtoets", frozenset({"8050", "8051"})),
}
_BY_NAME: dict[str, list[tuple[str | None, int, str, frozenset[str]]]] = {}
for (_parent, _name), (_nr, _label, _values) in _LISTS.items():
    _BY_NAME.setdefault(_name, []).append((_parent, _nr, _label, _values))

_SOORT, _NUMMER = f"{{{NS}}}soort", f"{{{NS}}}nummer"
_BY_TAG = {f"{{{NS}}}{name}": rules for name, rules in _BY_NAME.items()}
_TAGS = tuple(_BY_TAG)
_ALLOWED_EVERYWHERE = {tag: frozenset.intersection(*(values for *_, values in rules)) for tag, rules in _BY_TAG.items()}

_DIAGNOSE = frozenset(
    "F81.0 F81.1 F81.2 F82 F84 F84.0 F84.2 F84.5 F84.nld F84.mcdd F90 F90.0 F90.0+ F90.0- F91 F91.3 F95 F95.2 "
    "F41.0 F43.1 F50 F92.0 F93.1 F94 Fspd G40 H54.0 H54.2 H91.9.d H91.9.s Z62".split()
)
_EMAIL = re.compile(
    r"[a-zA-Z0-9!#$%*+=?^_`{|}~.-]+@[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$"
)


def check_codelists(root: Element) -> list[Finding]:
    out: list[Finding] = []
    for el in root.iter(*_TAGS):  # filtered in C: only the elements that have a code list
        value = el.text or ""
        if value in _ALLOWED_EVERYWHERE[el.tag]:
            continue  # allowed by every list of this element name, whatever the parent
        parent = el.getparent()
        parent_name = parent.tag.rpartition("}")[2] if parent is not None else None
        for want_parent, nr, label, values in _BY_TAG[el.tag]:
            if want_parent is not None and want_parent != parent_name:
                continue
            if value not in values:
                out.append(
                    fout(
                        f"CODELIJST_{nr}",
                        f"Het veld '{label}' heeft een waarde die niet in codelijst {nr} staat.",
                        path_of(el),
                    )
                )
    for code in descendants(root, "code"):
        parent = code.getparent()
        if parent is not None and parent.tag.endswith("}diagnose") and (code.text or "") not in _DIAGNOSE:
            out.append(
                waarschuwing(
                    "CODELIJST_23",
                    "De diagnosecode staat niet in de bekende codelijst 23; het secretariaat controleert hem.",
                    path_of(code),
                )
            )
    out += _formats(root)
    return out


def _formats(root: Element) -> list[Finding]:
    out: list[Finding] = []
    metadata = child(root, "metadata")
    versie = child(metadata, "standaardversie")
    if versie is not None and versie.text != STANDAARDVERSIE:
        out.append(
            fout(
                "OG.02",
                f"De standaardversie moet {STANDAARDVERSIE} zijn. Werk het leerlingadministratiesysteem bij.",
                path_of(versie),
            )
        )
    for comm in descendants(root, "communicatie"):
        soort = nummer = None
        for field in comm.iterchildren(_SOORT, _NUMMER):  # the first of each, as child() finds it
            if field.tag == _SOORT:
                soort = soort if soort is not None else field
            elif nummer is None:
                nummer = field
        if soort is None or soort.text != "e-mail" or nummer is None:
            continue
        adres = nummer.text or ""
        if not (4 <= len(adres) <= 256) or "@" not in adres or not _EMAIL.match(adres):
            out.append(
                fout(
                    "OG.01",
                    "Het e-mailadres is ongeldig: gebruik één @, 4 tot 256 tekens, en alleen toegestane tekens.",
                    path_of(nummer),
                )
            )
    for verzorger in descendants(root, "verzorger"):
        datum = child(verzorger, "overlijdensdatum")
        if datum is not None and not is_true(verzorger, "overleden"):
            out.append(
                fout(
                    "OG.04",
                    "Een overlijdensdatum mag alleen worden gegeven als de verzorger als overleden is aangemerkt.",
                    path_of(datum),
                )
            )
    return out
