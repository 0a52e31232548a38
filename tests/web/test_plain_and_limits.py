"""Plain Dutch for machine words (audit actions and details, steps) and the form limits' Dutch messages."""

from __future__ import annotations

from gateway.web.pages.limits import Field, check_fields, check_labels, split_labels
from gateway.web.pages.plain import AUDIT_ACTIONS, audit_action, audit_details, step_label


def test_audit_entries_read_as_sentences() -> None:
    assert audit_action("hulpvragen_bekeken") == "Lijst met hulpvragen bekeken"
    assert audit_details("hulpvragen_bekeken", {"ids": [4, 3, 2, 1]}) == ["4 hulpvragen: 4, 3, 2, 1"]
    assert audit_details("hulpvraag_bijgewerkt", {"omschrijving": True}) == ["omschrijving gewijzigd"]
    assert audit_details("koppelcheck_bekeken", {"gereed": False}) == ["klaar: nee"]
    assert audit_details("bijlage_gedownload", {"bestandsnaam": "OPP.pdf", "sha256": "ab" * 32}) == ["bestand: OPP.pdf"]
    assert audit_action("iets_nieuws") == "Iets nieuws"  # an unknown action is still readable


def test_every_audit_action_the_code_writes_has_a_dutch_label() -> None:
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2]
    written = set()
    for path in [*root.joinpath("gateway").rglob("*.py"), *root.joinpath("adapters").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        written |= set(re.findall(r'action="([a-z_]+)"', text)) | set(re.findall(r'_ACTION = "([a-z_]+)"', text))
    written -= {"store_true", "append"}  # argparse
    assert written - set(AUDIT_ACTIONS) == set()


def test_step_names_become_dutch_and_sentences_stay() -> None:
    assert step_label("sessie_geopend") == "Verbinding met het Traffic Center geopend"
    assert step_label("Opnieuw aangeboden door gebruiker:PO3008/x.") == "Opnieuw aangeboden door gebruiker:PO3008/x."


def test_limits_name_the_field_and_the_maximum() -> None:
    fields = {"naam": Field("Naam", 5, required=True), "email": Field("E-mail", 10)}
    assert check_fields({"naam": "", "email": ""}, fields) == ["Vul 'Naam' in."]
    assert check_fields({"naam": "abcdefg"}, fields) == ["'Naam' is 7 tekens; maximaal 5. Maak het korter."]
    labels = split_labels(", ".join(f"l{i}" for i in range(25)) + ", " + "x" * 41)
    problems = check_labels(labels)
    assert any("maximaal 20" in p for p in problems) and any("hoogstens 40" in p for p in problems)
    assert check_labels(split_labels("spoed,  thuis zitter ,")) == []
