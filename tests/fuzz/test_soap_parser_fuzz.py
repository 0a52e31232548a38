"""The SOAP/notificatie parser: whatever bytes arrive, it answers with a `SoapRejected` carrying a known
code and a Dutch message, or with a parsed envelope — never with another exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.parnassys.notificatie import (
    FIELDS,
    check_notificatie,
    normalise_routeringskenmerk,
    read_notificatie,
    vestigingscode_for,
)
from adapters.parnassys.refusals import known_codes
from adapters.parnassys.soap import SoapRejected, parse_envelope
from tests.fuzz.strategies import assert_refusal, mutated
from tests.hostile.soap_build import envelope

VALID = envelope()
KNOWN = set(known_codes())
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _judge(data: bytes) -> None:
    try:
        env = parse_envelope(data)
    except SoapRejected as exc:
        assert exc.finding.code in KNOWN
        assert_refusal(exc.finding)
        return
    values, findings = read_notificatie(env.operation)
    notificatie, more = check_notificatie(values, own_doel_routeringskenmerken={"00000001800000000001"})
    for f in [*findings, *more]:
        assert f.code in KNOWN
        assert_refusal(f)
    assert (notificatie is None) == bool(findings or more) or len(values) != len(FIELDS)


@FUZZ
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_are_refused_with_a_known_code(data: bytes) -> None:
    _judge(data)


@FUZZ
@given(mutated(VALID))
def test_a_mutated_notificatie_is_parsed_or_refused_with_a_known_code(data: bytes) -> None:
    _judge(data)


@FUZZ
@given(st.dictionaries(st.sampled_from(FIELDS), st.text(max_size=80)))
def test_notificatie_fields_of_any_text_never_crash_the_checks(values: dict[str, str]) -> None:
    notificatie, findings = check_notificatie(values, own_doel_routeringskenmerken={"500"})
    for f in findings:
        assert f.code in KNOWN
        assert_refusal(f)
    if notificatie is not None:
        assert not findings and notificatie.key.startswith("oso:")


@FUZZ
@given(st.text(max_size=40) | st.from_regex(r"(00000007000[0-9]{2}[A-Z]{2}[0-9]{5}|[0-9]{3})", fullmatch=True))
def test_a_routeringskenmerk_of_any_text_normalises_or_is_unreadable(value: str) -> None:
    brin, number = normalise_routeringskenmerk(value)
    assert number is None or 0 <= number <= 99_999
    assert brin is None or (len(brin) == 4 and brin[:2].isdigit())
    code = vestigingscode_for(value)
    assert code is None or (len(code) == 2 and code.isdigit() and number is not None and 500 <= number <= 599)
