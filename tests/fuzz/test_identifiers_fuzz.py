"""BRIN, BRIN6, OIN, routeringskenmerk and verificatiecode parsers: any input gives a value or the documented
refusal (`OngeldigeIdentificatie` / findings) with a stable code and a Dutch message."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzz.strategies import assert_refusal
from verification.identifiers import (
    OngeldigeIdentificatie,
    brin4_from_school_oin,
    parse_brin4,
    parse_brin6,
    parse_oin,
    school_oin,
)
from verification.routering import parse_routeringskenmerk
from verification.verificatiecode import MAX_LENGTH, MIN_LENGTH, check_format

FUZZ = settings(max_examples=300, deadline=None)
ANY = (
    st.none() | st.integers() | st.text(max_size=40) | st.from_regex(r"[0-9]{2}[A-Za-z]{2}[0-9]{0,2} ?", fullmatch=True)
)
PARSERS = {
    "brin4": parse_brin4,
    "brin6": parse_brin6,
    "oin": parse_oin,
    "school_oin": brin4_from_school_oin,
    "routeringskenmerk": parse_routeringskenmerk,
}
CODES = {
    "brin4": {"BRIN4_ONGELDIG"},
    "brin6": {"BRIN6_ONGELDIG"},
    "oin": {"OIN_ONGELDIG"},
    "school_oin": {"OIN_ONGELDIG", "OIN_GEEN_SCHOOL"},
    "routeringskenmerk": {"ROUTERING_ONTBREEKT", "ROUTERING_ONGELDIG", "ROUTERING_BUITEN_500_REEKS"},
}


@FUZZ
@given(st.sampled_from(sorted(PARSERS)), ANY)
def test_identifier_parsers_accept_or_refuse_with_their_own_code(which: str, value: object) -> None:
    try:
        PARSERS[which](value)
    except OngeldigeIdentificatie as exc:
        assert exc.finding.code in CODES[which]
        assert_refusal(exc.finding)


@FUZZ
@given(st.from_regex(r"[0-9]{2}[A-Z]{2}", fullmatch=True))
def test_a_school_oin_round_trips_to_its_brin(brin: str) -> None:
    assert brin4_from_school_oin(school_oin(brin)) == brin
    assert parse_brin6(brin.lower() + "01").brin4 == brin


@FUZZ
@given(st.text(max_size=80), st.sampled_from([None, "27ZX00", "14SS01"]))
def test_a_verificatiecode_of_any_text_is_judged_with_stable_codes(code: str, vestiging: str | None) -> None:
    findings = check_format(code, registered_brin6={"27ZX00", "14SS01"}, vestiging=vestiging)
    for f in findings:
        assert f.code.startswith("VERIFICATIECODE_")
        assert_refusal(f)
        assert len(code) < 8 or code not in f.message  # the secret is never repeated
    if not findings:
        assert MIN_LENGTH <= len(code) <= MAX_LENGTH and all("!" <= ch <= "~" for ch in code)


@FUZZ
@given(st.from_regex(r"[!-~]{14,44}", fullmatch=True))
def test_a_well_formed_verificatiecode_is_accepted(rest: str) -> None:
    assert check_format("27ZX00" + rest, registered_brin6={"27ZX00"}, vestiging="27ZX00") == []
