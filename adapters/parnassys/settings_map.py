"""The ``[oso]`` and ``[osr]`` settings sections → the adapters' frozen knobs. Every key is listed in
`adapters.parnassys.plugin` and docs/assumptions/oso.md. Values come from TOML (typed) or from
``GATEWAY_OSO__<KEY>`` / ``GATEWAY_OSR__<KEY>`` variables (text); both are accepted. A bad value stops
start-up with a Dutch `ConfigError` naming the key.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from adapters.osr.config import MandateCachePolicy, OsrConfig
from adapters.osr.settings import gateway_osr_settings
from adapters.parnassys.config import ClientConfig, Credential, EndpointConfig, GuardPolicy, RetryPolicy
from adapters.parnassys.identity import SenderConfig
from adapters.parnassys.sender_checks import SenderCheckPolicy
from gateway.errors import ConfigError
from gateway.settings import Settings
from verification.mandates import OsoSwvParties

__all__ = ["OsoSettings", "oso_settings"]

_OIN = re.compile(r"[0-9]{8}[0-9A-Z]{12}")
_TRUE, _FALSE = {"1", "true", "ja", "yes", "on"}, {"0", "false", "nee", "no", "off"}
_BOOL_TEXT = {"true": True, "false": False}  # sign_replies written as text (the environment's form)


@dataclass(frozen=True)
class OsoSettings:
    endpoint: EndpointConfig
    client: ClientConfig
    osr: OsrConfig
    mandate_cache: MandateCachePolicy
    parties: OsoSwvParties
    sender_checks: SenderCheckPolicy
    las_endpoint_cache: dt.timedelta
    replay_prune_every: int
    session_max_open: dt.timedelta = dt.timedelta(hours=24)  # the sweeper closes sessions open longer
    session_sweep_every: dt.timedelta = dt.timedelta(minutes=5)


class _Section:
    def __init__(self, name: str, values: Mapping[str, Any]) -> None:
        self.name, self.values = name, dict(values)

    def _bad(self, key: str, expected: str) -> ConfigError:
        return ConfigError(f"Ongeldige instelling [{self.name}] {key} = '{self.values.get(key)}': verwacht {expected}.")

    def required(self, key: str) -> str:
        value = self.values.get(key)
        if value is None or str(value).strip() == "":
            raise ConfigError(f"Instelling [{self.name}] {key} ontbreekt; die is nodig voor OSO-SWV met ParnasSys.")
        return str(value).strip()

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self.values.get(key)
        return default if value is None or str(value).strip() == "" else str(value).strip()

    def oin(self, key: str, default: str | None = None) -> str:
        value = self.text(key, default) if default is not None else self.required(key)
        assert value is not None
        if not _OIN.fullmatch(value):
            raise self._bad(key, "een OIN van 20 posities (8 cijfers en 12 cijfers of hoofdletters)")
        return value

    def number(self, key: str, default: float) -> float:
        value = self.values.get(key)
        if value is None or value == "":
            return default
        try:
            result = float(value)
        except (TypeError, ValueError):
            raise self._bad(key, "een getal") from None
        if result < 0:
            raise self._bad(key, "een getal van 0 of meer")
        return result

    def integer(self, key: str, default: int) -> int:
        value = self.number(key, default)
        if value != int(value):
            raise self._bad(key, "een geheel getal")
        return int(value)

    def seconds(self, key: str, default: dt.timedelta) -> dt.timedelta:
        return dt.timedelta(seconds=self.number(key, default.total_seconds()))

    def flag(self, key: str, default: bool) -> bool:
        value = self.values.get(key)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise self._bad(key, "true of false")

    def path(self, key: str, default: Path | None = None) -> Path | None:
        value = self.text(key)
        path = Path(value) if value is not None else default
        if path is not None and not path.is_file():
            raise ConfigError(f"Instelling [{self.name}] {key}: bestand {path} bestaat niet.")
        return path

    def strings(self, key: str) -> list[str]:
        value = self.values.get(key)
        if value is None or value == "":
            return []
        if isinstance(value, list | tuple):
            return [str(v).strip() for v in value if str(v).strip()]
        return [p.strip() for p in str(value).split(",") if p.strip()]

    def senders(self, key: str) -> tuple[SenderConfig, ...]:
        """TOML: ``senders = [{oin = "…", name = "Topicus", profile = "2W-be-S", sign_replies = true}]``
        (``sign_replies`` optional: default true for 2W-be-S, false for 2W-be); environment:
        ``OIN:naam:profiel[:sign_replies]`` separated by commas."""
        raw = self.values.get(key)
        items: list[Mapping[str, Any]] = []
        if isinstance(raw, list | tuple):
            for item in raw:
                if not isinstance(item, Mapping):
                    raise self._bad(key, "een lijst van {oin, name, profile}")
                items.append(item)
        else:
            for part in self.strings(key):
                oin, _, rest = part.partition(":")
                name, _, rest = rest.partition(":")
                profile, _, sign_text = rest.partition(":")
                entry: dict[str, Any] = {"oin": oin, "name": name or oin, "profile": profile or "2W-be-S"}
                if sign_text:
                    entry["sign_replies"] = sign_text
                items.append(entry)
        senders = []
        for item in items:
            oin, profile = str(item.get("oin", "")).strip(), str(item.get("profile", "2W-be-S")).strip()
            if not _OIN.fullmatch(oin):
                raise self._bad(key, f"bij elke verzender een OIN van 20 posities (niet {oin!r})")
            if profile not in ("2W-be", "2W-be-S"):
                raise self._bad(key, f"profiel 2W-be of 2W-be-S (niet {profile!r})")
            checked: Literal["2W-be", "2W-be-S"] = "2W-be" if profile == "2W-be" else "2W-be-S"
            raw_sign = item.get("sign_replies")
            sign = (
                raw_sign
                if raw_sign is None or isinstance(raw_sign, bool)
                else _BOOL_TEXT.get(str(raw_sign).strip().lower())
            )
            if raw_sign is not None and sign is None:
                raise self._bad(key, f"bij sign_replies van {oin} true of false")
            senders.append(SenderConfig(oin, str(item.get("name") or oin), checked, sign))
        if not senders:
            raise ConfigError(
                f"Instelling [{self.name}] {key} ontbreekt: noem minstens één verzendend systeem "
                "(bijv. Topicus voor ParnasSys) met OIN en profiel."
            )
        return tuple(senders)


def _credential(section: _Section) -> Credential | None:
    cert, key = section.path("client_cert"), section.path("client_key")
    if (cert is None) != (key is None):
        raise ConfigError("Instellingen [oso] client_cert en client_key horen bij elkaar: geef ze allebei.")
    if cert is None or key is None:
        return None
    try:
        return Credential.from_files(cert, key)
    except (ValueError, TypeError, OSError) as exc:
        raise ConfigError(f"[oso] client_cert/client_key zijn onbruikbaar: {exc}") from exc


def _guard(section: _Section, system: str, default: GuardPolicy) -> GuardPolicy:
    """``<system>_max_concurrent``, ``_slot_wait``, ``_failure_threshold``, ``_cool_down``, ``_cool_down_max``."""
    cool_down = section.number(f"{system}_cool_down", default.cool_down)
    cool_down_max = section.number(f"{system}_cool_down_max", max(default.cool_down_max, cool_down))
    if cool_down_max < cool_down:
        raise section._bad(f"{system}_cool_down_max", f"een getal van minstens {system}_cool_down ({cool_down})")
    return GuardPolicy(
        max_concurrent=section.integer(f"{system}_max_concurrent", default.max_concurrent),
        slot_wait=section.number(f"{system}_slot_wait", default.slot_wait),
        failure_threshold=section.integer(f"{system}_failure_threshold", default.failure_threshold),
        cool_down=cool_down,
        cool_down_max=cool_down_max,
    )


def oso_settings(settings: Settings) -> OsoSettings:
    """Build every knob; raises ConfigError with the setting's name when something is missing or wrong."""
    oso = _Section("oso", settings.section("oso"))
    gateway_oin = oso.oin("gateway_oin")
    trust_store = oso.path("trust_store", settings.tls_client_ca)
    if trust_store is None:
        raise ConfigError(
            "Instelling [oso] trust_store (of tls_client_ca) ontbreekt: de CA-certificaten waaraan "
            "clientcertificaten van verzenders moeten voldoen (PKIoverheid / PKI-onderwijs)."
        )
    credential = _credential(oso)
    server_trust = oso.path("server_trust_store")
    endpoint = _endpoint_config(settings, oso, gateway_oin, trust_store, credential)
    client = _client_config(oso, gateway_oin, server_trust, credential, settings.data_dir / "spool")
    # [osr] is read by the OSR adapter's own function, with the fall-back to our own client certificate and
    # server trust store for the OSR's mutual TLS (the OSR plug-in builds the client from the same reading)
    osr = gateway_osr_settings(settings)
    sender_checks = _sender_check_policy(oso)
    return OsoSettings(
        endpoint=endpoint,
        client=client,
        osr=osr.config,
        mandate_cache=osr.policy,
        parties=osr.parties,
        sender_checks=sender_checks,
        las_endpoint_cache=oso.seconds("las_endpoint_cache_seconds", dt.timedelta(hours=1)),
        replay_prune_every=max(1, oso.integer("replay_prune_every", 500)),
        session_max_open=oso.seconds("session_max_open_seconds", dt.timedelta(hours=24)),
        session_sweep_every=oso.seconds("session_sweep_every_seconds", dt.timedelta(minutes=5)),
    )


