"""Settings: one frozen object, read once at start-up from a TOML file and/or ``GATEWAY_*`` variables.

Precedence: built-in default < TOML file (``--config FILE`` or ``GATEWAY_CONFIG``) < environment.
Nested adapter sections use a double underscore in the environment: ``GATEWAY_OSR__BASE_URL`` is
``[osr] base_url``. Every value is checked here; a bad one stops start-up with a `ConfigError` that names
the setting and says what is expected, in Dutch (the operator reads it).
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

from gateway.errors import ConfigError

__all__ = ["ROLES", "Settings", "load_settings"]

ENV_PREFIX = "GATEWAY_"
ROLES = ("all", "intake", "worker")  # what one gateway process does (docs/deploy.md, "Roles")
ADAPTER_SECTIONS = ("oso", "osr", "esis", "web", "mail", "blobs", "retention", "metrics")


def shown_url(url: str) -> str:
    """A URL fit for output: any password in it replaced by ``***`` (also when SQLAlchemy cannot parse it)."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return re.sub(r"(//[^/:@]*:)[^@/]*@", r"\1***@", url)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    database_url: str = ""  # default: SQLite (WAL) at <data_dir>/gateway.db
    blob_dir: Path | None = None  # default: <data_dir>/blobs
    swv_code: str = "PO3008"
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""  # how schools reach us; default http://host:port
    log_format: str = "console"  # console | json
    log_level: str = "info"
    role: str = "all"  # all | intake (endpoints and pages, no processing) | worker (processing only)
    workers: int = 4  # concurrent exchange workers in this process
    worker_niceness: int = 10  # role "worker": lower CPU priority, so intake keeps answering fast (0 = none)
    poll_interval: float = 0.5  # seconds between empty inbox polls
    lease_seconds: float = 120.0  # a claimed item is reclaimed when its worker stops renewing
    retry_base_seconds: float = 5.0
    retry_max_seconds: float = 3600.0
    max_attempts: int = 25  # then the item is held for the secretariaat
    max_request_bytes: int = 1_048_576  # SOAP notificatie / JSON bodies
    keepalive_seconds: float = 30.0  # an idle or never-completed connection is closed after this
    max_attachment_bytes: int = 10 * 1024 * 1024  # the handbook's 10 MB per bijlage
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = None  # trust store for client certificates (mutual TLS)
    trusted_proxies: tuple[str, ...] = ()
    official_xsd: Path | None = None  # validate dossiers against the official XSD instead of ours
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def runs_workers(self) -> bool:
        """Whether this process processes the inbox and the outbox (roles "all" and "worker")."""
        return self.role != "intake"

    @property
    def serves_endpoints(self) -> bool:
        """Whether this process answers schools, ESIS and users (roles "all" and "intake")."""
        return self.role != "worker"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'gateway.db').resolve()}"

    @property
    def shown_database_url(self) -> str:
        """The database URL to print or log: its password replaced by ``***``."""
        return shown_url(self.effective_database_url)

    @property
    def effective_blob_dir(self) -> Path:
        return self.blob_dir if self.blob_dir is not None else self.data_dir / "blobs"

    @property
    def effective_public_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        scheme = "https" if self.tls_cert else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def section(self, name: str) -> Mapping[str, Any]:
        return self.sections.get(name, {})

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


_HINTS = get_type_hints(Settings)


def _convert(name: str, raw: Any, hint: Any) -> Any:
    text = str(raw)
    try:
        if hint is int:
            value = int(raw)
            if value < 0:
                raise ValueError
            return value
        if hint is float:
            value = float(raw)  # type: ignore[assignment]  # debt (issue 17): one name holds each hint's type in turn
            if value < 0:
                raise ValueError
            return value
        if hint is Path or hint == (Path | None):
            return None if text == "" and hint != Path else Path(text)
        if hint == tuple[str, ...]:
            if isinstance(raw, list | tuple):
                return tuple(str(x) for x in raw)
            return tuple(p.strip() for p in text.split(",") if p.strip())
        if hint is str:
            if isinstance(raw, dict | list):
                raise ValueError
            return text
    except (TypeError, ValueError):
        expected = {int: "een geheel getal (0 of meer)", float: "een getal (0 of meer)"}.get(hint, "tekst")
        raise ConfigError(f"Ongeldige instelling '{name}' = '{raw}': verwacht {expected}.") from None
    raise ConfigError(f"Instelling '{name}' heeft een onbekend type.")


