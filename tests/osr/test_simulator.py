"""The OSR simulator as a process and over its control API (it is a test double, and says so)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from adapters.osr.client import OsrClient
from adapters.osr.simulator import OsrSimulator, main, running
from tests.osr.conftest import RecordingSleep, fast_config
from tests.osr.factories import PARTIES, READY, TODAY, mandate_json, seed
from verification.identifiers import school_oin

REPO = Path(__file__).resolve().parents[2]


async def test_the_control_api_scripts_behaviour_and_adds_mandates(simulator: OsrSimulator) -> None:
    async with running(simulator) as url, aiohttp.ClientSession() as http:
        async with http.post(f"{url}/_simulator/script", json={"path": "/services", "actions": ["503"]}) as r:
            assert r.status == 200
        async with http.get(f"{url}/services") as r:
            assert r.status == 503
        async with http.get(f"{url}/services") as r:
            assert r.status == 200 and r.headers["X-OSR-Simulator"] == "test double"
        async with http.post(f"{url}/_simulator/mandates", json=mandate_json("25BE", "Kindkans")) as r:
            assert r.status == 201
        async with http.post(f"{url}/_simulator/mandates", json={"school": "nope"}) as r:
            assert r.status == 400
        async with http.post(f"{url}/_simulator/outage", json={"mode": "503"}) as r:
            assert r.status == 200
        async with http.get(f"{url}/service-versions") as r:
            assert r.status == 503
        async with http.post(f"{url}/_simulator/outage", json={"mode": None}) as r:
            assert (await r.json())["mode"] is None
        async with http.post(f"{url}/_simulator/script", json={"actions": ["teapot"]}) as r:
            assert r.status == 400
        async with http.get(f"{url}/_simulator/requests") as r:
            assert [q["path"] for q in await r.json()] == ["/services", "/services", "/service-versions"]
    assert len(simulator.mandates) == 4


async def test_mandates_outside_their_dates_are_404(simulator: OsrSimulator, sleep: RecordingSleep) -> None:
    simulator.add_mandate(mandate_json("30AB", "Kindkans", start_date="2030-01-01"))
    async with running(simulator) as url, OsrClient(fast_config(url), sleep=sleep) as osr:
        answer = await osr.mandate(
            school_oin=school_oin("30AB"),
            supplier_oin=PARTIES.kindkans.supplier_oin,
            service_version_namespace=PARTIES.service_namespace,
            reference_date=TODAY,
        )
    assert not answer.found


def test_unknown_actions_and_outage_modes_are_refused() -> None:
    simulator = OsrSimulator()
    with pytest.raises(ValueError):
        simulator.script("/mandates", "418")
    with pytest.raises(ValueError):
        simulator.outage("flaky")


def test_a_bad_seed_file_is_a_dutch_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "seed.json"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["--seed", str(bad), "--port", "0"]) == 2
    assert "Kan het seed-bestand" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_python_m_entry_point_serves_the_seed(tmp_path: Path, sleep: RecordingSleep) -> None:
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps(seed()), encoding="utf-8")
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "adapters.osr.simulator", "--port", str(port), "--seed", str(seed_file)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(f"{url}/services"):
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
        async with OsrClient(fast_config(url), sleep=sleep) as osr:
            answer = await osr.mandate(
                school_oin=school_oin(READY),
                supplier_oin=PARTIES.parnassys.supplier_oin,
                service_version_namespace=PARTIES.service_namespace,
                reference_date=TODAY,
            )
        assert answer.found
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=10)


async def test_the_demo_seed_gives_one_ready_one_missing_and_one_expired_school(sleep: RecordingSleep) -> None:
    from adapters.osr.cache import MandateCache
    from adapters.osr.lookup import MandateLookup
    from adapters.osr.simulator import load_seed
    from verification.routering import Vestiging

    simulator = load_seed(REPO / "adapters" / "osr" / "demo_seed.json")
    async with running(simulator) as url, OsrClient(fast_config(url), sleep=sleep) as osr:
        lookup = MandateLookup(osr, parties=PARTIES, cache=MandateCache(dt.timedelta(hours=1)))
        codes = {}
        for brin4 in ("14SS", "21KL", "30TV"):
            verdict, _ = await lookup.verdict_for(f"{brin4}00", TODAY, [Vestiging(f"{brin4}00", "500")])
            codes[brin4] = verdict.codes()
    assert codes == {"14SS": [], "21KL": ["MANDAAT_ONTBREEKT"], "30TV": ["MANDAAT_ONTBREEKT"]}
