"""Routeringskenmerken: both forms, the 500-range, the vestiging mapping and the registry."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.verification.factories import vestiging
from verification.identifiers import Brin6, OngeldigeIdentificatie
from verification.routering import (
    PARNASSYS_SCHERM,
    Routeringskenmerk,
    check_configured_kenmerk,
    check_routeringskenmerk,
    check_vestigingen,
    kenmerk_for_vestiging,
    parse_routeringskenmerk,
)

REGISTRY = [vestiging("14SS00"), vestiging("14SS01"), vestiging("14SS02", kenmerk=None)]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("500", Routeringskenmerk(500)),
        (" 501 ", Routeringskenmerk(501)),
        ("599", Routeringskenmerk(599)),
        ("0000000700014SS00501", Routeringskenmerk(501, "14SS")),
        ("0000000700014ss00500", Routeringskenmerk(500, "14SS")),
    ],
)
def test_both_forms_normalise_to_one_value(raw: str, expected: Routeringskenmerk) -> None:
    assert parse_routeringskenmerk(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "ROUTERING_ONTBREEKT"),
        (None, "ROUTERING_ONTBREEKT"),
        ("5O1", "ROUTERING_ONGELDIG"),
        ("0000000700014SS0050", "ROUTERING_ONGELDIG"),
        ("1", "ROUTERING_BUITEN_500_REEKS"),
        ("600", "ROUTERING_BUITEN_500_REEKS"),
        ("499", "ROUTERING_BUITEN_500_REEKS"),
        ("0000000700000YY00931", "ROUTERING_BUITEN_500_REEKS"),
    ],
)
def test_bad_kenmerken_are_refused(raw: str | None, code: str) -> None:
    with pytest.raises(OngeldigeIdentificatie) as caught:
        parse_routeringskenmerk(raw)
    assert caught.value.finding.code == code
    assert PARNASSYS_SCHERM in caught.value.finding.message


def test_outside_the_range_says_buiten_de_500_reeks() -> None:
    with pytest.raises(OngeldigeIdentificatie) as caught:
        parse_routeringskenmerk("931")
    assert "buiten de 500-reeks" in caught.value.finding.message


@given(st.integers(min_value=0, max_value=99), st.from_regex(r"[0-9]{2}[A-Z]{2}", fullmatch=True))
def test_5nn_belongs_to_vestiging_nn_in_both_forms(n: int, brin4: str) -> None:
    code = f"{n:02d}"
    kenmerk = kenmerk_for_vestiging(code)
    assert kenmerk.nummer == 500 + n
    assert kenmerk.vestigingscode == code
    long = kenmerk.long_form(brin4)
    assert len(long) == 20
    assert parse_routeringskenmerk(long) == Routeringskenmerk(500 + n, brin4)
    assert parse_routeringskenmerk(str(kenmerk)) == kenmerk


@pytest.mark.parametrize(
    ("kenmerk", "sender", "dossier", "vestiging_"),
    [
        ("500", "14SS", None, "14SS00"),
        ("501", "14SS", None, "14SS01"),
        ("501", "14SS01", None, "14SS01"),
        ("501", "14ss", "01", "14SS01"),
        ("0000000700014SS00501", "14SS", None, "14SS01"),
    ],
)
def test_a_good_kenmerk_routes_to_its_vestiging(kenmerk, sender, dossier, vestiging_) -> None:
    routed = check_routeringskenmerk(kenmerk, sender_brin=sender, vestigingen=REGISTRY, dossier_vestigingscode=dossier)
    assert routed.verdict.ok, routed.verdict.findings
    assert str(routed.vestiging) == vestiging_


@pytest.mark.parametrize(
    ("kenmerk", "sender", "dossier", "registry", "code"),
    [
        ("931", "14SS", None, REGISTRY, "ROUTERING_BUITEN_500_REEKS"),
        ("0000000700099XX00501", "14SS", None, REGISTRY, "ROUTERING_BRIN_WIJKT_AF"),
        ("500", "14SS01", None, REGISTRY, "ROUTERING_VESTIGING_WIJKT_AF"),
        ("500", "14SS", "01", REGISTRY, "ROUTERING_VESTIGING_WIJKT_AF"),
        ("503", "14SS", None, REGISTRY, "VESTIGING_NIET_GEREGISTREERD"),
        ("502", "14SS", None, REGISTRY, "ROUTERING_NIET_INGESTELD"),
        ("501", "14SS", None, [vestiging("14SS01", "501"), vestiging("14SS01", "500")], "ROUTERING_MEER_DAN_EEN"),
        ("501", "14S", None, REGISTRY, "BRIN4_ONGELDIG"),
        ("501", "14SS", "1", REGISTRY, "VESTIGINGSCODE_ONGELDIG"),
    ],
)
def test_an_incoming_kenmerk_is_refused_with_a_reason(kenmerk, sender, dossier, registry, code) -> None:
    routed = check_routeringskenmerk(kenmerk, sender_brin=sender, vestigingen=registry, dossier_vestigingscode=dossier)
    assert not routed.verdict.ok
    assert code in routed.verdict.codes()
    assert routed.vestiging is None


def test_wrong_vestiging_says_which_vinkje_to_set() -> None:
    routed = check_routeringskenmerk("500", sender_brin="14SS01", vestigingen=REGISTRY)
    message = routed.verdict.errors[0].message
    assert "501" in message and "500" in message and PARNASSYS_SCHERM in message


@pytest.mark.parametrize(
    ("row", "codes"),
    [
        (vestiging("14SS01", "501"), []),
        (vestiging("14SS01", "0000000700014SS00501"), []),
        (vestiging("14SS01", "500"), ["ROUTERING_VESTIGING_WIJKT_AF"]),
        (vestiging("14SS01", None), ["ROUTERING_NIET_INGESTELD"]),
        (vestiging("14SS01", " "), ["ROUTERING_NIET_INGESTELD"]),
        (vestiging("14SS01", "0000000700099XX00501"), ["ROUTERING_BRIN_WIJKT_AF"]),
        (vestiging("14SS0X", "501"), ["BRIN6_ONGELDIG"]),
    ],
)
def test_the_recorded_kenmerk_of_a_vestiging(row, codes) -> None:
    assert check_configured_kenmerk(row).codes() == codes


def test_registry_allows_one_kenmerk_per_vestiging_and_one_vestiging_per_kenmerk() -> None:
    verdict = check_vestigingen(
        [
            vestiging("14SS00"),
            vestiging("14SS01", "501"),
            vestiging("14SS01", "502"),
            vestiging("14SS02", "502"),
        ]
    )
    assert "ROUTERING_MEER_DAN_EEN" in verdict.codes()
    assert "ROUTERING_DUBBEL" in verdict.codes()
    assert check_vestigingen([vestiging("14SS00"), vestiging("14SS01"), vestiging("25BE00")]).ok


def test_long_form_needs_a_brin() -> None:
    with pytest.raises(ValueError, match="BRIN4"):
        Routeringskenmerk(501).long_form()
    assert Routeringskenmerk(501).long_form("14SS") == "0000000700014SS00501"
    assert Brin6("14SS", "01").is_hoofdvestiging is False


# -- one parser, one message per code (the OSO adapter reads routeringskenmerken through verification/) ----

SAMPLES = [
    "500",
    "501",
    "599",
    "1",
    "00501",
    "600",
    "499",
    "931",
    "0000000700014SS00501",
    "0000000700014ss00500",
    "0000000700014SS00931",
    "00000001800000000001",
    "5O1",
    "",
    " 501 ",
    "123456",
    "501a",
]


@pytest.mark.parametrize("value", SAMPLES)
def test_the_oso_notificatie_reads_a_routeringskenmerk_as_verification_does(value: str) -> None:
    from adapters.parnassys.notificatie import normalise_routeringskenmerk
    from verification.routering import read_routeringskenmerk

    read = read_routeringskenmerk(value)
    assert normalise_routeringskenmerk(value) == (read if read is not None else (None, None))


@pytest.mark.parametrize("value", ["600", "0000000700014SS00400", "1"])
def test_outside_the_500_range_has_one_message_in_the_notificatie_and_in_the_registry(value: str) -> None:
    from adapters.parnassys.notificatie import check_notificatie

    values = {
        "bronBrin": "14SS",
        "bronRouteringsKenmerk": value,
        "doelBrin": "14SS",
        "doelRouteringsKenmerk": "00000001800000000001",
        "koppelsleutel": "6f1c1c1e-3a1b-4d2a-9f3e-2b7c8d9e0f11",
        "doel": "SWV",
    }
    _, findings = check_notificatie(values, own_doel_routeringskenmerken={"00000001800000000001"})
    with pytest.raises(OngeldigeIdentificatie) as registry:
        parse_routeringskenmerk(value)
    (finding,) = findings
    assert finding.code == registry.value.finding.code == "ROUTERING_BUITEN_500_REEKS"
    assert finding.message == registry.value.finding.message
    assert finding.location == "notificatieRequest/bronRouteringsKenmerk"


def test_no_adapter_has_its_own_message_for_a_verification_code() -> None:
    from adapters.parnassys import refusals

    assert "ROUTERING_BUITEN_500_REEKS" not in refusals._MESSAGES
    assert "ROUTERING_BUITEN_500_REEKS" in refusals.known_codes()


def test_the_oso_types_pattern_is_the_parsers_syntax() -> None:
    import re
    from pathlib import Path

    from verification.routering import routeringskenmerk_syntax_ok

    xsd = (Path(__file__).resolve().parents[2] / "schemas/oso/oso-types.xsd").read_text(encoding="utf-8")
    found = re.search(r'name="Routeringskenmerk">\s*<xs:restriction[^>]*><xs:pattern value="([^"]+)"', xsd)
    assert found, "the XSD names a Routeringskenmerk pattern"
    pattern = found.group(1)
    for value in SAMPLES:
        assert bool(re.fullmatch(pattern, value)) == routeringskenmerk_syntax_ok(value), value
