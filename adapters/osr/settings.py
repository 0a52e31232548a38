"""The ``[osr]`` settings as the OSR adapter's frozen knobs — one reading, used by `gateway serve` (through the
OSO plug-in) and by `gateway osr sync|import` and the koppelcheck alike, with Dutch errors for bad values.

Keys (all optional): ``base_url``, ``cert_file``, ``key_file``, ``ca_file``, ``connect_timeout``,
``total_timeout``, ``max_attempts``, ``backoff_initial``, ``backoff_max``, ``max_retry_after``,
``max_response_bytes``, ``failure_threshold``, ``cool_down``, ``cool_down_max``, ``max_concurrent``,
``slot_wait``, ``cache_ttl_seconds``, ``max_staleness_seconds``, ``use_stale_negative``,
``max_entries``, ``sync_concurrency``, ``service_namespace``, ``parnassys_oin``, ``parnassys_system``,
``kindkans_oin``, ``kindkans_system``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from adapters.osr.config import MandateCachePolicy, OsrConfig
from gateway.errors import ConfigError
from gateway.registry.mandates import parties_from_settings
from gateway.settings import Settings
from verification.mandates import OsoSwvParties

__all__ = ["OsrSettings", "gateway_osr_settings", "osr_settings"]

_FLOATS = (
    "connect_timeout",
    "total_timeout",
    "backoff_initial",
    "backoff_max",
    "max_retry_after",
    "cool_down",
    "cool_down_max",
    "slot_wait",
)
_INTS = ("max_attempts", "max_response_bytes", "failure_threshold", "max_concurrent")
_PATHS = ("cert_file", "key_file", "ca_file")


@dataclass(frozen=True, slots=True)
class OsrSettings:
    config: OsrConfig
    policy: MandateCachePolicy
    parties: OsoSwvParties
    sync_concurrency: int = 4


def _number(section: Mapping[str, Any], key: str, kind: type) -> Any:
    raw = section[key]
    try:
        value = kind(raw)
        if value < 0:
            raise ValueError
    except (TypeError, ValueError):
        expected = "een geheel getal" if kind is int else "een getal"
        raise ConfigError(f"Ongeldige instelling [osr] {key} = '{raw}': verwacht {expected} (0 of meer).") from None
    return value


def _flag(section: Mapping[str, Any], key: str) -> bool:
    raw = section[key]
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "ja", "yes", "on"):
        return True
    if text in ("0", "false", "nee", "no", "off", ""):
        return False
    raise ConfigError(f"Ongeldige instelling [osr] {key} = '{raw}': verwacht true of false.")


def osr_settings(section: Mapping[str, Any]) -> OsrSettings:
    """The ``[osr]`` settings as the adapter's frozen knobs, with Dutch errors for bad values."""
    known = {f.name for f in fields(OsrConfig)}
    values: dict[str, Any] = {}
    for key in section:
        if key in _FLOATS:
            values[key] = _number(section, key, float)
        elif key in _INTS:
            values[key] = _number(section, key, int)
        elif key in _PATHS:
            values[key] = Path(str(section[key])) if str(section[key]) else None
        elif key in known:
            values[key] = str(section[key])
    config = OsrConfig(**values)
    policy_values: dict[str, Any] = {}
    if "cache_ttl_seconds" in section:
        policy_values["ttl"] = dt.timedelta(seconds=_number(section, "cache_ttl_seconds", float))
    if "max_staleness_seconds" in section:
        policy_values["max_staleness"] = dt.timedelta(seconds=_number(section, "max_staleness_seconds", float))
    if "use_stale_negative" in section:
        policy_values["use_stale_negative"] = _flag(section, "use_stale_negative")
    if "max_entries" in section:
        policy_values["max_entries"] = _number(section, "max_entries", int)
    concurrency = _number(section, "sync_concurrency", int) if "sync_concurrency" in section else 4
    return OsrSettings(config, MandateCachePolicy(**policy_values), parties_from_settings(section), max(1, concurrency))


def gateway_osr_settings(settings: Settings) -> OsrSettings:
    """The ``[osr]`` settings as a gateway process uses them (`adapters.osr.plugin`): a missing ``cert_file``,
    ``key_file`` or ``ca_file`` falls back to the gateway's own PKIoverheid certificate and server trust store
    as configured for OSO (``[oso] client_cert``, ``client_key``, ``server_trust_store``) — one certificate,
    configured once."""
    osr = osr_settings(settings.section("osr"))
    oso = settings.section("oso")

    def fallback(key: str) -> Path | None:
        value = str(oso.get(key) or "").strip()
        return Path(value) if value else None

    config = dataclasses.replace(
        osr.config,
        cert_file=osr.config.cert_file or fallback("client_cert"),
        key_file=osr.config.key_file or fallback("client_key"),
        ca_file=osr.config.ca_file or fallback("server_trust_store"),
    )
    for key in ("cert_file", "key_file", "ca_file"):
        path = getattr(config, key)
        if path is not None and not Path(path).is_file():
            raise ConfigError(f"Instelling [osr] {key}: bestand {path} bestaat niet.")
    return dataclasses.replace(osr, config=config)
