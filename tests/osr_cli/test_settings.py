"""The ``[osr]`` settings become the adapter's knobs; a bad value is a Dutch ConfigError naming the setting."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from adapters.osr.settings import osr_settings
from gateway.errors import ConfigError


def test_defaults_without_settings() -> None:
    s = osr_settings({})
    assert s.config.max_attempts == 4 and s.policy.ttl == dt.timedelta(hours=1) and s.sync_concurrency == 4
    assert s.parties.kindkans.name == "Kindkans"


def test_values_from_toml_or_environment_strings() -> None:
    s = osr_settings(
        {
            "base_url": "http://127.0.0.1:9/api",
            "total_timeout": "2.5",
            "max_attempts": 2,
            "cert_file": "/etc/gateway/osr.pem",
            "cache_ttl_seconds": "60",
            "max_staleness_seconds": 7200,
            "use_stale_negative": "ja",
            "sync_concurrency": "8",
            "kindkans_oin": "00000003123456780000",
            "parnassys_system": "ParnasSys",
        }
    )
    assert s.config.total_timeout == 2.5 and s.config.max_attempts == 2
    assert s.config.cert_file == Path("/etc/gateway/osr.pem")
    assert s.policy.ttl == dt.timedelta(seconds=60) and s.policy.max_staleness == dt.timedelta(hours=2)
    assert s.policy.use_stale_negative is True and s.sync_concurrency == 8
    assert s.parties.kindkans.supplier_oin == "00000003123456780000"


@pytest.mark.parametrize(
    ("section", "named"),
    [
        ({"total_timeout": "snel"}, "total_timeout"),
        ({"max_attempts": "-1"}, "max_attempts"),
        ({"max_attempts": "0"}, "max_attempts"),
        ({"use_stale_negative": "misschien"}, "use_stale_negative"),
        ({"kindkans_oin": "123"}, "kindkans_oin"),
    ],
)
def test_a_bad_value_names_the_setting(section: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError) as exc:
        osr_settings(section)
    assert named in str(exc.value) or "max_attempts" in str(exc.value)
