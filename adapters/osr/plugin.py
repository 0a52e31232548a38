"""The Onderwijs Service Register plugged into the gateway: one `OsrClient` (with its outbound guards on
/metrics as ``system="osr"``) and one `MandateLookup` per process, for the adapters and pages that ask the OSR
(the OSO adapter's sender checks and LAS endpoint lookup, the koppelcheck page's "Mandaten nu ophalen").

The OSR is asked for OSO-SWV mandates and endpoints only: without an ``[oso]`` section nobody asks it and
nothing is built (event ``osr_niet_geconfigureerd``). The settings are ``[osr]`` (`adapters.osr.settings`,
listed in `adapters.parnassys.plugin` and docs/deploy.md). Installed by the composition root
(`gateway.app.installers`) before the adapters that use it; they take the parts with `osr_parts`.
Real outside systems only: this module never imports the simulator.
"""

from __future__ import annotations

from functools import partial

import structlog
from aiohttp import web

from adapters.osr.client import OsrClient
from adapters.osr.lookup import MandateLookup
from adapters.osr.settings import gateway_osr_settings
from gateway.components import Components
from gateway.outbound.guards import guard_samples

__all__ = ["MANDATE_LOOKUP", "OSR_CLIENT", "install", "osr_parts"]

log = structlog.get_logger("adapters.osr.plugin")
OSR_CLIENT = "osr_client"  # c.extras keys (closed by Components.close)
MANDATE_LOOKUP = "mandate_lookup"  # read by the koppelcheck page


def install(app: web.Application, c: Components) -> None:
    if not c.settings.section("oso"):
        log.info("osr_niet_geconfigureerd", reden="geen [oso]-sectie: geen koppeling die het OSR raadpleegt")
        return
    knobs = gateway_osr_settings(c.settings)
    osr = OsrClient(knobs.config)
    c.extras[OSR_CLIENT] = osr
    c.extras[MANDATE_LOOKUP] = MandateLookup(osr, parties=knobs.parties, policy=knobs.policy)
    c.metric_sources.append(partial(guard_samples, (osr.guards,)))  # per process, on /metrics
    log.info("osr_geinstalleerd", osr=knobs.config.base_url)


def osr_parts(c: Components) -> tuple[OsrClient, MandateLookup]:
    """The process's OSR client and mandate lookup, as `install` built them."""
    osr, lookup = c.extras.get(OSR_CLIENT), c.extras.get(MANDATE_LOOKUP)
    if not isinstance(osr, OsrClient) or not isinstance(lookup, MandateLookup):
        raise RuntimeError("adapters.osr.plugin is not installed before the adapter that asks the OSR")
    return osr, lookup
