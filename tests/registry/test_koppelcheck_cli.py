"""`gateway koppelcheck BRIN6 [--json] [--live]` through the CLI main over a temporary SQLite store: the report
and the exit code (0 ready, 1 blocked, 2 bad input) for the cases the issue names, and more."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col

from adapters.osr.simulator import OsrSimulator, running
from gateway.components import Components
from gateway.registry.koppelcheck import koppelcheck
from gateway.store.models import AuditEntry, Mandaat, Vestiging
from tests.registry.factories import TODAY, config_file, run_cli, store_mandates
from tests.support.fakes import new_exchange
from verification.findings import fout

BOTH = ("ParnasSys", "Kindkans")


async def _report(cli: list[str], brin6: str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, Any]:
    code = await run_cli(*cli, "koppelcheck", brin6, "--json", *extra)
    return code, json.loads(capsys.readouterr().out)


def _lines(report: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {line["key"]: (line["status"], line["code"]) for line in report["lines"]}


async def _kenmerk(c: Components, brin6: str, value: str) -> None:
    """Registry data from before the rules (e.g. taken over from Kindkans): written straight to the table."""
    async with c.db.session() as s:
        await s.exec(update(Vestiging).where(col(Vestiging.brin6) == brin6).values(routeringskenmerk=value))


CASES = [
    # (name, brin6, mandates per school, exit code, expected (status, code) per line key)
    (
        "ready school",
        "14SS00",
        {"14SS": BOTH},
        0,
        {
            "registratie": ("ok", None),
            "mandaat_parnassys": ("ok", None),
            "mandaat_kindkans": ("ok", None),
            "routeringskenmerk": ("ok", None),
        },
    ),
    (
        "missing the Kindkans mandate",
        "21KL00",
        {"21KL": ("ParnasSys",)},
        1,
        {"mandaat_parnassys": ("ok", None), "mandaat_kindkans": ("fout", "MANDAAT_ONTBREEKT")},
    ),
    (
        "nevenvestiging with 500 instead of 501",
        "14SS01",
        {"14SS": BOTH},
        1,
        {
            "registratie": ("ok", None),
            "mandaat_vestiging": ("ok", None),
            "routeringskenmerk": ("fout", "ROUTERING_VESTIGING_WIJKT_AF"),
        },
    ),
    (
        "unknown vestiging",
        "99ZZ00",
        {},
        1,
        {"registratie": ("fout", "VESTIGING_NIET_GEREGISTREERD"), "routeringskenmerk": ("onbekend", None)},
    ),
    (
        "mandates never fetched",
        "30TV00",
        {},
        1,
        {"mandaat_parnassys": ("onbekend", "MANDATEN_NIET_OPGEHAALD"), "registratie": ("ok", None)},
    ),
]


@pytest.mark.parametrize(("name", "brin6", "mandates", "exit_code", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_koppelcheck_report_and_exit_code(
    components: Components,
    cli: list[str],
    capsys: pytest.CaptureFixture[str],
    name: str,
    brin6: str,
    mandates: dict[str, tuple[str, ...]],
    exit_code: int,
    expected: dict[str, tuple[str, str | None]],
) -> None:
    for brin4, systems in mandates.items():
        await store_mandates(components, brin4, systems)
    if name.startswith("nevenvestiging"):
        await _kenmerk(components, "14SS01", "500")
    code, report = await _report(cli, brin6, capsys)
    assert code == exit_code
    assert report["ready"] is (exit_code == 0)
    assert report["brin6"] == brin6 and report["reference_date"] == TODAY.isoformat()
    lines = _lines(report)
    for key, want in expected.items():
        assert lines[key] == want, key


async def test_the_text_report_says_what_to_do(
    components: Components, cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    await store_mandates(components, "14SS", BOTH)
    await _kenmerk(components, "14SS01", "500")
    assert await run_cli(*cli, "koppelcheck", "14ss01") == 1
    out = capsys.readouterr().out
    assert "Koppelcheck 14SS01 — De Regenboog dependance Brandevoort" in out
    assert "Scholenkring: Helmond" in out
    assert "Wat te doen:" in out and "501" in out and "Niet klaar" in out
    await store_mandates(components, "21KL", ("ParnasSys",))
    assert await run_cli(*cli, "koppelcheck", "21KL00") == 1
    out = capsys.readouterr().out
    assert "Kindkans" in out and "bestuur" in out and "Opgehaald uit het OSR op" in out


@pytest.mark.parametrize("bad", ["14SS", "14SS0A", "x" * 80])
async def test_bad_input_exits_2_with_a_dutch_message(
    components: Components, cli: list[str], capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    assert await run_cli(*cli, "koppelcheck", bad) == 2
    captured = capsys.readouterr()
    assert "geen geldige BRIN6-code" in captured.err and "Traceback" not in captured.err and not captured.out


async def test_old_stored_mandates_warn_but_do_not_block(
    components: Components, cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    await store_mandates(components, "14SS", BOTH)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    async with components.db.session() as s:
        await s.exec(update(Mandaat).values(opgehaald_op=long_ago))
        await s.exec(update(AuditEntry).where(col(AuditEntry.object_id) == "14SS").values(at=long_ago))
    code, report = await _report(cli, "14SS00", capsys)
    assert code == 0
    assert _lines(report)["mandaat_kindkans"] == ("waarschuwing", "MANDATEN_VEROUDERD")
    assert "10 dagen geleden" in report["lines"][2]["message"]


async def test_imported_mandates_say_so(
    components: Components, cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    await store_mandates(components, "14SS", BOTH, bron="csv")
    code, report = await _report(cli, "14SS00", capsys)
    assert code == 0
    assert "Geïmporteerd op" in report["lines"][1]["message"]


async def test_the_last_exchanges_show_their_outcome_and_reason(
    components: Components, cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    await store_mandates(components, "14SS", BOTH)
    for n in range(7):
        await components.inbox.record_refusal(
            new_exchange(f"k{n}", brin6="14SS00"), [fout("PaO.LL12", f"Reden nummer {n}.")]
        )
    await components.inbox.put(new_exchange("other", brin6="21KL00"))
    code, report = await _report(cli, "14SS00", capsys)
    assert code == 0  # refused exchanges inform, they do not block the link
    exchanges = [line for line in report["lines"] if line["key"].startswith("uitwisseling")]
    assert len(exchanges) == 5
    assert all("geweigerd" in line["message"] and "Reden nummer" in line["message"] for line in exchanges)
    assert all(line["action"] for line in exchanges)


async def test_the_web_pages_call_gets_the_same_report(components: Components) -> None:
    await store_mandates(components, "14SS", BOTH)
    report = await koppelcheck(components, "14ss00")
    assert report.ready and report.naam == "De Regenboog" and report.scholenkring == "Helmond"
    esis = await koppelcheck(components, "27ZX00")  # an ESIS school without a code: judged on its codes
    assert esis.line("esis_verificatiecodes").status.value == "fout" and not esis.ready
    assert esis.line("esis_verificatiecodes").code == "ESIS_GEEN_CODE"
    assert {line.key for line in esis.lines}.isdisjoint({"mandaat_parnassys", "routeringskenmerk"})


def _simulator() -> OsrSimulator:
    seed = json.loads((Path(__file__).resolve().parents[2] / "adapters" / "osr" / "demo_seed.json").read_text())
    return OsrSimulator.from_seed(seed)


async def test_live_asks_the_osr_instead_of_the_store(
    components: Components, tmp_path: Path, no_migration: None, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = _simulator()
    async with running(sim) as url:
        cli = ["--config", str(config_file(components, tmp_path, {"base_url": url, "max_attempts": 1}))]
        code, report = await _report(cli, "14SS00", capsys, "--live")
        assert code == 0 and _lines(report)["mandaat_kindkans"] == ("ok", None)
        code, report = await _report(cli, "21KL00", capsys, "--live")
        assert code == 1 and _lines(report)["mandaat_kindkans"] == ("fout", "MANDAAT_ONTBREEKT")
        sim.outage("503")
        code, report = await _report(cli, "14SS00", capsys, "--live")
        assert code == 1 and _lines(report)["mandaat_parnassys"] == ("onbekend", "OSR_ONBEREIKBAAR")
    assert sim.count("/mandates") >= 4
