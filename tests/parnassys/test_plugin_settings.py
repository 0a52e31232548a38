"""The plugin: nothing without an [oso] section; a wrong section stops start-up with a Dutch message that
names the setting; environment text works as well as TOML; `gateway serve` never loads a simulator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from adapters.osr import plugin as osr_plugin
from adapters.parnassys.plugin import KIND, install
from adapters.parnassys.settings_map import oso_settings
from gateway.components import Components
from gateway.errors import ConfigError
from gateway.settings import load_settings
from gateway.store.blob_barrier import syncfs_available
from gateway.store.blobs import ContentStore
from gateway.store.blobs_local import LocalBlobStore
from gateway.store.blobs_s3 import S3Backend
from tests.parnassys.conftest import Pki

REPO = Path(__file__).resolve().parents[2]


def _sections(pki: Pki, **oso: Any) -> dict[str, dict[str, Any]]:
    crt, key = pki.pair("gateway")
    values: dict[str, Any] = {
        "gateway_oin": "00000001800000000001",
        "trust_store": pki.ca_file,
        "senders": [{"oin": "00000003273000000000", "name": "Topicus", "profile": "2W-be-S"}],
        "traffic_center_url": "https://tc.example.invalid/oso",
        "traffic_center_oin": "00000001821002193000",
        "client_cert": crt,
        "client_key": key,
    }
    values.update(oso)
    return {"oso": {k: v for k, v in values.items() if v is not None}, "osr": {"base_url": "http://127.0.0.1:9/api"}}


async def test_without_an_oso_section_nothing_is_installed(components: Components) -> None:
    install(web.Application(), components)
    assert KIND not in components.handlers and "oso_afmelding" not in components.deliverers


async def test_with_an_oso_section_the_endpoint_handler_and_deliverers_are_installed(
    components: Components, pki: Pki
) -> None:
    components.settings = components.settings.replace(sections=_sections(pki))
    app = web.Application()
    osr_plugin.install(app, components)  # the composition root installs the OSR before the adapters using it
    install(app, components)
    assert KIND in components.handlers
    assert {"oso_afmelding", "oso_terugkoppeling"} <= set(components.deliverers)
    assert {"osr_client", "oso_soap_client"} <= set(components.extras)
    assert any(r.resource is not None and r.resource.canonical == "/oso/swv" for r in app.router.routes())


@pytest.mark.parametrize("missing", ["gateway_oin", "traffic_center_url", "senders"])
def test_a_missing_required_setting_is_named(pki: Pki, missing: str) -> None:
    settings = load_settings(environ={}).replace(sections=_sections(pki, **{missing: None}))
    with pytest.raises(ConfigError, match=missing):
        oso_settings(settings)


def test_a_wrong_oin_is_refused_in_dutch(pki: Pki) -> None:
    settings = load_settings(environ={}).replace(sections=_sections(pki, traffic_center_oin="TC"))
    with pytest.raises(ConfigError, match=r"traffic_center_oin.*OIN van 20 posities"):
        oso_settings(settings)


def test_plain_http_to_a_remote_traffic_center_is_refused(pki: Pki) -> None:
    settings = load_settings(environ={}).replace(sections=_sections(pki, traffic_center_url="http://tc.example/x"))
    with pytest.raises(ConfigError, match="https"):
        oso_settings(settings)


def test_environment_text_is_read_like_toml(pki: Pki) -> None:
    crt, key = pki.pair("gateway")
    env = {
        "GATEWAY_OSO__GATEWAY_OIN": "00000001800000000001",
        "GATEWAY_OSO__TRUST_STORE": pki.ca_file,
        "GATEWAY_OSO__SENDERS": "00000003273000000000:Topicus:2W-be-S,00000003273000000001:Ander:2W-be",
        "GATEWAY_OSO__DOEL_ROUTERINGSKENMERKEN": "00000001800000000001, 500",
        "GATEWAY_OSO__TRAFFIC_CENTER_URL": "https://tc.example.invalid/oso",
        "GATEWAY_OSO__TRAFFIC_CENTER_OIN": "00000001821002193000",
        "GATEWAY_OSO__CLIENT_CERT": crt,
        "GATEWAY_OSO__CLIENT_KEY": key,
        "GATEWAY_OSO__SIGN_REPLIES": "nee",
        "GATEWAY_OSO__MAX_MESSAGE_AGE_SECONDS": "60",
        "GATEWAY_OSR__BASE_URL": "http://127.0.0.1:9/api",
        "GATEWAY_OSR__CACHE_TTL_SECONDS": "120",
    }
    knobs = oso_settings(load_settings(environ=env))
    assert [(s.oin, s.profile) for s in knobs.endpoint.senders] == [
        ("00000003273000000000", "2W-be-S"),
        ("00000003273000000001", "2W-be"),
    ]
    assert knobs.endpoint.doel_routeringskenmerken == {"00000001800000000001", "500"}
    assert knobs.endpoint.signing is None and knobs.client.credential is not None
    assert knobs.endpoint.max_message_age.total_seconds() == 60
    assert knobs.mandate_cache.ttl.total_seconds() == 120
    assert knobs.osr.cert_file == Path(crt)  # the OSR gets the same client certificate by default


def test_the_plugin_never_loads_a_simulator() -> None:
    code = (
        "import sys, adapters.parnassys.plugin, gateway.app; "
        "print([m for m in sys.modules if 'simulator' in m or 'dossier_factory' in m])"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_reply_signing_follows_the_profile_unless_set_per_sender(pki: Pki) -> None:
    senders = [
        {"oin": "00000003273000000000", "name": "Topicus", "profile": "2W-be-S"},
        {"oin": "00000003273000000001", "name": "Java-client", "profile": "2W-be"},
        {"oin": "00000003273000000002", "name": "Wil getekend", "profile": "2W-be", "sign_replies": True},
        {"oin": "00000003273000000003", "name": "Liever niet", "profile": "2W-be-S", "sign_replies": "false"},
    ]
    settings = load_settings(environ={}).replace(sections=_sections(pki, senders=senders))
    knobs = oso_settings(settings)
    assert [s.signs_replies for s in knobs.endpoint.senders] == [True, False, True, False]


def test_reply_signing_per_sender_from_the_environment_and_a_bad_value(pki: Pki) -> None:
    env = "00000003273000000000:Topicus:2W-be-S:false,00000003273000000001:Ander:2W-be"
    settings = load_settings(environ={}).replace(sections=_sections(pki, senders=env))
    assert [s.signs_replies for s in oso_settings(settings).endpoint.senders] == [False, False]
    bad = load_settings(environ={}).replace(sections=_sections(pki, senders="00000003273000000000:T:2W-be-S:soms"))
    with pytest.raises(ConfigError, match="sign_replies"):
        oso_settings(bad)


def test_the_endpoint_address_is_the_public_url(pki: Pki) -> None:
    settings = load_settings(environ={}).replace(public_url="https://swv.example.nl/", sections=_sections(pki))
    assert oso_settings(settings).endpoint.address == "https://swv.example.nl/oso/swv"


def test_a_big_dossier_is_spooled_under_the_data_dir(pki: Pki, tmp_path: Path) -> None:
    """Not the system temp dir, which may be a tmpfs: RAM again (docs/assumptions/oso.md)."""
    settings = load_settings(environ={}).replace(data_dir=tmp_path / "data", sections=_sections(pki))
    assert oso_settings(settings).client.spool_dir == tmp_path / "data" / "spool"


@pytest.mark.parametrize(
    ("role", "sync", "in_loop"),
    [
        ("worker", "barrier", True),
        ("worker", "per_blob", False),
        ("all", "barrier", False),
        ("intake", "barrier", False),
    ],
)
async def test_only_a_worker_process_whose_blob_writes_do_not_wait_reads_dossiers_in_its_loop(
    components: Components, pki: Pki, tmp_path: Path, role: str, sync: str, in_loop: bool
) -> None:
    if not syncfs_available():
        pytest.skip("syncfs is not available here: every local blob write waits for its own fsync")
    components.settings = components.settings.replace(sections=_sections(pki), role=role)
    components.blobs = LocalBlobStore(tmp_path / "blobs", barrier=sync == "barrier")
    app = web.Application()
    osr_plugin.install(app, components)
    install(app, components)
    assert components.handlers[KIND].read_in_loop is in_loop  # type: ignore[attr-defined]  # the OSO handler


def test_a_blob_store_that_does_not_say_is_taken_to_wait() -> None:
    assert ContentStore(object()).writes_wait is True  # type: ignore[arg-type]  # a backend without the attribute
    assert S3Backend.writes_wait is True
