"""Every mutation of the factory gives the verdict and the rule code it promises; valid variants pass."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.parnassys.dossier_factory import MUTATIONS, AttachmentSpec, build_dossier
from gateway.dossier import read_dossier


def test_the_default_dossier_is_a_valid_po_swv_dossier_with_opp_and_toelichting() -> None:
    report = read_dossier(build_dossier())
    assert report.valid and report.findings == []
    assert report.overstap == "POSWV" and report.brin6 == "14SS00"
    assert sorted(a.role for a in report.attachments) == ["opp", "toelichting_onderwijsbehoeften"]
    assert report.pupil is not None
    assert (report.pupil.leerlingid, report.pupil.voornaam, report.pupil.achternaam) == ("LL-0001", "Sanne", "Jansen")
    assert report.pupil.geboortedatum == date(2016, 3, 14)


@pytest.mark.parametrize(("mutation", "code"), sorted(MUTATIONS.items()))
def test_each_mutation_is_refused_with_its_rule_code(mutation: str, code: str, limits) -> None:
    report = read_dossier(build_dossier(mutation=mutation), limits=limits)
    assert not report.valid
    assert code in [f.code for f in report.errors]
    finding = next(f for f in report.errors if f.code == code)
    assert finding.message and finding.message[0].isupper()


def test_every_profile_rule_has_a_mutation() -> None:
    rules = {
        *(f"PaO.MD0{i}" for i in (1, 2, 3)),
        *(f"PaO.SO0{i}" for i in (1, 2, 3)),
        "PaO.SL01",
        "PaO.SL02",
        *(f"PaO.LL{i:02}" for i in range(1, 13)),
        *(f"PaO.VV0{i}" for i in (1, 2, 3, 4)),
        "PaO.EB01",
        *(f"PaO.VM0{i}" for i in range(1, 8)),
        "PaO.OV01",
        "PaO.OV03",
        "PaO.OV04",
        "PaO.OV05",
        "PaO.ZB01",
        "PaO.ZB02",
        "PaO.TR01",
        "PaO.TR02",
        "PaO.CL01",
    }
    assert rules <= set(MUTATIONS.values())


def test_a_bsn_is_refused_and_its_value_is_nowhere_in_the_report(capsys, limits) -> None:
    report = read_dossier(build_dossier(mutation="bsn"), limits=limits)
    assert [f.code for f in report.errors] == ["PaO.LL12"]
    assert "123456782" not in repr(report) + repr(report.to_dict())
    assert "123456782" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "options",
    [
        {"overstap": "VOSWV"},
        {"adresgeheim": True},
        {"tussenvoegsel": "van der", "voornaam": "Noah", "achternaam": "Berg"},
        {"brin": "25BE", "vestigingscode": "01", "leerlingid": "99887766"},
        {"attachments": []},
        {"wrap_base64": True},
        {
            "attachments": [
                AttachmentSpec(role="opp", bestandsnaam="OPP.docx", kind="docx"),
                AttachmentSpec(role="toelichting_onderwijsbehoeften", bestandsnaam="Behoeften.odt", kind="odt"),
                AttachmentSpec(role="overig", bestandsnaam="Toetsoverzicht.xlsx", kind="xlsx"),
                AttachmentSpec(role="overig", bestandsnaam="Groepsplan.txt", kind="txt"),
                AttachmentSpec(role="overig", bestandsnaam="Tekening.png", kind="png"),
            ]
        },
    ],
    ids=["voswv", "adresgeheim", "tussenvoegsel", "other-school", "no-attachments", "wrapped", "many-kinds"],
)
def test_valid_variants_pass(options: dict, limits) -> None:
    report = read_dossier(build_dossier(**options), limits=limits)
    assert report.valid, [f.to_dict() for f in report.errors]
    assert not [f for a in report.attachments for f in a.findings]
