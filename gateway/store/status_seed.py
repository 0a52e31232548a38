"""The handbook's statuses per aanvraagtype and the steps between them (the starting status catalogue).

Source: the SWV's handbook (Kindkans handleiding PO3008) §2 (ondersteuningsaanvraag), §3 (Kans!overleg,
arrangementen), §4 (TLV, verlenging TLV, aanvullende bekostiging), §5 (thuiszitters) and §6 (residentiële
leerlingen). Where the handbook names a step without its successor we chose the obvious one; the choices are
listed in docs/assumptions/status-catalogue.md. Every open status may also go to "Afgesloten" (the
secretariaat closes a withdrawn or mistaken request); "Nieuw" and "Nieuw>te classificeren" may go to the
first status of every flow.
"""

from __future__ import annotations

__all__ = ["FIRST_STATUSES", "STATUS_FLOWS", "status_rows", "transition_rows"]

# name → (afgesloten, next statuses). Order = the order on the pages.
STATUS_FLOWS: dict[str, tuple[bool, tuple[str, ...]]] = {
    "Nieuw": (False, ()),
    "Nieuw>te classificeren": (False, ()),
    # §2 Ondersteuningsaanvraag (schoolgaand en voorschools kind)
    "Ondersteuningsaanvraag": (
        False,
        (
            "Ondersteuningsaanvraag>aanvulling nodig",
            "Ondersteuningsaanvraag>plannen",
            "Ondersteuningsaanvraag>in behandeling",
        ),
    ),
    "Ondersteuningsaanvraag>aanvulling nodig": (False, ("Ondersteuningsaanvraag>documenten aangevuld",)),
    "Ondersteuningsaanvraag>documenten aangevuld": (
        False,
        (
            "Ondersteuningsaanvraag>aanvulling nodig",
            "Ondersteuningsaanvraag>plannen",
            "Ondersteuningsaanvraag>in behandeling",
        ),
    ),
    "Ondersteuningsaanvraag>plannen": (False, ("Ondersteuningsaanvraag>telefonisch consult",)),
    "Ondersteuningsaanvraag>telefonisch consult": (False, ("Ondersteuningsaanvraag>in behandeling",)),
    "Ondersteuningsaanvraag>in behandeling": (
        False,
        (
            "Ondersteuningsaanvraag>Kans!overleg",
            "Ondersteuningsaanvraag>TLV aanvraag",
            "Ondersteuningsaanvraag>jeugdzorg/gemeente",
            "Ondersteuningsaanvraag>thuiszittersoverleg",
            "Ondersteuningsaanvraag>residentieel",
            "Ondersteuningsaanvraag>afgerond",
        ),
    ),
    "Ondersteuningsaanvraag>Kans!overleg": (True, ()),
    "Ondersteuningsaanvraag>TLV aanvraag": (True, ()),
    "Ondersteuningsaanvraag>jeugdzorg/gemeente": (True, ()),
    "Ondersteuningsaanvraag>thuiszittersoverleg": (True, ()),
    "Ondersteuningsaanvraag>residentieel": (True, ()),
    "Ondersteuningsaanvraag>afgerond": (True, ()),
    # §3 Kans!overleg (also Kans!overleg + thuiszitters)
    "Kans!overleg>aanvraag": (False, ("Kans!overleg>aanvulling nodig", "Kans!overleg>plannen")),
    "Kans!overleg>aanvulling nodig": (False, ("Kans!overleg>documenten aangevuld",)),
    "Kans!overleg>documenten aangevuld": (False, ("Kans!overleg>aanvulling nodig", "Kans!overleg>plannen")),
    "Kans!overleg>plannen": (False, ("Kans!overleg>gepland",)),
    "Kans!overleg>gepland": (False, ("Kans!overleg>arrangement", "Kans!overleg>afgerond")),
    "Kans!overleg>arrangement": (False, ("Arrangement>toegewezen",)),
    "Kans!overleg>afgerond": (True, ()),
    # §3/§4 arrangementen and aanvullende bekostiging
    "Aanvraag aanvullende bekostiging": (False, ("Arrangement>categorie 2 en 3 bespreken coördinator",)),
    "Arrangement>categorie 2 en 3 bespreken coördinator": (False, ("Arrangement>categorie 2 en 3 besproken",)),
    "Arrangement>categorie 2 en 3 besproken": (False, ("Arrangement>toegewezen",)),
    "Arrangement>toegewezen": (False, ("Arrangement>financieel verwerkt", "Arrangement>evalueren")),
    "Arrangement>evalueren": (False, ("Arrangement>geëvalueerd door school",)),
    "Arrangement>geëvalueerd door school": (False, ("Arrangement>financieel verwerkt",)),
    "Arrangement>financieel verwerkt": (True, ("Arrangement>evalueren",)),
    # §4.1 TLV (also Herbeoordeling TLV)
    "TLV>voorlopige aanvraag": (False, ("TLV>aanvraag", "TLV>afgewezen")),
    "TLV>aanvraag": (
        False,
        (
            "TLV>aanvraag aanvulling nodig",
            "TLV>afgegeven, school bekend",
            "TLV>afgegeven, school onbekend",
            "TLV>afgewezen",
        ),
    ),
    "TLV>aanvraag aanvulling nodig": (False, ("TLV>documenten aangevuld",)),
    "TLV>documenten aangevuld": (
        False,
        (
            "TLV>aanvraag aanvulling nodig",
            "TLV>afgegeven, school bekend",
            "TLV>afgegeven, school onbekend",
            "TLV>afgewezen",
        ),
    ),
    "TLV>afgegeven, school bekend": (True, ("TLV>beschikking on hold", "TLV>in archief")),
    "TLV>afgegeven, school onbekend": (
        True,
        ("TLV>afgegeven, school bekend", "TLV>beschikking on hold", "TLV>in archief"),
    ),
    "TLV>beschikking on hold": (True, ("TLV>afgegeven, school bekend", "TLV>in archief")),
    "TLV>afgewezen": (True, ()),
    "TLV>in archief": (True, ()),
    # §4.3 Verlenging TLV
    "TLV verlenging>voorlopige aanvraag": (False, ("TLV verlenging>aanvraag",)),
    "TLV verlenging>aanvraag": (
        False,
        ("TLV verlenging>aanvraag aanvulling nodig", "TLV verlenging>afgegeven", "TLV verlenging>afgewezen"),
    ),
    "TLV verlenging>aanvraag aanvulling nodig": (False, ("TLV verlenging>documenten aangevuld",)),
    "TLV verlenging>documenten aangevuld": (
        False,
        ("TLV verlenging>aanvraag aanvulling nodig", "TLV verlenging>afgegeven", "TLV verlenging>afgewezen"),
    ),
    "TLV verlenging>afgegeven": (True, ("TLV>in archief",)),
    "TLV verlenging>afgewezen": (True, ()),
    # §5 thuiszitters
    "Thuiszitter>aanvraag": (False, ("Thuiszitter>in behandeling", "Thuiszitter>afgerond")),
    "Thuiszitter>in behandeling": (False, ("Thuiszitter>afgerond",)),
    "Thuiszitter>afgerond": (True, ()),
    # §6 residentiële leerlingen
    "Ondersteuningsaanvraag>residentiële leerling": (False, ("MKD>aanmelding", "Residentieel>aanmelding")),
    "MKD>aanmelding": (False, ("MKD>volgen",)),
    "MKD>volgen": (False, ("MKD>passend uitstroomperspectief", "MKD>uitstroom residentiële instelling")),
    "MKD>passend uitstroomperspectief": (True, ()),
    "MKD>uitstroom residentiële instelling": (True, ()),
    "Residentieel>aanmelding": (False, ("Residentieel>volgen",)),
    "Residentieel>volgen": (
        False,
        ("Residentieel>passend uitstroomperspectief onderwijs", "Residentieel>uitstroom jeugdzorg/dagbesteding"),
    ),
    "Residentieel>passend uitstroomperspectief onderwijs": (True, ()),
    "Residentieel>uitstroom jeugdzorg/dagbesteding": (True, ()),
    "Afgesloten": (True, ()),
}

