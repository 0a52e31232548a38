"""The OpenAPI document the service serves is checked against the running service with schemathesis
(property-based: generated valid and invalid requests, every answer checked against the document)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
import yaml
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks

from adapters.esis.plugin import OPENAPI_PATH
from gateway.app import create_app
from gateway.components import build_components
from gateway.registry import codes
from gateway.settings import load_settings
from gateway.store.seed import seed_demo_registry, seed_swv
from tests.conftest import _fresh_schema
from tests.esis.conftest import BRIN6, CODE

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


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
        runner = web.AppRunner(create_app(c, run_workers=False), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()
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


@pytest.fixture(scope="module")
def api_schema(live_gateway: _LiveGateway) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{live_gateway.url}/esis/v1/openapi.yaml")


def _operations(api_schema: schemathesis.BaseSchema) -> list[schemathesis.APIOperation]:
    return [result.ok() for result in api_schema.get_all_operations()]


# schemathesis' own pytest plugin does not run under pytest 9 yet ('Function' has no '_nodeid'), so the
# strategies it derives from the document are driven with hypothesis directly: same generation, same checks.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_service_conforms_to_its_openapi_document(api_schema: schemathesis.BaseSchema, mode: GenerationMode) -> None:
    operations = _operations(api_schema)
    assert {o.label for o in operations} >= {
        "POST /esis/v1/verificatiecodes",
        "POST /esis/v1/aanvragen",
        "GET /esis/v1/aanvragen/{aanvraag_id}",
        "POST /esis/v1/aanvragen/{aanvraag_id}/wijzigingen",
    }
    for operation in operations:
        _exercise(operation, mode)


def _exercise(operation: schemathesis.APIOperation, mode: GenerationMode) -> None:
    headers = {"X-Verificatiecode": CODE} if operation.path != "/esis/v1/verificatiecodes" else {}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


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
