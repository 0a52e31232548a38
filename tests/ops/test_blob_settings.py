"""The [blobs] settings: a working store from good values, a Dutch ConfigError for every bad one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateway.components import build_components
from gateway.errors import ConfigError
from gateway.settings import load_settings
from gateway.store.blob_config import blob_settings, build_blob_store
from gateway.store.blobs_local import LocalBlobStore
from gateway.store.blobs_s3 import S3BlobStore
from tests.ops.conftest import b64


def _settings(tmp_path: Path, **env: str):
    return load_settings(environ={f"GATEWAY_BLOBS__{k.upper()}": v for k, v in env.items()}, data_dir=tmp_path)


def test_the_default_is_a_local_unencrypted_store(tmp_path: Path) -> None:
    store = build_blob_store(_settings(tmp_path))
    assert isinstance(store, LocalBlobStore) and store.keyring is None


def test_keys_from_the_environment_switch_encryption_on(tmp_path: Path) -> None:
    k1, k2 = b64(os.urandom(32)), b64(os.urandom(32))
    store = build_blob_store(_settings(tmp_path, key_id="2026", keys=f"2025={k1}, 2026={k2}"))
    assert isinstance(store, LocalBlobStore)
    assert store.keyring is not None and store.keyring.active == "2026"
    assert set(store.keyring.keys) == {"2025", "2026"}


def test_keys_from_a_toml_table_and_a_keys_file(tmp_path: Path) -> None:
    keys_file = tmp_path / "blob_keys"
    keys_file.write_text(f"# oude sleutel\nold={b64(os.urandom(32))}\n")
    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[blobs]\nkey_id = "new"\nkeys_file = "{keys_file}"\n[blobs.keys]\nnew = "{b64(os.urandom(32))}"\n'
    )
    b = blob_settings(load_settings(config, environ={}, data_dir=tmp_path))
    assert b.keyring is not None and set(b.keyring.keys) == {"old", "new"}


def test_the_s3_backend_is_built_from_settings(tmp_path: Path) -> None:
    s = _settings(
        tmp_path,
        backend="s3",
        bucket="gateway",
        endpoint_url="http://127.0.0.1:9",
        access_key_id="a",
        secret_access_key="b",
        prefix="po3008",
        part_size_mib="16",
    )
    c = build_components(s)
    assert isinstance(c.blobs, S3BlobStore)
    assert c.blobs.s3.prefix == "po3008/" and c.blobs.s3.part_size == 16 * 1024 * 1024


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"backend": "ftp"}, "[blobs] backend"),
        ({"backend": "s3"}, "[blobs] bucket"),
        ({"backend": "s3", "bucket": "b", "endpoint_url": "ftp://x"}, "endpoint_url"),
        ({"backend": "s3", "bucket": "b", "access_key_id": "a"}, "horen bij elkaar"),
        ({"part_size_mib": "2"}, "part_size_mib"),
        ({"part_size_mib": "acht"}, "geheel getal"),
        ({"key_id": "k1"}, "niet in '[blobs] keys'"),
        ({"keys": "k1=" + b64(os.urandom(32))}, "key_id' ontbreekt"),
        ({"key_id": "k1", "keys": "k1=" + b64(os.urandom(16))}, "verwacht 32"),
        ({"key_id": "k1", "keys": "k1=niet-base64!"}, "base64"),
        ({"key_id": "k 1", "keys": "k 1=" + b64(os.urandom(32))}, "sleutel-id"),
        ({"keys_file": "/bestaat/niet"}, "Sleutelbestand"),
        ({"allow_plaintext": "misschien"}, "true of false"),
        ({"bukket": "b"}, "Onbekende instelling '[blobs] bukket'"),
    ],
)
def test_a_bad_blob_setting_stops_start_up_with_a_dutch_message(tmp_path: Path, env: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_blob_store(_settings(tmp_path, **env))
    assert says in str(info.value)


def test_a_bad_key_is_never_echoed_in_the_message(tmp_path: Path) -> None:
    secret = b64(os.urandom(16))
    with pytest.raises(ConfigError) as info:
        build_blob_store(_settings(tmp_path, key_id="k1", keys=f"k1={secret}"))
    assert secret not in str(info.value)
