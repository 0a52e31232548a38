"""The OSR plug-in (`adapters.osr.plugin`): one line in the composition root builds the OSR client and the
mandate lookup, for the adapters that ask the OSR; without an ``[oso]`` section nobody asks and nothing is built."""

from __future__ import annotations

import pytest
from aiohttp import web

from adapters.osr import plugin
from adapters.osr.client import OsrClient
from adapters.osr.lookup import MandateLookup
from gateway.app import installers
from gateway.components import Components


def test_the_composition_root_installs_the_osr_before_the_oso_adapter() -> None:
    names = [f.__module__ for f in installers()]
    assert names.index("adapters.osr.plugin") < names.index("adapters.parnassys.plugin")


async def test_without_an_oso_section_nothing_is_built(components: Components) -> None:
    plugin.install(web.Application(), components)
    assert plugin.OSR_CLIENT not in components.extras and plugin.MANDATE_LOOKUP not in components.extras
    with pytest.raises(RuntimeError, match="not installed"):
        plugin.osr_parts(components)


async def test_with_an_oso_section_the_client_the_lookup_and_the_metrics_are_there(components: Components) -> None:
    sources = len(components.metric_sources)
    components.settings = components.settings.replace(
        sections={"oso": {"gateway_oin": "00000001821002193000"}, "osr": {"base_url": "http://127.0.0.1:9/api"}}
    )
    plugin.install(web.Application(), components)
    osr, lookup = plugin.osr_parts(components)
    assert isinstance(osr, OsrClient) and isinstance(lookup, MandateLookup) and lookup.client is osr
    [source] = components.metric_sources[sources:]
    assert {s.labels["system"] for s in source()} == {"osr"}
    await components.close()
