"""`GET /metrics`: the gateway's state in the Prometheus text format (version 0.0.4), hand-written.

Every figure comes from the database at scrape time, so two gateway processes behind one load balancer
report the same numbers (scrape either one; the figures are not per process — do not sum them). The queries
are cheap: the per-state count and the queue use the ``(state, next_attempt_at)`` index, the latency sample
walks the primary key backwards over the last ``recent_exchanges`` rows, and the outbox queries only look at
unsent or failed messages (again through their ``(state, next_attempt_at)`` index).

Metrics::

    gateway_exchanges{state}                          exchanges per state (the outcome of each)
    gateway_exchange_queue{state,waiting_for}         active and held exchanges (queue depth)
    gateway_exchange_oldest_age_seconds{state}        age of the oldest active or held exchange per state
    gateway_exchange_latency_seconds{outcome}         histogram received_at → finished_at over the last
                                                      `recent_exchanges` finished exchanges (a sliding
                                                      sample: use histogram_quantile without rate())
    gateway_outbox_messages{kind,state}               outbound calls waiting (wachtend) or given up (mislukt)
    gateway_outbox_retrying{kind}                     waiting outbound calls that failed at least once
    gateway_outbox_attempts{kind,state}               attempts spent on those messages
    gateway_mail_messages{state}                      mails waiting or given up
    gateway_database_up                               1 when the queries above succeeded

Process-local sources: adapters append callables to ``Components.metric_sources``; each returns `Sample`s
(figures kept in the memory of *this* process, such as the state of an outbound circuit breaker). They come
after the database figures, each family with its ``# HELP``/``# TYPE`` once, and every sample gets the label
``process="<hostname>:<pid>"`` (`process_label`): unlike the database figures these differ per process, so
scrape every process (its own ``instance``) and aggregate with ``sum``/``max by (...)``; the label keeps the
series of two processes apart even when a scrape goes through a load balancer. A source that raises is
skipped (event ``metrics_bron_fout``) and counted in ``gateway_metric_source_errors``; the rest of the page
is still served. The core never imports an adapter: it only calls what was registered.

Access, closed by default: with ``[metrics] token`` the scraper must send ``Authorization: Bearer <token>``;
with ``[metrics] listen = "host:port"`` the figures are served on that separate listener only (bind it to an
internal address) and not on the main one; with neither, the main route answers only a caller on this machine
that did not come through a proxy (no ``X-Forwarded-For``/``Forwarded``/``X-Real-IP``) and refuses everyone
else with 403 and a Dutch message naming both settings (docs/deploy.md). ``enabled = false`` removes it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import ipaddress
import os
import re
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy import case, func, select
from sqlmodel import col

from gateway.components import Components
from gateway.errors import ConfigError
from gateway.inbox.inbox import ACTIVE_STATES
from gateway.logging import get_logger
from gateway.metric_samples import MetricSource, Sample  # defined in the core; importable from here too
from gateway.section_reader import SectionReader
from gateway.settings import Settings
from gateway.store.db import Database
from gateway.store.models import Exchange, ExchangeState, OutboxMessage
from gateway.store.models.mail import Mail
from gateway.store.types import utcnow

__all__ = [
    "LATENCY_BUCKETS",
    "METRICS_PORT",
    "MetricSource",
    "MetricsSettings",
    "Sample",
    "collect",
    "install",
    "metrics_settings",
    "process_label",
]

log = get_logger(__name__)
METRICS_PORT: web.AppKey[int] = web.AppKey("metrics_port", int)  # the separate listener's port, once started
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 24 * 3600.0)
QUEUED = (*ACTIVE_STATES, ExchangeState.VASTGEHOUDEN.value)
_PENDING = ("wachtend", "mislukt")
_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def process_label() -> str:
    """``<hostname>:<pid>``: tells two processes' series apart."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class MetricsSettings:
    enabled: bool = True
    token: str | None = None  # bearer token the scraper must present
    listen: tuple[str, int] | None = None  # a separate listener for /metrics (host, port); off the main one
    recent_exchanges: int = 1000  # size of the latency sample


def metrics_settings(settings: Settings) -> MetricsSettings:
    r = SectionReader("metrics", settings.section("metrics"))
    out = MetricsSettings(
        enabled=r.flag("enabled", True),
        token=r.text("token") or None,
        listen=_listen(r.text("listen")),
        recent_exchanges=r.integer("recent_exchanges", 1000, minimum=1, maximum=100_000),
    )
    r.finish()
    return out


def _listen(value: str) -> tuple[str, int] | None:
    if not value:
        return None
    host, _, port = value.strip().rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        raise ConfigError(
            f"Ongeldige instelling [metrics] listen = {value!r}: verwacht host:poort, bijv. 127.0.0.1:9464."
        )
    return host.strip("[]"), int(port)


_PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def _local_direct(request: web.Request) -> bool:
    """A caller on this machine that did not come through a (reverse) proxy."""
    if any(h in request.headers for h in _PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items()) + "}"


