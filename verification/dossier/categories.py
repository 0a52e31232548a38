"""Selective delivery (``metadata/categorie_uitlevering``): every category flag must hold.

The flags come from code list 48: VERPLICHT, OPTIONEEL, VERBODEN, OPT-UIT. A category that is VERBODEN or
OPT-UIT carries no data (business rules ``OS.cat_<categorie>`` of the general OSO validation, extended in
2019.1 from OPT-UIT to VERBODEN); a VERPLICHT category that has a marker block carries it. Which blocks
belong to which category follows the official validation; for 2019.1 ``handelingsplan`` moved into
``onderwijsondersteuning`` and ``bijlagedocs`` covers the loose documents (``overigdocumentlijst``): the
documents inside onderwijsondersteuning belong to that category (the official opt-out examples show this).
"""

from __future__ import annotations

from verification.findings import Finding, fout

from ._tree import Element, child, children, path_below, path_of, q

__all__ = ["CATEGORIE_WAARDEN", "check_categories"]

CATEGORIE_WAARDEN = ("VERPLICHT", "OPTIONEEL", "VERBODEN", "OPT-UIT")

# category -> (label in messages, paths of its data relative to the leerling; "/" = relative to dossier)
_DATA: dict[str, tuple[str, tuple[str, ...]]] = {
    "cat_ouderinzage": ("Ouderinzage", ("/inzage",)),
    "cat_oudersverzorgers": (
        "Ouders/verzorgers",
        ("verzorgersaansprakelijk", "verzorger", "aansprakelijkeinstelling"),
    ),
    "cat_vve": ("VVE", ("vanpeuterspeelzaal", "naampeuterspeelzaal", "voorschools", "vroegschools")),
    "cat_schoolloopbaan": ("Schoolloopbaan", ("schoolloopbaanlijst",)),
    "cat_overstapadvies": ("Overstapadvies", ("overstapadvies",)),
    "cat_onderwijsondersteuning": ("Onderwijsondersteuning", ("onderwijsondersteuning",)),
    "cat_verzuim": ("Verzuim", ("verzuim",)),
    "cat_eindtoetsbo": ("Eindtoets bo", ("eindtoets_basisonderwijs",)),
    "cat_toetsresultaten": ("Toetsresultaten", ("toetslijst",)),
    "cat_handelingsplannen": ("Handelingsplannen", ("onderwijsondersteuning/handelingsplan",)),
    "cat_cijferlijsten": ("Cijferlijsten", ("cijferlijstlijst",)),
    "cat_vombo": (
        "VO-MBO",
        ("bevorderd", "examenresultaat", "resultaatvakkenvo", "certificaat", "competenties", "stage", "overigvombo"),
    ),
    "cat_bijlagedocs": ("Bijlagedocumenten", ("overigdocumentlijst",)),
}
_FLAG_TAGS = tuple(q(name) for name in _DATA)

# VERPLICHT categories whose presence can be seen from one block (the others are always present or
# have no single marker).
_REQUIRED_MARKER: dict[str, str] = {
    "cat_schoolloopbaan": "schoolloopbaanlijst",
    "cat_onderwijsondersteuning": "onderwijsondersteuning",
}


def _find(root: Element, leerling: Element | None, path: str) -> list[Element]:
    base, rel = (root, path[1:]) if path.startswith("/") else (leerling, path)
    if base is None:
        return []
    found = [base]
    for step in rel.split("/"):
        found = [c for el in found for c in children(el, step)]
    return found


def check_categories(root: Element) -> list[Finding]:
    metadata = child(root, "metadata")
    flags = child(metadata, "categorie_uitlevering")
    if flags is None:
        return []
    out: list[Finding] = []
    for flag in flags:
        if not isinstance(flag.tag, str):
            continue
        value = flag.text or ""
        if value not in CATEGORIE_WAARDEN:
            out.append(
                fout(
                    "CODELIJST_48",
                    f"De categorie {flag.tag.split('}')[-1]} heeft een waarde die niet in codelijst 48 staat "
                    "(VERPLICHT, OPTIONEEL, VERBODEN of OPT-UIT).",
                    path_of(flag),
                )
            )
    school = child(root, "huidigeschool")
    leerling = child(school, "leerling")
    values: dict[str, str] = {}  # first flag of each name, as text(flags, name) finds it
    for flag in flags.iterchildren(*_FLAG_TAGS):
        values.setdefault(flag.tag, flag.text or "")
    for name, (label, paths) in _DATA.items():
        value = values.get(q(name))
        if value in ("VERBODEN", "OPT-UIT"):
            reden = "verboden" if value == "VERBODEN" else "uitgezet (OPT-UIT)"
            for path in paths:
                for el in _find(root, leerling, path):
                    out.append(
                        fout(
                            f"OS.{name}",
                            f'De categorie "{label}" is {reden}, maar het dossier bevat er toch gegevens uit. '
                            "Laat deze gegevens weg of pas de categorie aan.",
                            path_of(el),
                        )
                    )
        elif value == "VERPLICHT" and name in _REQUIRED_MARKER and leerling is not None:
            marker = _REQUIRED_MARKER[name]
            if child(leerling, marker) is None:
                out.append(
                    fout(
                        f"OS.{name}",
                        f'De categorie "{label}" is verplicht, maar het dossier bevat er geen gegevens uit.',
                        path_below(leerling, marker),
                    )
                )
    return out
