"""The koppelcheck report for the scenarios of the issue, and its JSON and text forms."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from tests.verification.factories import koppelcheck_facts, mandaat
from verification.koppelcheck import (
    CheckStatus,
    EsisCodeFacts,
    ExchangeFact,
    MandateFacts,
    build_koppelcheck,
    format_age,
)
from verification.koppelcheck_text import render_text


def test_a_ready_school() -> None:
    report = build_koppelcheck(koppelcheck_facts("14SS00"))
    assert report.ready
    assert {line.status for line in report.lines if line.required} == {CheckStatus.OK}
    assert report.line("routeringskenmerk").message.startswith("Routeringskenmerk 500")
    assert "Klaar" in render_text(report)


def test_a_ready_nevenvestiging() -> None:
    report = build_koppelcheck(koppelcheck_facts("14SS01"))
    assert report.ready
    assert report.line("mandaat_vestiging").status is CheckStatus.OK


def test_a_school_missing_the_kindkans_mandate() -> None:
    report = build_koppelcheck(koppelcheck_facts("14SS00", mandates=(mandaat("ParnasSys"),)))
    assert not report.ready
    assert report.line("mandaat_parnassys").status is CheckStatus.OK
    line = report.line("mandaat_kindkans")
    assert (line.status, line.code) == (CheckStatus.FOUT, "MANDAAT_ONTBREEKT")
    assert "bestuur" in (line.action or "")


def test_a_nevenvestiging_with_500_instead_of_501() -> None:
    report = build_koppelcheck(koppelcheck_facts("14SS01", kenmerk="500"))
    assert not report.ready
    line = report.line("routeringskenmerk")
    assert (line.status, line.code) == (CheckStatus.FOUT, "ROUTERING_VESTIGING_WIJKT_AF")
    assert "501" in (line.action or "") and "Configuratie routeringskenmerken" in (line.action or "")


def test_an_unknown_vestiging() -> None:
    report = build_koppelcheck(koppelcheck_facts("14SS03", registered=False))
    assert not report.ready
    assert report.line("registratie").code == "VESTIGING_NIET_GEREGISTREERD"
    assert report.line("mandaat_vestiging").code == "MANDAAT_DEKT_VESTIGING_NIET"
    assert report.line("routeringskenmerk").status is CheckStatus.ONBEKEND


def test_no_kenmerk_recorded_blocks() -> None:
    report = build_koppelcheck(koppelcheck_facts("14SS00", kenmerk=None))
    assert report.line("routeringskenmerk").code == "ROUTERING_NIET_INGESTELD"
    assert not report.ready


def test_osr_unreachable_without_a_cached_answer_is_unknown_and_not_ready() -> None:
    report = build_koppelcheck(koppelcheck_facts(mandate_facts=MandateFacts((), osr_reachable=False)))
    assert report.line("mandaat_kindkans").status is CheckStatus.ONBEKEND
    assert not report.ready


def test_osr_unreachable_with_a_cached_answer_warns_with_its_age() -> None:
    facts = koppelcheck_facts(
        mandate_facts=MandateFacts(
            (mandaat("ParnasSys"), mandaat("Kindkans")),
            osr_reachable=False,
            age=dt.timedelta(hours=3),
            source="cache",
        )
    )
    report = build_koppelcheck(facts)
    line = report.line("mandaat_parnassys")
    assert line.status is CheckStatus.WAARSCHUWING and "3 uur" in line.message
    assert report.ready


def test_mandates_from_an_import_are_accepted() -> None:
    facts = koppelcheck_facts(
        mandate_facts=MandateFacts((mandaat("ParnasSys"), mandaat("Kindkans")), osr_reachable=False, source="import")
    )
    report = build_koppelcheck(facts)
    assert report.ready and "import" in report.line("mandaat_kindkans").message


def test_esis_codes_and_last_exchanges_inform_without_blocking() -> None:
    at = dt.datetime(2025, 8, 30, 10, 15, tzinfo=dt.UTC)
    facts = koppelcheck_facts(
        esis=EsisCodeFacts(aangemeld=1, actief=0),
        exchanges=(
            ExchangeFact(at, "parnassys", "verwerkt"),
            ExchangeFact(at + dt.timedelta(hours=1), "parnassys", "geweigerd", "Bijlage te groot"),
        ),
    )
    report = build_koppelcheck(facts)
    assert report.ready
    assert report.line("esis_verificatiecodes").status is CheckStatus.WAARSCHUWING
    newest = report.line("uitwisseling_1")
    assert newest.status is CheckStatus.WAARSCHUWING and "Bijlage te groot" in newest.message
    assert report.line("uitwisseling_2").status is CheckStatus.OK
    active = build_koppelcheck(koppelcheck_facts(esis=EsisCodeFacts(aangemeld=2, actief=1)))
    assert active.line("esis_verificatiecodes").status is CheckStatus.OK


def test_a_malformed_brin6_gives_a_one_line_report() -> None:
    report = build_koppelcheck(dataclasses.replace(koppelcheck_facts("14SS00"), brin6="14S"))
    assert not report.ready and report.codes() == ["BRIN6_ONGELDIG"]


def test_json_and_text_carry_every_line() -> None:
    report = build_koppelcheck(koppelcheck_facts("14SS01", kenmerk="500", mandates=(mandaat("ParnasSys"),)))
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ready"] is False and data["brin6"] == "14SS01"
    assert [line["key"] for line in data["lines"]][:5] == [
        "registratie",
        "mandaat_parnassys",
        "mandaat_kindkans",
        "mandaat_vestiging",
        "routeringskenmerk",
    ]
    text = render_text(report)
    for line in report.lines:
        assert line.check in text
    assert "FOUT" in text and "Wat te doen:" in text and "Niet klaar" in text


def test_age_is_said_in_dutch() -> None:
    assert format_age(dt.timedelta(seconds=30)) == "30 seconden"
    assert format_age(dt.timedelta(minutes=5)) == "5 minuten"
    assert format_age(dt.timedelta(hours=5)) == "5 uur"
    assert format_age(dt.timedelta(days=3)) == "3 dagen"
