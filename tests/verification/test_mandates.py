"""OSO-SWV mandates: both systems, valid on the reference date, covering the vestiging."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.verification.factories import PARTIES, TODAY, both_mandates, mandaat, vestiging
from verification.mandates import Mandaat, OsoSwvParties, System, check_oso_swv_mandates, same_system

DAY = dt.timedelta(days=1)


def test_both_mandates_valid_today_pass() -> None:
    assert check_oso_swv_mandates("14SS00", both_mandates(), TODAY, [vestiging("14SS00")]).ok


@pytest.mark.parametrize(
    ("mandates", "codes"),
    [
        ((mandaat("ParnasSys"),), ["MANDAAT_ONTBREEKT"]),
        ((mandaat("Kindkans"),), ["MANDAAT_ONTBREEKT"]),
        ((), ["MANDAAT_ONTBREEKT", "MANDAAT_ONTBREEKT"]),
        ((mandaat("ParnasSys"), mandaat("Kindkans", end=TODAY - DAY)), ["MANDAAT_VERLOPEN"]),
        ((mandaat("ParnasSys"), mandaat("Kindkans", start=TODAY + DAY)), ["MANDAAT_NOG_NIET_GELDIG"]),
        ((mandaat("ParnasSys"), mandaat("Kindkans", school="25BE")), ["MANDAAT_ONTBREEKT"]),
        ((mandaat("ParnasSys"), mandaat("Kindkans", namespace="urn:other")), ["MANDAAT_ONTBREEKT"]),
        ((mandaat("ParnasSys"), mandaat("Magister")), ["MANDAAT_ONTBREEKT"]),
    ],
)
def test_refusals_name_the_missing_or_invalid_mandate(mandates, codes) -> None:
    verdict = check_oso_swv_mandates("14SS00", mandates, TODAY, [vestiging("14SS00")])
    assert verdict.codes() == codes


def test_missing_kindkans_mandate_names_the_system_and_the_bestuur() -> None:
    verdict = check_oso_swv_mandates("14SS00", (mandaat("ParnasSys"),), TODAY)
    (finding,) = verdict.errors
    assert "Kindkans" in finding.message and "bestuur" in finding.message and "OSR" in finding.message
    assert finding.location == "mandaat OSO-SWV Kindkans"


def test_the_end_date_is_the_last_valid_day() -> None:
    mandates = (mandaat("ParnasSys", end=TODAY), mandaat("Kindkans", start=TODAY))
    assert check_oso_swv_mandates("14SS00", mandates, TODAY).ok
    assert check_oso_swv_mandates("14SS00", mandates, TODAY + DAY).codes() == ["MANDAAT_VERLOPEN"]
    assert check_oso_swv_mandates("14SS00", mandates, TODAY - DAY).codes() == ["MANDAAT_NOG_NIET_GELDIG"]


def test_a_renewed_mandate_counts_even_when_an_old_one_expired() -> None:
    mandates = (
        mandaat("ParnasSys", end=TODAY - 10 * DAY),
        mandaat("ParnasSys", start=TODAY - 9 * DAY),
        mandaat("Kindkans"),
    )
    assert check_oso_swv_mandates("14SS00", mandates, TODAY).ok


def test_system_names_match_as_the_osr_spells_them() -> None:
    assert same_system("Kind Kans", "Kindkans")
    assert check_oso_swv_mandates("14SS00", (mandaat("parnassys"), mandaat("Kind Kans")), TODAY).ok


def test_a_mandate_matches_on_supplier_oin_too() -> None:
    mandates = (
        mandaat("Topicus", supplier_oin=PARTIES.parnassys.supplier_oin),
        mandaat("Kindkans"),
    )
    assert check_oso_swv_mandates("14SS00", mandates, TODAY).ok


@pytest.mark.parametrize(
    ("registry", "ok"),
    [
        ([vestiging("14SS00"), vestiging("14SS01")], True),
        ([vestiging("14SS00")], False),
        ([vestiging("14SS00"), vestiging("14SS01", kenmerk=None)], False),
    ],
)
def test_brin4_mandates_cover_a_nevenvestiging_only_when_registered_with_its_kenmerk(registry, ok) -> None:
    verdict = check_oso_swv_mandates("14SS01", both_mandates(), TODAY, registry)
    assert verdict.ok is ok
    if not ok:
        assert verdict.codes() == ["MANDAAT_DEKT_VESTIGING_NIET"]


def test_the_hoofdvestiging_needs_no_extra_cover_and_a_brin4_means_the_hoofdvestiging() -> None:
    assert check_oso_swv_mandates("14SS", both_mandates(), TODAY).ok


def test_a_malformed_brin_is_refused() -> None:
    assert check_oso_swv_mandates("14S", both_mandates(), TODAY).codes() == ["BRIN4_ONGELDIG"]


def test_parties_are_knobs() -> None:
    parties = OsoSwvParties(
        service_namespace="urn:test:oso-swv",
        kindkans=System("Kind Kans", "00000099000000000009"),
    )
    mandates = (mandaat("ParnasSys", namespace="urn:test:oso-swv"), mandaat("Kindkans", namespace="urn:test:oso-swv"))
    assert check_oso_swv_mandates("14SS00", mandates, TODAY, parties=parties).ok
    assert parties.system_for_supplier("00000099000000000009") == parties.kindkans


def test_mandaat_normalises_the_school_and_refuses_nonsense() -> None:
    m = mandaat(school="14ss")
    assert m.school_oin == "0000000700014SS00000" and m.brin4 == "14SS"
    with pytest.raises(ValueError):
        Mandaat("00000003123456780000", "urn:x", "ParnasSys", None, TODAY)
    with pytest.raises(ValueError):
        mandaat(start=TODAY, end=TODAY - DAY)