# the first status of each flow: where "Nieuw" and "Nieuw>te classificeren" may go
FIRST_STATUSES: tuple[str, ...] = (
    "Ondersteuningsaanvraag",
    "Ondersteuningsaanvraag>residentiële leerling",
    "Kans!overleg>aanvraag",
    "Aanvraag aanvullende bekostiging",
    "Arrangement>toegewezen",
    "TLV>voorlopige aanvraag",
    "TLV verlenging>voorlopige aanvraag",
    "Thuiszitter>aanvraag",
    "Residentieel>aanmelding",
)


def status_rows() -> list[tuple[str, bool]]:
    return [(name, closed) for name, (closed, _) in STATUS_FLOWS.items()]


def transition_rows() -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for start in ("Nieuw", "Nieuw>te classificeren"):
        rows += [(start, first) for first in FIRST_STATUSES]
    rows.append(("Nieuw", "Nieuw>te classificeren"))
    for name, (closed, following) in STATUS_FLOWS.items():
        rows += [(name, naar) for naar in following]
        if not closed and name != "Afgesloten":
            rows.append((name, "Afgesloten"))
    for van, naar in rows:
        assert van in STATUS_FLOWS and naar in STATUS_FLOWS, (van, naar)
    return list(dict.fromkeys(rows))
