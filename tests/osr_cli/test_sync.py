"""`gateway osr sync` against the OSR simulator: fills the mandaat table for every registered school, shows a
progress bar on stderr, keeps what it could not refresh, and the koppelcheck then reads the result."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import col

from adapters.osr.simulator import OsrSimulator
from gateway.components import Components
from gateway.store.models import AuditEntry, Mandaat
from tests.registry.factories import run_cli, store_mandates


async def _stored(c: Components) -> dict[str, set[tuple[str, str]]]:
    async with c.db.reader() as s:
        rows = list((await s.exec(select(Mandaat))).scalars())  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    out: dict[str, set[tuple[str, str]]] = {}
    for r in rows:
        out.setdefault(r.brin4, set()).add((r.systeem, r.bron))
    return out


async def test_sync_fills_the_mandaat_table_for_all_registered_schools(
    components: Components, osr_cli: list[str], simulator: OsrSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_cli(*osr_cli, "osr", "sync") == 0
    captured = capsys.readouterr()
    assert await _stored(components) == {
        "14SS": {("ParnasSys", "osr"), ("Kindkans", "osr")},
        "21KL": {("ParnasSys", "osr")},
        "30TV": {("ParnasSys", "osr")},  # the Kindkans mandate ended in 2024: the OSR says 404 today
    }
    assert "[" in captured.err and "5/5" in captured.err  # the progress bar, on stderr
    assert "5 school/scholen gevraagd: 1 met beide OSO-SWV-mandaten, 4 met een ontbrekend mandaat" in captured.out
    assert "21KL: geen geldig mandaat voor Kindkans" in captured.out
    assert simulator.count("/mandates") == 10  # two systems for each of the five schools
    async with components.db.reader() as s:
        synced = {
            a.object_id
            for a in (
                await s.exec(select(AuditEntry).where(col(AuditEntry.action) == "osr_mandaten_opgehaald"))  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
            ).scalars()
        }
    assert synced == {"14SS", "21KL", "27ZX", "30TV", "09QA"}  # "asked, none" is remembered too
    assert await run_cli(*osr_cli, "koppelcheck", "14SS00") == 0
    assert await run_cli(*osr_cli, "koppelcheck", "21KL00") == 1
    assert await run_cli(*osr_cli, "koppelcheck", "27ZX00") == 1  # an ESIS school has no OSO-SWV mandates


async def test_a_second_sync_replaces_what_was_stored(
    components: Components, osr_cli: list[str], simulator: OsrSimulator
) -> None:
    await store_mandates(components, "21KL", ("ParnasSys", "Kindkans"), bron="csv")
    assert await run_cli(*osr_cli, "osr", "sync", "--brin4", "21kl") == 0
    assert await _stored(components) == {"21KL": {("ParnasSys", "osr")}}


async def test_an_outage_keeps_the_stored_mandates_and_exits_1(
    components: Components, osr_cli: list[str], simulator: OsrSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    await store_mandates(components, "14SS", ("ParnasSys", "Kindkans"))
    simulator.outage("503")
    assert await run_cli(*osr_cli, "osr", "sync", "--brin4", "14SS") == 1
    out = capsys.readouterr().out
    assert "1 niet opgehaald" in out and "de opgeslagen mandaten blijven staan" in out
    assert await _stored(components) == {"14SS": {("ParnasSys", "osr"), ("Kindkans", "osr")}}


async def test_sync_refuses_an_unregistered_school_and_a_bad_date(
    components: Components, osr_cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_cli(*osr_cli, "osr", "sync", "--brin4", "99ZZ") == 2
    assert "niet geregistreerd bij het SWV: 99ZZ" in capsys.readouterr().err
    assert await run_cli(*osr_cli, "osr", "sync", "--datum", "1-9-2025") == 2
    assert "JJJJ-MM-DD" in capsys.readouterr().err


async def test_sync_without_tls_to_a_remote_osr_is_a_config_error(
    components: Components, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.registry.factories import config_file

    cli = ["--config", str(config_file(components, tmp_path, {"base_url": "http://osr.example.nl/api"}))]
    assert await run_cli(*cli, "osr", "sync") == 2
    err = capsys.readouterr().err
    assert "https" in err and "Traceback" not in err
