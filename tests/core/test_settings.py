"""Settings: defaults, TOML and environment precedence, and a clear Dutch error for every bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.errors import ConfigError
from gateway.settings import load_settings


def test_defaults_are_the_embedded_store_under_the_data_dir() -> None:
    s = load_settings(environ={})
    assert s.effective_database_url.startswith("sqlite+aiosqlite:///")
    assert s.effective_database_url.endswith("data/gateway.db")
    assert s.effective_blob_dir == Path("data/blobs")
    assert s.max_attachment_bytes == 10 * 1024 * 1024


def test_environment_overrides_the_toml_file(tmp_path: Path) -> None:
    f = tmp_path / "gateway.toml"
    f.write_text('port = 9000\nworkers = 2\n[osr]\nbase_url = "https://osr.example"\n')
    s = load_settings(f, environ={"GATEWAY_PORT": "9100", "GATEWAY_OSR__TOTAL_TIMEOUT": "5"})
    assert s.port == 9100 and s.workers == 2
    assert s.section("osr") == {"base_url": "https://osr.example", "total_timeout": "5"}


@pytest.mark.parametrize(
    ("environ", "fragment"),
    [
        ({"GATEWAY_PORT": "abc"}, "GATEWAY_PORT"),
        ({"GATEWAY_PORT": "70000"}, "poort"),
        ({"GATEWAY_WORKERS": "0"}, "workers"),
        ({"GATEWAY_LOG_FORMAT": "xml"}, "log_format"),
        ({"GATEWAY_DATABASE_URL": "mysql://x"}, "database_url"),
        ({"GATEWAY_SWV_CODE": "XX1"}, "swv_code"),
        ({"GATEWAY_TLS_CERT": "/nope.pem", "GATEWAY_TLS_KEY": "/nope.key"}, "niet gevonden"),
        ({"GATEWAY_TLS_CERT": "/nope.pem"}, "horen bij elkaar"),
        ({"GATEWAY_PROT": "1"}, "Onbekende omgevingsvariabele GATEWAY_PROT"),
    ],
)
def test_a_bad_setting_is_refused_with_a_message_naming_it(environ: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings(environ=environ)
    assert fragment in str(exc.value)


def test_a_broken_toml_file_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text("port = [")
    with pytest.raises(ConfigError, match="geen geldige TOML"):
        load_settings(f, environ={})
    with pytest.raises(ConfigError, match="niet gevonden"):
        load_settings(tmp_path / "missing.toml", environ={})
