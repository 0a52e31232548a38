"""The ``[blobs]`` settings: which backend, where, and the keys for encryption at rest. Checked at start-up.

Every key is listed in docs/deploy.md. A bad value stops start-up with a `ConfigError` in Dutch that names
the setting (read with `gateway.section_reader.SectionReader`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gateway.errors import ConfigError
from gateway.section_reader import SectionReader
from gateway.settings import Settings
from gateway.store.blob_crypto import DEFAULT_CHUNK, Keyring, decode_key, valid_key_id
from gateway.store.blobs import BlobStore
from gateway.store.blobs_local import LocalBlobStore

__all__ = ["BlobSettings", "blob_settings", "build_blob_store"]


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
    # local store: one syncfs per exchange ("barrier", gateway.store.blob_barrier) or an fsync per blob
    sync: str = "barrier"


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
        sync=r.choice("sync", "barrier", ("barrier", "per_blob")),
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
    return LocalBlobStore(
        settings.effective_blob_dir, b.keyring, allow_plaintext=b.allow_plaintext, barrier=b.sync == "barrier"
    )
