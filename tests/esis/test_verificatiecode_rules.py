"""The handbook's format rules for a verificatiecode, and the hashing helpers (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from verification.verificatiecode import (
    SCRYPT_DEFAULT,
    ScryptParams,
    check_format,
    fingerprint,
    hash_code,
    verify_code,
)

REGISTERED = {"14SS00", "14SS01", "27ZX00"}
FAST = ScryptParams(n=2**8)


def _messages(code: str, **kw: Any) -> dict[str, str]:
    return {f.code: f.message for f in check_format(code, registered_brin6=REGISTERED, **kw)}


def test_valid_code_has_no_findings() -> None:
    assert check_format("14SS01-onze-eigen-code!", registered_brin6=REGISTERED) == []
    assert check_format("14SS01" + "x" * 44, registered_brin6=REGISTERED, vestiging="14SS01") == []


def test_too_short_says_how_many_characters() -> None:
    assert _messages("14SS01-kort-code")["VERIFICATIECODE_TE_KORT"] == (
        "De verificatiecode is te kort: 16 tekens, minimaal 20."
    )
    assert "te kort: 17 tekens, minimaal 20" in _messages("14SS01-korte-code")["VERIFICATIECODE_TE_KORT"]


def test_too_long() -> None:
    assert "te lang: 51 tekens, maximaal 50" in _messages("14SS01" + "a" * 45)["VERIFICATIECODE_TE_LANG"]


@pytest.mark.parametrize("code", ["onze-school-code-2025-abc", "14SS-01-onze-code-123456", "99ZZ00-niet-aangemeld-xyz"])
def test_must_start_with_brin6_of_a_registered_vestiging(code: str) -> None:
    msg = _messages(code)["VERIFICATIECODE_BRIN_ONJUIST"]
    assert msg.startswith("De verificatiecode begint niet met de BRIN-code van de vestiging (6 posities)")


def test_must_start_with_the_vestiging_it_is_registered_for() -> None:
    msg = _messages("14SS00-onze-eigen-code!", vestiging="14SS01")["VERIFICATIECODE_BRIN_ONJUIST"]
    assert "begint niet met de BRIN-code van de vestiging (6 posities)" in msg and "14SS01" in msg


@pytest.mark.parametrize("code", ["14SS01 onze eigen code", "14SS01-één-code-voor-ons", "14SS01-code\twith-tab-x"])
def test_only_printable_characters_without_spaces(code: str) -> None:
    assert "VERIFICATIECODE_TEKEN_ONGELDIG" in _messages(code)


def test_messages_never_repeat_the_code() -> None:
    code = "14SS01 geheim woord"
    for f in check_format(code, registered_brin6=REGISTERED):
        assert "geheim" not in f.message


def test_hash_is_salted_slow_and_verifies_in_constant_time() -> None:
    a, b = hash_code("14SS01-onze-eigen-code!", params=FAST), hash_code("14SS01-onze-eigen-code!", params=FAST)
    assert a != b  # salted
    assert "onze" not in a
    assert verify_code("14SS01-onze-eigen-code!", a) and verify_code("14SS01-onze-eigen-code!", b)
    assert not verify_code("14SS01-onze-eigen-code?", a)
    assert not verify_code("x", "niet-een-hash")
    assert not verify_code("x", "scrypt$1048577$8$1$AAAA$AAAA")  # absurd cost parameters are refused


def test_default_parameters_are_documented_and_strong() -> None:
    assert (SCRYPT_DEFAULT.n, SCRYPT_DEFAULT.r, SCRYPT_DEFAULT.p) == (2**15, 8, 1)
    assert hash_code("14SS01-onze-eigen-code!", params=FAST).startswith("scrypt$256$8$1$")


def test_fingerprint_shows_the_vestiging_and_nothing_of_the_code() -> None:
    encoded = hash_code("14SS01-onze-eigen-code!", params=FAST)
    fp = fingerprint("14SS01", encoded)
    assert fp.startswith("14SS01-…-") and "onze" not in fp
    assert fp != fingerprint("14SS01", hash_code("14SS01-onze-eigen-code!", params=FAST))