def _check(s: Settings) -> Settings:
    if s.log_format not in ("console", "json"):
        raise ConfigError(f"Ongeldige instelling 'log_format' = '{s.log_format}': kies 'console' of 'json'.")
    if s.log_level.lower() not in ("debug", "info", "warning", "error"):
        raise ConfigError(f"Ongeldige instelling 'log_level' = '{s.log_level}': kies debug, info, warning of error.")
    if not (0 < s.port < 65536):
        raise ConfigError(f"Ongeldige instelling 'port' = {s.port}: kies een poort van 1 tot en met 65535.")
    if s.workers < 1:
        raise ConfigError("Ongeldige instelling 'workers': minimaal 1.")
    if s.role not in ROLES:
        raise ConfigError(f"Ongeldige instelling 'role' = '{s.role}': kies {', '.join(ROLES)}.")
    if not (0 <= s.worker_niceness <= 19):
        raise ConfigError(f"Ongeldige instelling 'worker_niceness' = {s.worker_niceness}: kies 0 tot en met 19.")
    if s.database_url and not s.database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ConfigError(
            f"Ongeldige instelling 'database_url' = '{s.database_url}': gebruik "
            "'sqlite+aiosqlite:///pad/naar/gateway.db' of 'postgresql+asyncpg://gebruiker@host/database'."
        )
    if bool(s.tls_cert) != bool(s.tls_key):
        raise ConfigError("Instellingen 'tls_cert' en 'tls_key' horen bij elkaar: geef ze allebei of geen van beide.")
    for p in (s.tls_cert, s.tls_key, s.tls_client_ca, s.official_xsd):
        if p is not None and not p.is_file():
            raise ConfigError(f"Bestand niet gevonden: {p} (genoemd in de instellingen).")
    import re

    if not re.fullmatch(r"(PO|VO)\d{4}", s.swv_code):
        raise ConfigError(f"Ongeldige instelling 'swv_code' = '{s.swv_code}': verwacht bijvoorbeeld PO3008.")
    return s


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sections: dict[str, dict[str, Any]] = {}
    path = config_file or env.get(ENV_PREFIX + "CONFIG")
    if path:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"Instellingenbestand niet gevonden: {path}") from None
        except OSError as exc:
            from gateway.os_errors import os_error_reason

            raise ConfigError(f"Instellingenbestand {path}: {os_error_reason(exc)}.") from None
        except UnicodeDecodeError:
            raise ConfigError(f"Instellingenbestand {path} is geen UTF-8-tekst.") from None
        except tomllib.TOMLDecodeError as exc:
            import re

            at = re.search(r"line (\d+), column (\d+)", str(exc))
            where = f" (regel {at[1]}, kolom {at[2]})" if at else ""
            raise ConfigError(
                f"Instellingenbestand {path} is geen geldige TOML{where}: verwacht regels als sleutel = waarde, "
                "met tekst tussen aanhalingstekens."
            ) from None
        for key, raw in data.items():
            if key in ADAPTER_SECTIONS and isinstance(raw, dict):
                sections.setdefault(key, {}).update(raw)
            elif key in _HINTS and key != "sections":
                values[key] = _convert(key, raw, _HINTS[key])
            else:
                raise ConfigError(f"Onbekende instelling '{key}' in {path}.")
    known = {f.name for f in fields(Settings)}
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_PREFIX + "CONFIG":
            continue
        key = name[len(ENV_PREFIX) :].lower()
        if "__" in key:
            section, _, sub = key.partition("__")
            if section in ADAPTER_SECTIONS:
                sections.setdefault(section, {})[sub] = raw
                continue
        if key in known and key != "sections":
            values[key] = _convert(name, raw, _HINTS[key])
        elif key.startswith(("test_", "demo_")):
            continue  # variables for the test suite and the demo, not settings
        else:
            raise ConfigError(f"Onbekende omgevingsvariabele {name}: controleer de spelling.")
    for key, raw in overrides.items():
        if key not in known:
            raise ConfigError(f"Onbekende instelling '{key}'.")
        values[key] = raw
    values.setdefault("sections", sections)
    return _check(Settings(**values))