def _num(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if isinstance(value, float) and not value.is_integer() else str(int(value))


class _Exposition:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: set[str] = set()  # families written so far

    def family(self, name: str, kind: str, help_text: str, samples: Iterable[tuple[Mapping[str, str], float]]) -> None:
        self.names.add(name)
        self.lines += [f"# HELP {name} {_escape_help(help_text)}", f"# TYPE {name} {kind}"]
        self.lines += [f"{name}{_labels(labels)} {_num(value)}" for labels, value in samples]

    def histogram(self, name: str, help_text: str, series: Mapping[str, Sequence[float]], label: str) -> None:
        self.names.add(name)
        self.lines += [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
        for value, observations in sorted(series.items()):
            for bound in (*LATENCY_BUCKETS, float("inf")):
                n = sum(1 for o in observations if o <= bound)
                self.lines.append(f"{name}_bucket{_labels({label: value, 'le': _num(bound)})} {n}")
            self.lines.append(f"{name}_sum{_labels({label: value})} {_num(round(sum(observations), 3))}")
            self.lines.append(f"{name}_count{_labels({label: value})} {len(observations)}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


async def _query(db: Database, recent: int, now: dt.datetime) -> dict[str, Any]:
    async with db.reader() as s:
        per_state = (await s.exec(select(col(Exchange.state), func.count()).group_by(col(Exchange.state)))).all()  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
        queue = (
            await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                select(
                    col(Exchange.state), col(Exchange.waiting_for), func.count(), func.min(col(Exchange.received_at))
                )
                .where(col(Exchange.state).in_(QUEUED))
                .group_by(Exchange.state, Exchange.waiting_for)  # type: ignore[arg-type]  # SQLModel types a column attribute as its Python value
            )
        ).all()
        latest = (
            await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                select(col(Exchange.state), col(Exchange.received_at), col(Exchange.finished_at))
                .where(col(Exchange.finished_at).is_not(None))
                .order_by(col(Exchange.id).desc())
                .limit(recent)
            )
        ).all()
        outbox = (
            await s.exec(
                select(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                    OutboxMessage.kind,
                    OutboxMessage.state,
                    func.count(),
                    func.sum(OutboxMessage.attempts),
                    func.sum(case((col(OutboxMessage.attempts) > 0, 1), else_=0)),
                )
                .where(col(OutboxMessage.state).in_(_PENDING))
                .group_by(OutboxMessage.kind, OutboxMessage.state)
            )
        ).all()
        mail = (
            await s.exec(  # type: ignore[call-overload]  # sqlmodel's exec()/select() overloads omit SQLAlchemy Core statements
                select(col(Mail.state), func.count()).where(col(Mail.state).in_(_PENDING)).group_by(col(Mail.state))
            )
        ).all()
    return {"per_state": per_state, "queue": queue, "latest": latest, "outbox": outbox, "mail": mail, "now": now}


def _render(data: dict[str, Any] | None, out: _Exposition) -> None:
    out.family(
        "gateway_database_up", "gauge", "1 when the metrics queries succeeded.", [({}, 0 if data is None else 1)]
    )
    if data is None:
        return
    now: dt.datetime = data["now"]
    counts = {str(state): int(n) for state, n in data["per_state"]}
    out.family(
        "gateway_exchanges",
        "gauge",
        "Exchanges per state (ontvangen, in_behandeling, verwerkt, geweigerd, wacht_op_herhaling, vastgehouden).",
        [({"state": st.value}, counts.get(st.value, 0)) for st in ExchangeState],
    )
    queue: list[tuple[Mapping[str, str], float]] = []
    oldest: dict[str, dt.datetime] = {}
    for state, waiting_for, n, first in data["queue"]:
        queue.append(({"state": str(state), "waiting_for": str(waiting_for or "")}, int(n)))
        if first is not None:
            first = first if first.tzinfo else first.replace(tzinfo=dt.UTC)
            oldest[state] = min(oldest.get(state, first), first)
    out.family("gateway_exchange_queue", "gauge", "Active and held exchanges by what they wait for.", queue)
    out.family(
        "gateway_exchange_oldest_age_seconds",
        "gauge",
        "Age of the oldest active or held exchange (received_at) per state; 0 when there is none.",
        [
            ({"state": st}, round(max(0.0, (now - oldest[st]).total_seconds()), 3) if st in oldest else 0)
            for st in QUEUED
        ],
    )
    series: dict[str, list[float]] = {}
    for state, received, finished in data["latest"]:
        received = received if received.tzinfo else received.replace(tzinfo=dt.UTC)
        finished = finished if finished.tzinfo else finished.replace(tzinfo=dt.UTC)
        series.setdefault(str(state), []).append(max(0.0, (finished - received).total_seconds()))
    out.histogram(
        "gateway_exchange_latency_seconds",
        "Seconds from receipt to final outcome over the most recent finished exchanges (a sliding sample).",
        series,
        "outcome",
    )
    rows = data["outbox"]
    out.family(
        "gateway_outbox_messages",
        "gauge",
        "Outbound calls (afmelding, terugkoppeling) waiting or given up, per kind.",
        [({"kind": str(k), "state": str(st)}, int(n)) for k, st, n, _, _ in rows],
    )
    out.family(
        "gateway_outbox_retrying",
        "gauge",
        "Waiting outbound calls that failed at least once, per kind.",
        [({"kind": str(k)}, int(r or 0)) for k, st, _, _, r in rows if st == "wachtend"],
    )
    out.family(
        "gateway_outbox_attempts",
        "gauge",
        "Delivery attempts spent on waiting or given-up outbound calls, per kind.",
        [({"kind": str(k), "state": str(st)}, int(a or 0)) for k, st, _, a, _ in rows],
    )
    mail = {str(st): int(n) for st, n in data["mail"]}
    out.family(
        "gateway_mail_messages",
        "gauge",
        "Mails waiting or given up.",
        [({"state": st}, mail.get(st, 0)) for st in _PENDING],
    )


def _source_name(source: MetricSource) -> str:
    inner = getattr(source, "func", source)  # functools.partial
    return str(getattr(inner, "__qualname__", type(inner).__name__))


@functools.lru_cache(maxsize=1024)
def _valid_names(name: str, label_names: tuple[str, ...]) -> bool:
    return bool(_NAME.match(name)) and all(_LABEL.match(k) and k not in ("process", "le") for k in label_names)


def _valid(sample: Sample) -> bool:
    return sample.type in ("gauge", "counter") and _valid_names(sample.name, tuple(sample.labels))


def _render_local(sources: Sequence[MetricSource], out: _Exposition) -> None:
    """The process-local samples after the database figures: grouped per family (first-seen order), each
    with ``process``; invalid samples, names the database part already used and duplicate series are left
    out (a duplicate series would make Prometheus reject the whole scrape)."""
    process = process_label()
    families: dict[str, list[Sample]] = {}
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    errors = 0
    for source in sources:
        try:
            samples = list(source())
        except Exception as exc:
            errors += 1
            log.warning("metrics_bron_fout", bron=_source_name(source), fout=type(exc).__name__)
            continue
        for sample in samples:
            key = (sample.name, tuple(sorted((k, str(v)) for k, v in sample.labels.items())))
            first = families.get(sample.name)
            if (
                not _valid(sample)
                or sample.name in out.names
                or key in seen
                or (first is not None and first[0].type != sample.type)
            ):
                log.warning("metrics_sample_overgeslagen", bron=_source_name(source), naam=sample.name)
                continue
            seen.add(key)
            families.setdefault(sample.name, []).append(sample)
    for name, members in families.items():
        out.family(
            name,
            members[0].type,
            members[0].help or name,
            [({**{k: str(v) for k, v in m.labels.items()}, "process": process}, m.value) for m in members],
        )
    out.family(
        "gateway_metric_source_errors",
        "gauge",
        "Process-local metric sources that failed during this scrape (their samples are missing).",
        [({"process": process}, errors)],
    )


async def collect(db: Database, recent_exchanges: int = 1000, sources: Sequence[MetricSource] = ()) -> str:
    """The exposition text; a failing database gives ``gateway_database_up 0`` instead of an error, and the
    process-local ``sources`` are still reported."""
    try:
        data = await _query(db, recent_exchanges, utcnow())
    except Exception as exc:
        log.warning("metrics_database_fout", fout=type(exc).__name__)
        data = None
    out = _Exposition()
    _render(data, out)
    if sources:
        _render_local(sources, out)
    return out.text()


def install(app: web.Application, c: Components) -> None:
    cfg = metrics_settings(c.settings)
    if not cfg.enabled:
        return
    expected = f"Bearer {cfg.token}".encode() if cfg.token else None

    async def serve(request: web.Request) -> web.Response:
        body = await collect(c.db, cfg.recent_exchanges, c.metric_sources)
        return web.Response(body=body.encode(), headers={"Content-Type": CONTENT_TYPE, "Cache-Control": "no-store"})

    async def metrics(request: web.Request) -> web.Response:
        if expected is not None:
            given = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return web.Response(
                    status=401,
                    text="Geen of een onjuist token: stuur 'Authorization: Bearer <token>' ([metrics] token).\n",
                    headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
                )
        elif not _local_direct(request):
            log.warning("metrics_geweigerd", client=request.remote)
            return web.Response(
                status=403,
                text="/metrics is alleen bereikbaar met een token ([metrics] token) of op een aparte poort "
                "([metrics] listen); zonder die instellingen alleen vanaf deze machine zelf.\n",
            )
        return await serve(request)

    if cfg.listen is None:
        app.router.add_get("/metrics", metrics)
        return
    listener = web.Application()
    listener.router.add_get("/metrics", metrics if expected is not None else serve)
    sites: list[web.AppRunner] = []

    async def start(_: web.Application) -> None:
        runner = web.AppRunner(listener, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, cfg.listen[0], cfg.listen[1])  # type: ignore[index]  # debt (issue 17): Optional not narrowed
        await site.start()
        sites.append(runner)
        app[METRICS_PORT] = site.port
        log.info("metrics_luisteraar_gestart", adres=f"{cfg.listen[0]}:{site.port}")  # type: ignore[index]  # debt (issue 17): Optional not narrowed

    async def stop(_: web.Application) -> None:
        for runner in sites:
            await runner.cleanup()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
