"""`gateway demo --once [--json]`: the whole batch over HTTP, a complete summary in a stable shape, the story in
the terminal and the log lines in the data directory."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from gateway.demo.runner import free_port
from tests.conftest import REPO

pytestmark = pytest.mark.slow

SCHEMA = json.loads((REPO / "schemas" / "demo" / "summary.schema.json").read_text(encoding="utf-8"))


def _demo(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", "demo", *args],
        cwd=REPO,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def json_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], int, subprocess.CompletedProcess[str]]:
    port = free_port()
    data = tmp_path_factory.mktemp("demo-json") / "d"
    proc = _demo("--once", "--json", "--data-dir", str(data), env={"GATEWAY_PORT": str(port)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout), port, proc


def test_demo_once_json_exits_0_and_reports_hulpvragen_and_refusals(json_run) -> None:
    summary, _port, _proc = json_run
    assert summary["counts"].get("verwerkt", 0) >= 1
    assert len(summary["hulpvragen"]) >= 1
    assert not {"ontvangen", "in_behandeling"} & set(summary["counts"]), "the batch must settle"
    for item in summary["exchanges"]:
        if item["state"] == "geweigerd":
            assert item["reasons"] and all(r["code"] and r["message"] for r in item["reasons"])


def test_demo_json_matches_its_schema(json_run) -> None:
    summary, _port, _proc = json_run
    errors = [error.message for error in jsonschema_rs.validator_for(SCHEMA).iter_errors(summary)]
    assert errors == []


@pytest.mark.parametrize(
    "break_it",
    [
        lambda d: d.pop("door_refusals"),
        lambda d: d["exchanges"][0].pop("aanvraagtype"),
        lambda d: d["door_refusals"][0].update(status="422"),
        lambda d: d["exchanges"][0].update(state="klaar"),
        lambda d: d.update(extra=1),
    ],
    ids=["no-door-refusals", "exchange-without-aanvraagtype", "status-as-text", "unknown-state", "unknown-field"],
)
def test_the_schema_refuses_a_summary_of_another_shape(json_run, break_it) -> None:
    summary = copy.deepcopy(json_run[0])
    break_it(summary)
    assert not jsonschema_rs.is_valid(SCHEMA, summary)


def test_demo_json_lists_the_requests_refused_at_the_door_with_status_and_code(json_run) -> None:
    summary, _port, _proc = json_run
    door = {(r["status"], r["code"]) for r in summary["door_refusals"]}
    assert door == {
        (422, "ESIS_AANVRAAGTYPE_ONBEKEND"),
        (403, "ESIS_VESTIGING_HOORT_NIET_BIJ_CODE"),
        (422, "ESIS_SWV_ONBEKEND"),
        (415, "ESIS_DOCUMENT_TYPE_NIET_TOEGESTAAN"),
        (401, "ESIS_VERIFICATIECODE_ONBEKEND"),
    }
    assert all(r["message"] for r in summary["door_refusals"])
    assert len(summary["requests"]) == 18
    oso = summary["simulators"]["parnassys"]
    assert oso["terugkoppelingen"] >= 1 and oso["afmeldingen"].get("OverdrachtGeslaagd", 0) >= 1


def test_demo_json_gives_the_aanvraagtype_of_every_exchange_that_has_one(json_run) -> None:
    summary, _port, _proc = json_run
    types = {h["id"]: h["aanvraagtype"] for h in summary["hulpvragen"]}
    for item in summary["exchanges"]:
        if item["hulpvraag_id"] is not None:
            assert item["aanvraagtype"] == types[item["hulpvraag_id"]] is not None
        if item["source"] == "esis":
            assert item["aanvraagtype"]
    assert {"Aanvraag TLV", "Aanvraag Kans!overleg"} <= {i["aanvraagtype"] for i in summary["exchanges"]}


def test_demo_json_gives_the_aanvraagtype_of_parnassys_exchanges_refused_after_the_dossier_was_read(json_run) -> None:
    summary, _port, _proc = json_run
    refused = {
        r["code"]: item["aanvraagtype"]
        for item in summary["exchanges"]
        if item["source"] == "parnassys" and item["state"] == "geweigerd"
        for r in item["reasons"]
    }
    assert refused["PaO.LL12"] == "Ondersteuningsaanvraag schoolgaand kind"  # the dossier with a BSN
    assert refused["OPP_ONTBREEKT"] == "Aanvraag TLV"  # the TLV without an OPP (refused by the core's rule)
    assert refused["ROUTERING_VESTIGING_WIJKT_AF"]  # a dossier of another vestiging
    assert refused["MANDAAT_ONTBREEKT"] is None  # refused before the dossier was asked for: not known


def test_demo_honours_gateway_port_and_keeps_the_logs_out_of_the_output(json_run) -> None:
    summary, port, proc = json_run
    assert summary["gateway"].endswith(f":{port}")
    assert summary["running"] is False
    log = Path(summary["log_file"])
    assert log.parent == Path(summary["data_dir"]) and log.is_file()
    assert "exchange_geweigerd" in log.read_text(encoding="utf-8")
    assert proc.stderr.strip() == ""
    assert Path(summary["ca_file"]).read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")


def test_demo_once_in_text_says_it_stopped_and_never_that_it_serves(tmp_path: Path) -> None:
    proc = _demo("--once", "--verbose", "--port", "0", "--data-dir", str(tmp_path / "d"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "draait" not in out
    assert "weer gestopt (--once)" in out.splitlines()[-1]
    assert "curl --" not in out and "https://" not in out  # nothing to try or open: nothing listens any more
    assert f"Logboek van de gateway: {tmp_path / 'd' / 'gateway.log'}" in out
    assert "[info" not in out and "[warning" not in out
    assert "exchange_geweigerd" in proc.stderr  # --verbose: the log lines in the terminal too (stderr)
    assert "GEWEIGERD" in out and "401 ESIS_VERIFICATIECODE_ONBEKEND" in out
    # what the story says was kept of a door refusal is what the queue holds: a reason for a known sender only
    assert "401  onbekende verificatiecode (niets opgeslagen)" in out
    assert "415  afbeelding met .pdf-naam (in de wachtrij)" in out


def test_demo_accounts_keep_their_totp_secret_across_runs_on_the_same_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "d"

    def secrets() -> list[str | None]:
        from gateway.components import build_components
        from gateway.settings import load_settings
        from gateway.web.auth.accounts import totp_secret_of

        async def read() -> list[str | None]:
            c = build_components(load_settings(environ={}, data_dir=data))
            try:
                return [
                    await totp_secret_of(c.db, org, user)
                    for org, user in (("PO3008", "secretariaat"), ("PO3008", "monitoring"), ("27ZX", "beheerder"))
                ]
            finally:
                await c.close()

        return asyncio.run(read())

    assert _demo("--once", "--json", "--port", "0", "--data-dir", str(data)).returncode == 0
    first = secrets()
    assert all(first)
    assert _demo("--once", "--json", "--port", "0", "--data-dir", str(data)).returncode == 0
    assert secrets() == first  # (without the key: new secrets — tests/web/test_users_cli.py)
    assert (data / "demo-accounts.key").stat().st_mode & 0o077 == 0
