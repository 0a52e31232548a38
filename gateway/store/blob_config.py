"""The ``[blobs]`` settings: which backend, where, and the keys for encryption at rest. Checked at start-up.

Every key is listed in docs/deploy.md. A bad value stops start-up with a `ConfigError` in Dutch that names
the setting. `SectionReader` is the small typed reader the ``[retention]`` and ``[metrics]`` sections use too
(values from TOML arrive typed, values from ``GATEWAY_<SECTION>__<KEY>`` variables as text).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.errors import ConfigError
from gateway.settings import Settings
from gateway.store.blob_crypto import DEFAULT_CHUNK, Keyring, decode_key, valid_key_id
from gateway.store.blobs import BlobStore, LocalBlobStore

__all__ = ["BlobSettings", "SectionReader", "blob_settings", "build_blob_store"]

_TRUE, _FALSE = {"true", "1", "ja", "yes", "aan", "on"}, {"false", "0", "nee", "no", "uit", "off", ""}


class SectionReader:
    """Typed values of one settings section; remembers which keys were read so typos are reported."""

    def __init__(self, name: str, values: Mapping[str, Any]) -> None:
        self.name, self.values = name, dict(values)
        self._used: set[str] = set()

    def _raw(self, key: str) -> Any:
        self._used.add(key)
        return self.values.get(key)

    def _bad(self, key: str, raw: Any, expected: str) -> ConfigError:
        shown = "***" if "secret" in key or "key" in key else repr(raw)
        return ConfigError(f"Ongeldige instelling '[{self.name}] {key}' = {shown}: verwacht {expected}.")

    def text(self, key: str, default: str = "") -> str:
        raw = self._raw(key)
        if raw is None:
            return default
        if isinstance(raw, dict | list):
            raise self._bad(key, raw, "tekst")
        return str(raw).strip()

    def flag(self, key: str, default: bool) -> bool:
        raw = self._raw(key)
        if raw is None:
            return default
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise self._bad(key, raw, "true of false")

    def number(self, key: str, default: float, *, minimum: float = 0.0, maximum: float | None = None) -> float:
        raw = self._raw(key)
        if raw is None:
            return default
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise self._bad(key, raw, "een getal") from None
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" en hoogstens {maximum:g}" if maximum is not None else ""
            raise self._bad(key, raw, f"een getal van minstens {minimum:g}{upper}")
        return value

    def integer(self, key: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
        raw = self._raw(key)
        if raw is None:
            return default
        try:
            if isinstance(raw, float) or isinstance(raw, bool):
                raise ValueError
            value = int(str(raw).strip())
        except (TypeError, ValueError):
            raise self._bad(key, raw, "een geheel getal") from None
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" en hoogstens {maximum}" if maximum is not None else ""
            raise self._bad(key, raw, f"een geheel getal van minstens {minimum}{upper}")
        return value

    def choice(self, key: str, default: str, options: tuple[str, ...]) -> str:
        value = self.text(key, default).lower()
        if value not in options:
            raise self._bad(key, value, " of ".join(repr(o) for o in options))
        return value

    def mapping(self, key: str) -> Mapping[str, Any] | str | None:
        raw = self._raw(key)
        if raw is None or isinstance(raw, dict):
            return raw
        return str(raw)

    def finish(self) -> None:
        unknown = sorted(set(self.values) - self._used)
        if unknown:
            raise ConfigError(
                f"Onbekende instelling '[{self.name}] {unknown[0]}': controleer de spelling (zie docs/deploy.md)."
            )


@dataclass(frozen=True)
class BlobSettings:
    backend: str = "local"  # local | s3
    # s3
    endpoint_url: str | None = None
    bucket: str = ""
    region: str = "us-east-1"
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    prefix: str = ""
    addressing_style: str = "path"
    part_size: int = 8 * 1024 * 1024
    verify: bool | str = True
    create_bucket: bool = False
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    max_pool_connections: int = 32
    # encryption at rest
    keyring: Keyring | None = field(default=None, repr=False)
    allow_plaintext: bool = False
    # the orphan sweep (gateway.store.blob_sweep)
    orphan_grace_minutes: int = 60
    orphan_sweep_minutes: int = 60


def _parse_keys(reader: SectionReader) -> dict[str, bytes]:
    entries: list[tuple[str, str]] = []
    raw = reader.mapping("keys")
    if isinstance(raw, Mapping):
        entries += [(str(k), str(v)) for k, v in raw.items()]
    elif isinstance(raw, str) and raw.strip():
        for item in raw.split(","):
            kid, sep, value = item.strip().partition("=")
            if not sep:
                raise ConfigError("Ongeldige instelling '[blobs] keys': schrijf 'sleutel-id=base64,...'.")
            entries.append((kid.strip(), value.strip()))
    keys_file = reader.text("keys_file")
    if keys_file:
        try:
            lines = Path(keys_file).read_text(encoding="utf-8").splitlines()
        except OSError:
            raise ConfigError(f"Sleutelbestand niet leesbaar: {keys_file} (genoemd in '[blobs] keys_file').") from None
        for line in lines:
            line = line.strip()
            if line and not line.startswith("#"):
                kid, sep, value = line.partition("=")
                if not sep:
                    raise ConfigError(f"Sleutelbestand {keys_file}: schrijf per regel 'sleutel-id=base64'.")
                entries.append((kid.strip(), value.strip()))
    keys: dict[str, bytes] = {}
    for kid, value in entries:
        if not valid_key_id(kid):
            raise ConfigError(
                f"Ongeldige sleutel-id {kid!r} in '[blobs] keys': gebruik 1 tot 32 tekens uit "
                "A-Z, a-z, 0-9, '.', '_' en '-'."
            )
        try:
            keys[kid] = decode_key(value)
        except ValueError as exc:
            raise ConfigError(
                f"Ongeldige sleutel '{kid}' in '[blobs] keys': {exc}. Maak er een met: "
                'python -c "import os,base64;print(base64.b64encode(os.urandom(32)).decode())"'
            ) from None
    return keys


def blob_settings(settings: Settings) -> BlobSettings:
    r = SectionReader("blobs", settings.section("blobs"))
    backend = r.choice("backend", "local", ("local", "s3"))
    keys = _parse_keys(r)
    key_id = r.text("key_id")
    chunk = r.integer("chunk_kib", DEFAULT_CHUNK // 1024, minimum=1, maximum=16 * 1024) * 1024
    keyring: Keyring | None = None
    if key_id:
        if key_id not in keys:
            raise ConfigError(
                f"Instelling '[blobs] key_id' = {key_id!r} noemt een sleutel die niet in '[blobs] keys' staat."
            )
        keyring = Keyring(active=key_id, keys=keys, chunk_size=chunk)
    elif keys:
        raise ConfigError(
            "Er staan sleutels in '[blobs] keys' maar '[blobs] key_id' ontbreekt: kies de actieve sleutel."
        )
    ca_bundle = r.text("ca_bundle")
    verify: bool | str = r.flag("verify_tls", True)
    if ca_bundle:
        if not Path(ca_bundle).is_file():
            raise ConfigError(f"Bestand niet gevonden: {ca_bundle} (genoemd in '[blobs] ca_bundle').")
        verify = ca_bundle
    prefix = r.text("prefix")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    out = BlobSettings(
        backend=backend,
        endpoint_url=r.text("endpoint_url") or None,
        bucket=r.text("bucket"),
        region=r.text("region", "us-east-1"),
        access_key_id=r.text("access_key_id") or None,
        secret_access_key=r.text("secret_access_key") or None,
        prefix=prefix,
        addressing_style=r.choice("addressing_style", "path", ("path", "virtual", "auto")),
        part_size=r.integer("part_size_mib", 8, minimum=5, maximum=1024) * 1024 * 1024,
        verify=verify,
        create_bucket=r.flag("create_bucket", False),
        connect_timeout=r.number("connect_timeout", 5.0, minimum=0.1),
        read_timeout=r.number("read_timeout", 60.0, minimum=0.1),
        max_pool_connections=r.integer("max_pool_connections", 32, minimum=1, maximum=1000),
        keyring=keyring,
        allow_plaintext=r.flag("allow_plaintext", False),
        orphan_grace_minutes=r.integer("orphan_grace_minutes", 60, minimum=5, maximum=7 * 24 * 60),
        orphan_sweep_minutes=r.integer("orphan_sweep_minutes", 60, minimum=1, maximum=7 * 24 * 60),
    )
    r.finish()
    if backend == "s3":
        if not out.bucket:
            raise ConfigError("Instelling '[blobs] bucket' ontbreekt: die is nodig bij backend = 's3'.")
        if out.endpoint_url and not out.endpoint_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"Ongeldige instelling '[blobs] endpoint_url' = {out.endpoint_url!r}: begin met https:// (of http://)."
            )
        if bool(out.access_key_id) != bool(out.secret_access_key):
            raise ConfigError(
                "Instellingen '[blobs] access_key_id' en '[blobs] secret_access_key' horen bij elkaar: "
                "geef ze allebei of geen van beide (dan gelden de AWS_*-variabelen)."
            )
    return out


def build_blob_store(settings: Settings) -> BlobStore:
    """The blob store the settings ask for (no network call: readiness checks the store)."""
    b = blob_settings(settings)
    if b.backend == "s3":
        from gateway.store.blobs_s3 import S3BlobStore, S3Config  # boto3 only when S3 is used

        cfg = S3Config(
            bucket=b.bucket,
            endpoint_url=b.endpoint_url,
            region=b.region,
            access_key_id=b.access_key_id,
            secret_access_key=b.secret_access_key,
            prefix=b.prefix,
            addressing_style=b.addressing_style,
            part_size=b.part_size,
            verify=b.verify,
            create_bucket=b.create_bucket,
            connect_timeout=b.connect_timeout,
            read_timeout=b.read_timeout,
            max_pool_connections=b.max_pool_connections,
        )
        return S3BlobStore(cfg, b.keyring, allow_plaintext=b.allow_plaintext)
    return LocalBlobStore(settings.effective_blob_dir, b.keyring, allow_plaintext=b.allow_plaintext)
