"""OSO-SWV with ParnasSys plugged into the gateway: the notificatie endpoint, the exchange handler
(``oso_notificatie``), the outbox deliverers (``oso_afmelding``, ``oso_terugkoppeling``), the status hook
that writes a terugkoppeling on every status change of a ParnasSys hulpvraag, and the Dutch names of the
parties an exchange waits for (OSR, Traffic Center, LAS).

Without an ``[oso]`` section nothing is installed (an SWV whose schools all use ESIS); the event
``oso_niet_geconfigureerd`` says so. A section that is there but wrong stops start-up with a `ConfigError`.
Real outside systems only: this module never imports a simulator.

Settings ``[oso]`` (environment: ``GATEWAY_OSO__<KEY>``):
  gateway_oin            (required) our OIN: expected in wsa:To ``?oin=``, sent in wsa:From
  senders                (required) sending systems: TOML ``[{oin, name, profile, sign_replies}]`` (profile
                         ``2W-be`` or ``2W-be-S``, default 2W-be-S; sign_replies: our replies and faults to
                         this sender carry a signed wsse:Security header, default true for 2W-be-S and false
                         for 2W-be); environment ``OIN:naam:profiel[:sign_replies],…``
  trust_store            CA certificates (PEM) client certificates must chain to; default ``tls_client_ca``
  doel_routeringskenmerken  the doelRouteringsKenmerk values that address us (list or comma-separated);
                         default ``[gateway_oin]``
  traffic_center_url     (required) https URL of the Traffic Center
  traffic_center_oin     (required) its OIN (wsa:To ``?oin=``)
  client_cert, client_key  our PKIoverheid certificate + key (PEM): mutual TLS out, 2W-be-S signing
  server_trust_store     CA certificates for the TC's and LAS's server certificates; default system store
  sign_requests          sign outbound requests (2W-be-S), default true (needs client_cert)
  sign_replies           sign our replies and faults to the senders that want it (their sign_replies),
                         default true (needs client_cert); false: never sign replies
  las_oin                OIN put in wsa:To of calls to the LAS; default none
  path                   endpoint path, default ``/oso/swv``
  max_body_bytes         notificatie size limit, default 65536
  max_clock_skew_seconds (120), max_message_age_seconds (300), require_from_oin (true), proxy_header
                         (``X-SSL-Client-Cert``; trusted proxies are the gateway's ``trusted_proxies``)
  overdrachtsoort        (``SWVaanvraag``), connect_timeout (5), read_timeout (30), max_response_bytes
                         (512 MiB), retry_attempts (3), retry_initial_wait (0.2), retry_max_wait (2.0)
  las_max_concurrent (2), las_slot_wait (1.0), las_failure_threshold (5), las_cool_down (1.0),
  las_cool_down_max (60)  bulkhead per LAS endpoint URL (calls in flight; 0 = no limit; a call that gets no
                         slot within las_slot_wait seconds waits in the queue as ``las`` instead of holding a
                         worker) and circuit breaker per endpoint and operation (opens after that many
                         consecutive timeouts/connection errors/429/5xx; fails fast for the cool-down, then one
                         probe; the cool-down doubles per failed probe up to the maximum; 0 = never opens)
  traffic_center_max_concurrent (0), traffic_center_slot_wait (1.0), traffic_center_failure_threshold (5),
  traffic_center_cool_down (1.0), traffic_center_cool_down_max (60)  the same for the Traffic Center
                         (one TC for every exchange: no bulkhead by default, only the breaker)
  registry_cache_seconds (10), intake_negative_max_age_seconds (600), recheck_negative_after_seconds (300),
  mandate_store_every_seconds (3600), las_endpoint_cache_seconds (3600), replay_prune_every (500)
  session_max_open_seconds (86400), session_sweep_every_seconds (300)  the sweeper closes Traffic Center
                         sessions open longer than the first, looking every the second (adapters/parnassys/
                         sweeper.py; metric gateway_tc_sessions_open)
Settings ``[osr]`` (environment: ``GATEWAY_OSR__<KEY>``; read by `adapters.osr.plugin`, which builds the OSR
client and mandate lookup this adapter uses):
  base_url               the OSR API (placeholder default); plain http only on loopback
  cert_file, key_file    client certificate; default the ``[oso]`` client_cert/client_key
  ca_file                the OSR's server CA; default ``[oso] server_trust_store``
  connect_timeout, total_timeout, max_attempts, backoff_initial, backoff_max, max_retry_after,
  max_response_bytes     as `adapters.osr.config.OsrConfig`
  failure_threshold (5), cool_down (1.0), cool_down_max (60), max_concurrent (0), slot_wait (1.0)  the OSR's
                         circuit breaker per path (opens after that many consecutive requests that failed
                         after all their attempts) and bulkhead (0 = no limit), `gateway.outbound.guards`
  cache_ttl_seconds (3600), max_staleness_seconds (86400), use_stale_negative (false), max_entries (50000)
  service_namespace      the OSO-SWV service namespace URI
  parnassys_oin, parnassys_system, kindkans_oin, kindkans_system  the two OSO-SWV systems in the OSR
"""