def _endpoint_config(
    settings: Settings, oso: _Section, gateway_oin: str, trust_store: Path, credential: Credential | None
) -> EndpointConfig:
    """Where and how the gateway receives OSO notificaties (its SOAP endpoint)."""
    doel = oso.strings("doel_routeringskenmerken") or [gateway_oin]
    return EndpointConfig(
        gateway_oin=gateway_oin,
        trust_store_pem=trust_store.read_bytes(),
        senders=oso.senders("senders"),
        doel_routeringskenmerken=frozenset(doel),
        public_url=settings.effective_public_url,
        swv_code=settings.swv_code,
        path=oso.text("path", "/oso/swv") or "/oso/swv",
        max_body_bytes=oso.integer("max_body_bytes", 64 * 1024),
        body_timeout=oso.seconds("body_timeout_seconds", dt.timedelta(seconds=3)).total_seconds(),
        trusted_proxies=tuple(settings.trusted_proxies),
        proxy_header=oso.text("proxy_header", "X-SSL-Client-Cert") or "X-SSL-Client-Cert",
        max_clock_skew=oso.seconds("max_clock_skew_seconds", dt.timedelta(minutes=2)),
        max_message_age=oso.seconds("max_message_age_seconds", dt.timedelta(minutes=5)),
        require_from_oin=oso.flag("require_from_oin", True),
        signing=credential if oso.flag("sign_replies", True) else None,
    )


