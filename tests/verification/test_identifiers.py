"""BRIN4, vestigingscode, BRIN6 and OIN: normalisation, refusals and round-trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verification.identifiers import (
    Brin6,
    OinSoort,
    OngeldigeIdentificatie,
    brin4_from_school_oin,
    oin_soort,
    parse_brin4,
    parse_brin6,
    parse_oin,
    parse_vestigingscode,
    school_oin,
)

brin4s = st.from_regex(r"[0-9]{2}[A-Z]{2}", fullmatch=True)
codes = st.from_regex(r"[0-9]{2}", fullmatch=True)


@pytest.mark.parametrize(
    ("parse", "raw", "expected"),
    [
        (parse_brin4, " 14ss ", "14SS"),
        (parse_vestigingscode, "01", "01"),
        (parse_brin6, "14ss01", Brin6("14SS", "01")),
        (parse_oin, "0000000700014ss00000", "0000000700014SS00000"),
    ],
)
def test_valid_identifiers_are_normalised(parse, raw, expected) -> None:
    assert parse(raw) == expected


@pytest.mark.parametrize(
    ("parse", "raw", "code"),
    [
        (parse_brin4, "14S5", "BRIN4_ONGELDIG"),
        (parse_brin4, "", "BRIN4_ONGELDIG"),
        (parse_brin4, None, "BRIN4_ONGELDIG"),
        (parse_vestigingscode, "1", "VESTIGINGSCODE_ONGELDIG"),
        (parse_vestigingscode, "0A", "VESTIGINGSCODE_ONGELDIG"),
        (parse_brin6, "14SS", "BRIN6_ONGELDIG"),
        (parse_brin6, "14SS001", "BRIN6_ONGELDIG"),
        (parse_oin, "12345", "OIN_ONGELDIG"),
        (parse_oin, "A0000007000014SS0000", "OIN_ONGELDIG"),
        (brin4_from_school_oin, "00000003123456780000", "OIN_GEEN_SCHOOL"),
        (brin4_from_school_oin, "0000000700014SS00501", "OIN_GEEN_SCHOOL"),
    ],
)
def test_malformed_identifiers_are_refused_with_a_code(parse, raw, code) -> None:
    with pytest.raises(OngeldigeIdentificatie) as caught:
        parse(raw)
    assert caught.value.finding.code == code
    assert caught.value.finding.blocking
    assert caught.value.finding.message  # a Dutch reason


def test_brin6_without_vestiging_suggests_the_hoofdvestiging() -> None:
    with pytest.raises(OngeldigeIdentificatie) as caught:
        parse_brin6("14ss")
    assert "14SS00" in caught.value.finding.message


def test_supplier_oin_of_the_wrong_register_is_refused() -> None:
    allowed = frozenset({OinSoort.KVK, OinSoort.TEST})
    assert parse_oin("00000003123456780000", allowed=allowed) == "00000003123456780000"
    with pytest.raises(OngeldigeIdentificatie) as caught:
        parse_oin("0000000700014SS00000", allowed=allowed)
    assert caught.value.finding.code == "OIN_SOORT_ONVERWACHT"


@pytest.mark.parametrize(
    ("oin", "soort"),
    [
        ("0000000700025BE00000", OinSoort.BRIN),
        ("00000003123456780000", OinSoort.KVK),
        ("00000099000000000001", OinSoort.TEST),
        ("00000001003214345000", OinSoort.OVERIG),
    ],
)
def test_oin_soort_follows_the_prefix(oin: str, soort: OinSoort) -> None:
    assert oin_soort(oin) is soort


def test_school_oin_matches_the_domain_example() -> None:
    assert school_oin("25be") == "0000000700025BE00000"


@given(brin4s)
def test_school_oin_round_trips_to_brin4(brin4: str) -> None:
    oin = school_oin(brin4)
    assert len(oin) == 20
    assert parse_oin(oin) == oin
    assert brin4_from_school_oin(oin) == brin4


@given(brin4s, codes)
def test_brin6_round_trips_through_text(brin4: str, code: str) -> None:
    brin6 = parse_brin6(f"{brin4.lower()}{code}")
    assert brin6 == Brin6(brin4, code)
    assert parse_brin6(str(brin6)) == brin6
    assert brin6.is_hoofdvestiging == (code == "00")


@given(st.text(max_size=30))
def test_parsers_either_normalise_or_refuse_with_a_finding(text: str) -> None:
    for parse in (parse_brin4, parse_vestigingscode, parse_brin6, parse_oin):
        try:
            value = parse(text)
        except OngeldigeIdentificatie as exc:
            assert exc.finding.code.endswith(("_ONGELDIG", "_SOORT_ONVERWACHT"))
        else:
            assert parse(str(value)) == value