from __future__ import annotations

from functools import partial

import structlog
from aiohttp import web

from adapters.osr.plugin import osr_parts
from adapters.parnassys.client import LasClient, OsoSoapClient, TrafficCenterClient
from adapters.parnassys.endpoint import notificatie_routes
from adapters.parnassys.handler import AfmeldingDeliverer, OsoExchangeHandler, TerugkoppelingDeliverer
from adapters.parnassys.handoff import KIND
from adapters.parnassys.las_endpoints import OsrLasEndpoints
from adapters.parnassys.sender_checks import OsoSenderChecks
from adapters.parnassys.sessions import StoredSessions
from adapters.parnassys.settings_map import OsoSettings, oso_settings
from adapters.parnassys.status_hook import SOURCE, TERUGKOPPELING, Terugkoppelingen
from adapters.parnassys.sweeper import SessionSweeper
from gateway.components import Components
from gateway.inbox.replay import DatabaseReplayGuard
from gateway.outbound.guards import guard_samples

__all__ = ["KIND", "install"]

log = structlog.get_logger("adapters.parnassys.plugin")
# whom an exchange waits for (Transient.waiting_for), as the queue says it: "Wacht op het OSR"
WAITING_FOR = {"osr": "het OSR", "traffic_center": "het Traffic Center", "las": "het LAS van de school"}


def install(app: web.Application, c: Components) -> None:
    # A status change of a ParnasSys hulpvraag is told to the school's LAS. Registered also without [oso] (as
    # the core did before the hook existed): the terugkoppeling of a hulpvraag stored while OSO was configured
    # waits in the outbox until it is configured again, rather than being lost.
    c.status_hooks[SOURCE] = Terugkoppelingen()
    c.waiting_for_labels.update(WAITING_FOR)
    if not c.settings.section("oso"):
        log.info("oso_niet_geconfigureerd", reden="geen [oso]-sectie in de instellingen; alleen ESIS")
        return
    knobs = oso_settings(c.settings)
    wire(app, c, knobs)
    log.info(
        "oso_geinstalleerd",
        pad=knobs.endpoint.path,
        verzenders=[s.name for s in knobs.endpoint.senders],
        traffic_center=knobs.client.traffic_center_url,
        osr=knobs.osr.base_url,
    )


def wire(app: web.Application, c: Components, knobs: OsoSettings) -> OsoExchangeHandler:
    """Build the long-lived clients (kept in ``c.extras``, closed by ``Components.close``), the routes, the
    handler and the deliverers."""
    from gateway.dossier import DossierLimits, read_dossier

    osr, lookup = osr_parts(c)  # built by adapters.osr.plugin, installed before this one
    soap = OsoSoapClient(knobs.client)
    c.extras["oso_soap_client"] = soap
    c.metric_sources.append(partial(guard_samples, tuple(soap.guards.values())))  # per process, on /metrics
    checks = OsoSenderChecks(c.db, lookup, swv_code=c.settings.swv_code, policy=knobs.sender_checks)
    c.extras["oso_sender_checks"] = checks
    app.add_routes(
        notificatie_routes(
            knobs.endpoint,
            inbox=c.inbox,
            sender_checks=checks,
            replay_guard=DatabaseReplayGuard(c.db, prune_every=knobs.replay_prune_every),
        )
    )
    tc, las = TrafficCenterClient(soap), LasClient(soap)
    las_endpoints = OsrLasEndpoints(
        osr, service_namespace=knobs.parties.service_namespace, ttl=knobs.las_endpoint_cache
    )
    sessions = StoredSessions(c.db)
    handler = OsoExchangeHandler(
        swv_code=c.settings.swv_code,
        sender_checks=checks,
        traffic_center=tc,
        las=las,
        las_endpoints=las_endpoints,
        blobs=c.blobs,
        dossier_limits=DossierLimits(max_attachment_bytes=c.settings.max_attachment_bytes),
        read_dossier=partial(read_dossier, schema=c.settings.official_xsd) if c.settings.official_xsd else None,
        sessions=sessions,
        # a process that answers nobody reads a dossier in memory in its loop's thread, when writing its
        # bijlagen does not wait for a disk or the network (an fsync per blob, an upload)
        read_in_loop=not c.settings.serves_endpoints and not getattr(c.blobs, "writes_wait", True),
    )
    c.handlers[KIND] = handler
    c.deliverers["oso_afmelding"] = AfmeldingDeliverer(tc, sessions)
    sweeper = SessionSweeper(
        c.db, sessions, max_open=knobs.session_max_open, every=max(1.0, knobs.session_sweep_every.total_seconds())
    )
    c.extras["oso_session_sweeper"] = sweeper
    c.background.append(sweeper.run)
    c.metric_sources.append(sweeper.samples)
    c.deliverers[TERUGKOPPELING] = TerugkoppelingDeliverer(tc, las, las_endpoints)
    return handler