def _client_config(
    oso: _Section, gateway_oin: str, server_trust: Path | None, credential: Credential | None, spool_dir: Path
) -> ClientConfig:
    """How the gateway calls the Traffic Center and the LAS (the outbound SOAP client); a big dossier is
    spooled, sealed, under the data dir (docs/assumptions/oso.md, "documentResponse read as it arrives")."""
    client = ClientConfig(
        gateway_oin=gateway_oin,
        traffic_center_url=oso.required("traffic_center_url"),
        traffic_center_oin=oso.oin("traffic_center_oin"),
        trust_store_pem=server_trust.read_bytes() if server_trust else None,
        credential=credential,
        sign=oso.flag("sign_requests", True),
        overdrachtsoort=oso.text("overdrachtsoort", "SWVaanvraag") or "SWVaanvraag",
        connect_timeout=oso.number("connect_timeout", 5.0),
        read_timeout=oso.number("read_timeout", 30.0),
        max_response_bytes=oso.integer("max_response_bytes", 512 * 1024 * 1024),
        spool_dir=spool_dir,
        retry=RetryPolicy(
            attempts=max(1, oso.integer("retry_attempts", 3)),
            base=oso.number("retry_initial_wait", 0.2),
            cap=oso.number("retry_max_wait", 2.0),
        ),
        las_oin=oso.text("las_oin"),
        las_guard=_guard(oso, "las", GuardPolicy()),
        traffic_center_guard=_guard(oso, "traffic_center", GuardPolicy(max_concurrent=0)),
    )
    if not client.traffic_center_url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ConfigError(
            f"[oso] traffic_center_url '{client.traffic_center_url}' moet met https:// beginnen "
            "(alleen een simulator op dit apparaat mag zonder TLS)."
        )
    return client


def _sender_check_policy(oso: _Section) -> SenderCheckPolicy:
    """How long sender checks trust what the registry and the OSR said."""
    check_defaults = SenderCheckPolicy()
    return SenderCheckPolicy(
        registry_cache=oso.seconds("registry_cache_seconds", check_defaults.registry_cache),
        intake_negative_max_age=oso.seconds("intake_negative_max_age_seconds", check_defaults.intake_negative_max_age),
        recheck_negative_after=oso.seconds("recheck_negative_after_seconds", check_defaults.recheck_negative_after),
        store_every=oso.seconds("mandate_store_every_seconds", check_defaults.store_every),
    )
