"""/metrics: the queue, outcomes, latency and outbound failures in the Prometheus text format."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from gateway.components import Components
from gateway.errors import ConfigError
from gateway.inbox.worker import ExchangeWorkers
from gateway.settings import load_settings
from gateway.store.db import Database
from gateway.store.models import OutboxMessage
from gateway.web import metrics
from gateway.web.metrics import collect, metrics_settings
from tests.conftest import unique
from tests.support.fakes import ScriptedHandler, new_exchange
from verification.findings import fout

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_]+="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+]+|\+Inf)$')


def parse(text: str) -> dict[str, float]:
    """Every sample by its full name with labels; fails on any line that is not valid exposition."""
    typed: set[str] = set()
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("# HELP "):
            continue
        m = _SAMPLE.match(line)
        assert m, f"not exposition format: {line!r}"
        family = re.sub(r"_(bucket|sum|count)$", "", m.group(1))
        assert family in typed or m.group(1) in typed, f"sample before its TYPE: {line!r}"
        samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return samples


async def _populate(c: Components) -> None:
    handler = ScriptedHandler(c.blobs)
    workers = ExchangeWorkers(c.db, c.inbox, {"test_aanvraag": handler}, retry=c.retry, max_attempts=5)
    await c.inbox.put(new_exchange(unique("ok-")))
    await c.inbox.put(new_exchange(unique("ok-")))
    await c.inbox.put(new_exchange(unique("nee-"), script="refuse"))
    await c.inbox.put(new_exchange(unique("later-"), script="transient"))
    await c.inbox.put(new_exchange(unique("hold-"), script="hold"))
    await c.inbox.record_refusal(new_exchange(unique("intake-")), [fout("TEST", "Geweigerd bij ontvangst.")])
    await workers.drain()
    async with c.db.session() as s:
        s.add(OutboxMessage(key=unique("o-"), kind="oso_afmelding", state="mislukt", attempts=25))
        s.add(OutboxMessage(key=unique("o-"), kind="oso_afmelding", state="wachtend", attempts=3))
        s.add(OutboxMessage(key=unique("o-"), kind="oso_terugkoppeling", state="wachtend", attempts=0))
        s.add(OutboxMessage(key=unique("o-"), kind="oso_terugkoppeling", state="verzonden", attempts=1))


async def test_the_metrics_show_outcomes_queue_latency_and_outbound_failures(any_components: Components) -> None:
    c = any_components
    await _populate(c)
    m = parse(await collect(c.db))
    assert m["gateway_database_up"] == 1
    assert m['gateway_exchanges{state="verwerkt"}'] == 2
    assert m['gateway_exchanges{state="geweigerd"}'] == 2
    assert m['gateway_exchanges{state="wacht_op_herhaling"}'] == 1
    assert m['gateway_exchanges{state="vastgehouden"}'] == 1
    assert m['gateway_exchanges{state="ontvangen"}'] == 0
    assert m['gateway_exchange_queue{state="wacht_op_herhaling",waiting_for="las"}'] == 1
    assert m['gateway_exchange_queue{state="vastgehouden",waiting_for="secretariaat"}'] == 1
    assert m['gateway_exchange_oldest_age_seconds{state="wacht_op_herhaling"}'] >= 0
    assert m['gateway_exchange_oldest_age_seconds{state="ontvangen"}'] == 0
    assert m['gateway_exchange_latency_seconds_count{outcome="verwerkt"}'] == 2
    assert m['gateway_exchange_latency_seconds_count{outcome="geweigerd"}'] == 2
    assert m['gateway_exchange_latency_seconds_bucket{outcome="verwerkt",le="+Inf"}'] == 2
    assert m['gateway_outbox_messages{kind="oso_afmelding",state="mislukt"}'] == 1
    assert m['gateway_outbox_retrying{kind="oso_afmelding"}'] == 1
    assert m['gateway_outbox_retrying{kind="oso_terugkoppeling"}'] == 0
    assert m['gateway_outbox_attempts{kind="oso_afmelding",state="mislukt"}'] == 25
    assert not any("verzonden" in k for k in m)  # sent messages are not scanned
    assert m['gateway_mail_messages{state="mislukt"}'] == 0


async def test_a_failing_database_is_reported_not_raised() -> None:
    broken = Database("sqlite+aiosqlite:////nonexistent/dir/gateway.db")
    m = parse(await collect(broken))
    assert m == {"gateway_database_up": 0}
    await broken.dispose()


@pytest.fixture
async def client(components: Components) -> AsyncIterator[TestClient]:
    app = web.Application()
    metrics.install(app, components)
    async with TestClient(TestServer(app)) as cl:
        yield cl


async def test_the_route_serves_the_text_format(client: TestClient) -> None:
    resp = await client.get("/metrics")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert parse(await resp.text())["gateway_database_up"] == 1


async def test_with_a_token_the_scraper_must_present_it(components: Components) -> None:
    c = Components(
        settings=components.settings.replace(sections={"metrics": {"token": "geheim-token"}}),
        db=components.db,
        blobs=components.blobs,
        inbox=components.inbox,
        retry=components.retry,
    )
    app = web.Application()
    metrics.install(app, c)
    async with TestClient(TestServer(app)) as cl:
        assert (await cl.get("/metrics")).status == 401
        assert (await cl.get("/metrics", headers={"Authorization": "Bearer fout"})).status == 401
        assert (await cl.get("/metrics", headers={"Authorization": "Bearer geheim-token"})).status == 200


def test_metrics_can_be_switched_off_and_bad_settings_are_refused() -> None:
    assert not metrics_settings(load_settings(environ={"GATEWAY_METRICS__ENABLED": "false"})).enabled
    with pytest.raises(ConfigError, match="recent_exchanges"):
        metrics_settings(load_settings(environ={"GATEWAY_METRICS__RECENT_EXCHANGES": "0"}))
