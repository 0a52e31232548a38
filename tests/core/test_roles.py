"""Process roles: ``intake`` answers and never processes, ``worker`` processes and only answers health and
metrics, ``all`` does both (docs/deploy.md, "Roles")."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import subprocess
import sys
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from sqlmodel import col

from gateway.app import create_app
from gateway.components import Components
from gateway.errors import ConfigError
from gateway.settings import Settings, load_settings
from gateway.store.models import Exchange, ExchangeState
from tests.conftest import unique
from tests.support.fakes import ScriptedHandler, new_exchange


def _as(c: Components, role: str) -> Components:
    return dataclasses.replace(c, settings=c.settings.replace(role=role))


async def _state(c: Components, key: str) -> str:
    async with c.db.reader() as s:
        row = (await s.exec(select(Exchange).where(col(Exchange.key) == key))).scalars().one()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
    return str(row.state)


async def test_an_intake_process_leaves_the_inbox_to_the_workers_and_a_worker_process_processes_it(
    components: Components,
) -> None:
    key = unique("role-")
    intake = _as(components, "intake")
    app = create_app(intake)
    components.handlers["test_aanvraag"] = ScriptedHandler(components.blobs)
    async with TestClient(TestServer(app)) as client:
        await components.inbox.put(new_exchange(key))
        assert (await client.get("/health/live")).status == 200
        await asyncio.sleep(10 * components.settings.poll_interval)  # several polls' worth: nobody claims
        assert await _state(components, key) == ExchangeState.ONTVANGEN

    worker = _as(components, "worker")
    app = create_app(worker)
    components.handlers["test_aanvraag"] = ScriptedHandler(components.blobs)  # the plug-ins registered theirs
    async with TestClient(TestServer(app)):
        for _ in range(200):
            if await _state(components, key) == ExchangeState.VERWERKT:
                break
            await asyncio.sleep(0.05)
    assert await _state(components, key) == ExchangeState.VERWERKT


@pytest.mark.parametrize("path", ["/oso/swv", "/api/esis/v1/aanvragen", "/", "/inloggen"])
async def test_a_worker_process_answers_nothing_but_health_and_metrics(components: Components, path: str) -> None:
    app = create_app(_as(components, "worker"), run_workers=False)
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/health/live")).status == 200
        assert (await client.get("/health/ready")).status == 200
        assert (await client.get("/metrics")).status == 200
        resp = await client.post(path, data=b"<x/>")
        body = await resp.json()
    assert resp.status == 404
    assert body["code"] == "PROCES_ALLEEN_VERWERKING"
    assert "rol 'intake'" in body["message"]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("role", "ontvanger", "Ongeldige instelling 'role'"),
        ("worker_niceness", 20, "Ongeldige instelling 'worker_niceness'"),
        ("worker_niceness", -1, "Ongeldige instelling 'worker_niceness'"),
    ],
)
def test_a_wrong_role_or_niceness_is_a_dutch_settings_error(
    settings: Settings, name: str, value: Any, expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_settings(environ={}, data_dir=settings.data_dir, **{name: value})


def test_the_role_comes_from_the_environment(settings: Settings) -> None:
    loaded = load_settings(
        environ={"GATEWAY_ROLE": "worker", "GATEWAY_WORKER_NICENESS": "5"}, data_dir=settings.data_dir
    )
    assert (loaded.role, loaded.worker_niceness, loaded.runs_workers, loaded.serves_endpoints) == (
        "worker",
        5,
        True,
        False,
    )


def test_a_worker_process_lowers_its_own_cpu_priority_and_the_others_do_not(settings: Settings) -> None:
    probe = (
        "import os, sys\n"
        "from gateway.cli.serve import lower_priority\n"
        "from gateway.settings import load_settings\n"
        "lower_priority(load_settings(environ={}, role=sys.argv[1], worker_niceness=7))\n"
        "print(os.getpriority(os.PRIO_PROCESS, 0))\n"
    )
    seen = {}
    for role in ("worker", "intake", "all"):
        out = subprocess.run(
            [sys.executable, "-c", probe, role],
            capture_output=True,
            text=True,
            check=True,
            cwd=settings.data_dir.parent,
        )
        seen[role] = int(out.stdout.strip()) - os.getpriority(os.PRIO_PROCESS, 0)
    assert seen == {"worker": 7, "intake": 0, "all": 0}


@pytest.mark.parametrize(("role", "runs"), [("worker", True), ("all", True), ("intake", False)])
async def test_an_adapters_periodic_job_runs_in_a_processing_process_until_it_stops(
    components: Components, role: str, runs: bool
) -> None:
    c = _as(components, role)
    started, stopped = asyncio.Event(), asyncio.Event()

    async def job(stop: asyncio.Event) -> None:
        started.set()
        try:
            await stop.wait()
        finally:  # stopped or cancelled with the workers
            stopped.set()

    c.background.append(job)
    async with TestClient(TestServer(create_app(c))):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(started.wait(), 2.0)
        assert started.is_set() is runs
    assert stopped.is_set() is runs  # stopped with the workers
