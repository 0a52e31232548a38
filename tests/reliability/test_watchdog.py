"""A gateway process that dies by itself fails a reliability run at once, with its exit code and the end of
its log — instead of the run waiting for pytest's timeout (tests/support/watchdog.py)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from adapters.parnassys.simulator.test_pki import ThrowAwayCA
from tests.reliability.harness import GatewayProcess, first_death, free_port
from tests.support.watchdog import ProcessDied, log_tail, watching


def _gateway(tmp_path: Path, config_text: str) -> GatewayProcess:
    config = tmp_path / "gateway.toml"
    config.write_text(config_text, encoding="utf-8")
    ca = ThrowAwayCA().write_trust_store(tmp_path / "ca.pem")
    return GatewayProcess(config, free_port(), ca, tmp_path / "gateway.log")


async def test_a_gateway_that_dies_by_itself_fails_the_wait_at_once_with_its_exit_code_and_log(
    tmp_path: Path,
) -> None:
    gw = _gateway(tmp_path, 'workers = "veel"\n')  # a setting it refuses: the process exits at start-up
    gw.spawn()
    started = time.monotonic()
    try:
        with pytest.raises(ProcessDied) as died:
            async with watching(lambda: first_death([gw]), every=0.1):
                await asyncio.sleep(120)  # what a run waits for that a dead gateway never does
    finally:
        gw.stop()
    assert time.monotonic() - started < 60
    message = str(died.value)
    assert f"exited by itself with {gw.proc.returncode}" in message and gw.proc.returncode != 0  # type: ignore[union-attr]  # the fixture started the process: proc is set
    assert "workers" in message, message  # the tail of its log says why


async def test_waiting_for_a_gateway_to_start_reports_how_it_ended(tmp_path: Path) -> None:
    gw = _gateway(tmp_path, 'workers = "veel"\n')
    try:
        with pytest.raises(ProcessDied, match="workers"):
            await gw.start(within=60)
    finally:
        gw.stop()


async def test_a_gateway_killed_by_the_test_is_not_a_death(tmp_path: Path) -> None:
    gw = _gateway(tmp_path, 'workers = "veel"\n')
    gw.spawn()
    gw.kill()  # whatever its state: the test took it down on purpose
    gw.proc.wait()  # type: ignore[union-attr]  # the fixture started the process: proc is set
    async with watching(lambda: first_death([gw]), every=0.05):
        await asyncio.sleep(0.3)
    gw.stop()


async def test_the_body_runs_undisturbed_while_nothing_dies() -> None:
    async with watching(lambda: None, every=0.01):
        await asyncio.sleep(0.1)
        result = 42
    assert result == 42


def test_the_log_tail_starts_at_a_line(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("".join(f"regel {n}\n" for n in range(2000)), encoding="utf-8")
    tail = log_tail(log, limit=100)
    assert tail.startswith("regel ") and tail.endswith("regel 1999\n") and len(tail) <= 100
