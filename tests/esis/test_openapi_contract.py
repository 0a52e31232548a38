"""The OpenAPI document the service serves agrees with the service: schemathesis, as an integrator runs it
(``schemathesis run --checks all``, every phase, generated valid and invalid requests), finds nothing.

Schema-valid requests may be refused only by rules the document cannot state (the SWV code, the aanvraagtype
catalogue, registered vestigingen, a document's bytes); the hook in `tests/esis/schemathesis_hooks.py`
checks each such refusal's code, the settings are in `tests/esis/schemathesis.toml`. Bounded: at most
``MAX_EXAMPLES`` per operation and phase, well under two minutes on the reference machine.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from adapters.esis.plugin import OPENAPI_PATH
from adapters.esis.simulator import Document, EsisSimulator, aanvraag, pdf_document
from gateway.app import create_app
from gateway.components import build_components
from gateway.registry import codes
from gateway.settings import load_settings
from gateway.store.seed import seed_demo_registry, seed_swv
from tests.conftest import _fresh_schema
from tests.esis.conftest import BRIN6, CODE
from tests.support.served import served

REPO = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
EXISTING_AANVRAAG = "ESIS-CONTRACT-1"  # created before the run; tests/esis/schemathesis.toml names it
MAX_EXAMPLES = 20
SEED = 20261204


class _LiveGateway:
    """The real app on a loopback port, in its own thread and event loop (schemathesis calls are blocking)."""

    def __init__(self, data_dir: Path) -> None:
        self.settings = load_settings(environ={}, data_dir=data_dir, sections={"esis": {"delay_step_seconds": 0.0}})
        self.url = ""
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._main(),), daemon=True)

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        c = build_components(self.settings)
        await _fresh_schema(c.db)
        await seed_demo_registry(c.db, await seed_swv(c.db))
        view = await codes.register(c.db, BRIN6, "esis-eenbes", CODE, "test")
        await codes.activate(c.db, view.id, "test")
        async with served(create_app(c, run_workers=False)) as port:
            self.url = f"http://127.0.0.1:{port}"
            opp = Document("OPP.pdf", pdf_document(), soort="opp")
            async with EsisSimulator(self.url, CODE) as esis:  # an aanvraag to read and change
                created = await esis.create(aanvraag(BRIN6, aanvraag_id=EXISTING_AANVRAAG, documenten=[opp]), [opp])
            assert created.status == 202, created.body
            self._ready.set()
            await self._stop.wait()
        await c.close()

    def __enter__(self) -> _LiveGateway:
        self._thread.start()
        assert self._ready.wait(30), "gateway did not start"
        return self

    def __exit__(self, *_: object) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


@pytest.fixture(scope="module")
def live_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_LiveGateway]:
    with _LiveGateway(tmp_path_factory.mktemp("esis-contract") / "data") as gw:
        yield gw


def test_schemathesis_with_all_checks_finds_nothing(live_gateway: _LiveGateway, tmp_path: Path) -> None:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--no-color",
        "--config-file",
        str(CONFIG),
        "run",
        f"{live_gateway.url}/esis/v1/openapi.yaml",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--header",
        f"X-Verificatiecode: {CODE}",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # the hook module
    # cwd: schemathesis keeps a cache (.schemathesis/) in the working directory, never in the repository
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env, check=False)
    report = result.stdout[result.stdout.find("FAILURES") :] if "FAILURES" in result.stdout else result.stdout
    assert result.returncode == 0, report[-6000:] + result.stderr[-2000:]
    assert "4 selected / 4 total" in result.stdout and " passed" in result.stdout
    assert "Missing test data" not in result.stdout  # the status and wijziging operations were reached


def test_served_document_is_the_one_in_the_repository(live_gateway: _LiveGateway) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{live_gateway.url}/esis/v1/openapi.yaml") as r:  # loopback only
        served = r.read()
    assert served == OPENAPI_PATH.read_bytes()
    doc = yaml.safe_load(served)
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {
        "/esis/v1/openapi.yaml",
        "/esis/v1/verificatiecodes",
        "/esis/v1/aanvragen",
        "/esis/v1/aanvragen/{aanvraag_id}",
        "/esis/v1/aanvragen/{aanvraag_id}/wijzigingen",
    }
