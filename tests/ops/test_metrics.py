"""/metrics: the queue, outcomes, latency and outbound failures in the Prometheus text format; process-local
sources registered in `Components.metric_sources` after the database figures."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator

import aiohttp
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
from gateway.web.metrics import Sample, collect, metrics_settings, process_label
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


def _with_metrics(components: Components, **section: str) -> Components:
    return Components(
        settings=components.settings.replace(sections={"metrics": section}),
        db=components.db,
        blobs=components.blobs,
        inbox=components.inbox,
        retry=components.retry,
    )


@pytest.mark.parametrize(
    "proxy_header",
    [{"X-Forwarded-For": "203.0.113.7"}, {"Forwarded": "for=203.0.113.7"}, {"X-Real-IP": "203.0.113.7"}],
)
async def test_without_a_token_or_listener_only_a_direct_local_caller_gets_the_figures(
    client: TestClient, proxy_header: dict[str, str]
) -> None:
    refused = await client.get("/metrics", headers=proxy_header)  # through a proxy: from the network
    assert refused.status == 403
    assert "[metrics] token" in await refused.text() and "[metrics] listen" in await refused.text()
    assert (await client.get("/metrics")).status == 200  # this machine, directly


async def test_a_separate_listener_serves_the_figures_and_the_main_app_does_not(components: Components) -> None:
    app = web.Application()
    metrics.install(app, _with_metrics(components, listen="127.0.0.1:0"))
    async with TestClient(TestServer(app)) as cl:
        assert (await cl.get("/metrics")).status == 404
        port = app[metrics.METRICS_PORT]
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/metrics", headers={"X-Forwarded-For": "10.1.2.3"}) as r:
                assert r.status == 200 and "gateway_database_up 1" in await r.text()


def test_a_bad_listen_address_is_refused_in_dutch() -> None:
    with pytest.raises(ConfigError, match="listen"):
        metrics_settings(load_settings(environ={"GATEWAY_METRICS__LISTEN": "geen-poort"}))


def test_metrics_can_be_switched_off_and_bad_settings_are_refused() -> None:
    assert not metrics_settings(load_settings(environ={"GATEWAY_METRICS__ENABLED": "false"})).enabled
    with pytest.raises(ConfigError, match="recent_exchanges"):
        metrics_settings(load_settings(environ={"GATEWAY_METRICS__RECENT_EXCHANGES": "0"}))


# -- process-local sources (Components.metric_sources) --------------------------------------------------------


def _families(text: str) -> list[str]:
    return [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")]


def _circuit_source() -> list[Sample]:
    return [
        Sample("test_calls_total", {"system": "las", "result": "ok"}, 3, "Calls per result.", "counter"),
        Sample("test_circuit", {"endpoint": 'https://a"b\\c\nd:443'}, 2, "State.\nSecond line \\ backslash."),
        Sample("test_calls_total", {"system": "las", "result": "failed"}, 1, "ignored: the first help wins", "counter"),
    ]


async def test_process_local_samples_follow_the_database_figures_one_family_each(components: Components) -> None:
    text = await collect(components.db, sources=[_circuit_source, lambda: [Sample("test_other", {}, 0.5, "Other.")]])
    families = _families(text)
    assert families.index("gateway_mail_messages") < families.index("test_calls_total")
    assert families[-4:] == ["test_calls_total", "test_circuit", "test_other", "gateway_metric_source_errors"]
    assert len(families) == len(set(families)), "HELP/TYPE once per family"
    assert "# TYPE test_calls_total counter" in text and "# TYPE test_circuit gauge" in text
    assert "# HELP test_calls_total Calls per result." in text
    assert "# HELP test_circuit State.\\nSecond line \\\\ backslash." in text
    process = process_label()
    assert process.endswith(f":{os.getpid()}")
    m = parse(text)
    assert m[f'test_calls_total{{system="las",result="ok",process="{process}"}}'] == 3
    assert m[f'test_calls_total{{system="las",result="failed",process="{process}"}}'] == 1
    assert m[f'test_circuit{{endpoint="https://a\\"b\\\\c\\nd:443",process="{process}"}}'] == 2
    assert m[f'test_other{{process="{process}"}}'] == 0.5
    assert m[f'gateway_metric_source_errors{{process="{process}"}}'] == 0
    lines = text.splitlines()
    calls = [i for i, line in enumerate(lines) if line.startswith("test_calls_total{")]
    assert calls == [calls[0], calls[0] + 1], "a family's samples are written together"


async def test_a_failing_source_is_counted_and_the_rest_is_still_served(components: Components) -> None:
    def broken() -> list[Sample]:
        raise RuntimeError("stuk")

    m = parse(await collect(components.db, sources=[broken, _circuit_source]))
    assert m["gateway_database_up"] == 1
    assert m[f'gateway_metric_source_errors{{process="{process_label()}"}}'] == 1
    assert any(k.startswith("test_circuit{") for k in m)


async def test_bad_duplicate_or_clashing_samples_are_left_out(components: Components) -> None:
    def sloppy() -> list[Sample]:
        return [
            Sample("bad name", {}, 1),
            Sample("test_x", {"process": "spoofed"}, 1),
            Sample("test_x", {"le": "1"}, 1),
            Sample("test_x", {"bad-label": "1"}, 1),
            Sample("gateway_exchanges", {"state": "verwerkt"}, 99),  # a database family's name
            Sample("test_y", {"a": "1"}, 1),
            Sample("test_y", {"a": "1"}, 2),  # duplicate series: Prometheus would reject the scrape
            Sample("test_y", {"a": "2"}, 3, type="counter"),  # another type within the family
        ]

    text = await collect(components.db, sources=[sloppy])
    m = parse(text)
    assert not any(k.startswith("test_x") for k in m)
    assert m['gateway_exchanges{state="verwerkt"}'] == 0
    assert [k for k in m if k.startswith("test_y")] == [f'test_y{{a="1",process="{process_label()}"}}']
    assert m[f'test_y{{a="1",process="{process_label()}"}}'] == 1
    assert _families(text).count("gateway_exchanges") == 1


async def test_process_local_figures_are_served_when_the_database_is_down() -> None:
    broken = Database("sqlite+aiosqlite:////nonexistent/dir/gateway.db")
    m = parse(await collect(broken, sources=[_circuit_source]))
    assert m["gateway_database_up"] == 0
    assert m[f'test_calls_total{{system="las",result="ok",process="{process_label()}"}}'] == 3
    await broken.dispose()


async def test_the_route_shows_the_registered_sources(components: Components) -> None:
    components.metric_sources.append(_circuit_source)
    app = web.Application()
    metrics.install(app, components)
    async with TestClient(TestServer(app)) as cl:
        m = parse(await (await cl.get("/metrics")).text())
    assert m[f'test_calls_total{{system="las",result="failed",process="{process_label()}"}}'] == 1
