"""Keyed blob names with encryption on, and `gateway blobs rekey`: every blob sealed again with the newest
key, resumable, nothing lost when the process is killed midway."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gateway.cli.main import main
from gateway.store.blob_crypto import Keyring, name_key
from gateway.store.blobs_local import LocalBlobStore
from tests.conftest import REPO

K1, K2 = os.urandom(32), os.urandom(32)


def _ring(active: str) -> Keyring:
    return Keyring(active=active, keys={"k1": K1, "k2": K2}, chunk_size=4096)


def _fill(root: Path, n: int, size: int) -> dict[str, str]:
    """n blobs sealed with k1: name -> SHA-256 of the content."""
    store = LocalBlobStore(root, _ring("k1"))
    out = {}
    for i in range(n):
        w = store.writer()
        w.write(i.to_bytes(4, "big") + os.urandom(size))
        ref = w.commit()
        out[ref.key] = ref.sha256
    return out


def _env(data: Path) -> dict[str, str]:
    keys = f"k1={base64.b64encode(K1).decode()},k2={base64.b64encode(K2).decode()}"
    return {"GATEWAY_DATA_DIR": str(data), "GATEWAY_BLOBS__KEYS": keys, "GATEWAY_BLOBS__KEY_ID": "k2"}


def _intact(root: Path, expected: dict[str, str]) -> list[str | None]:
    """Every blob opens and holds its content; returns the key id of each."""
    store = LocalBlobStore(root, _ring("k2"))
    ids = []
    for name, sha in expected.items():
        with store.open(name) as f:
            assert hashlib.sha256(f.read()).hexdigest() == sha, name
        ids.append(store.sealed_with(name))
    assert set(store.keys()) == set(expected)
    return ids


def test_with_encryption_a_blob_is_named_by_a_keyed_hash_not_by_its_content(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path, _ring("k1"))
    document = b"%PDF-1.7 een bekend document"
    w = store.writer()
    w.write(document)
    ref = w.commit()
    sha = hashlib.sha256(document).hexdigest()
    assert ref.sha256 == sha and ref.key != sha
    assert ref.key == hmac.new(name_key(K1), bytes.fromhex(sha), hashlib.sha256).hexdigest()
    assert sha not in {p.name for p in tmp_path.rglob("*")}  # listing the store confirms nothing
    assert store.writer().name != sha and LocalBlobStore(tmp_path).writer().name == hashlib.sha256().hexdigest()


def test_rekey_seals_every_blob_with_the_newest_key_and_is_resumable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    expected = _fill(data / "blobs", 25, 5000)
    for k, v in _env(data).items():
        monkeypatch.setenv(k, v)
    assert main(["blobs", "rekey"]) == 0
    got = capsys.readouterr()
    assert "Klaar: 25 document(en) opnieuw versleuteld" in got.out and "25/25 documenten" in got.err
    assert set(_intact(data / "blobs", expected)) == {"k2"}
    assert main(["blobs", "rekey"]) == 0
    assert "Klaar: 0 document(en) opnieuw versleuteld, 25 al met de nieuwste sleutel" in capsys.readouterr().out


def test_killing_rekey_midway_loses_nothing_and_a_second_run_finishes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    expected = _fill(data / "blobs", 600, 48 * 1024)
    env = {**os.environ, **_env(data), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli.main", "blobs", "rekey", "--stil"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    probe = LocalBlobStore(data / "blobs", _ring("k2"))
    names = list(expected)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if sum(probe.sealed_with(n) == "k2" for n in names[:60]) >= 20:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    ids = _intact(data / "blobs", expected)
    assert 0 < ids.count("k2") < len(ids), "the kill must land midway"
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli.main", "blobs", "rekey", "--stil"], env=env, cwd=REPO, check=True,
        capture_output=True, text=True,
    )  # fmt: skip
    assert f"{ids.count('k2')} al met de nieuwste sleutel" in done.stdout
    assert set(_intact(data / "blobs", expected)) == {"k2"}
    # at most the copy in flight when the kill landed is left in tmp/ (the orphan sweep removes it)
    assert len(list((data / "blobs" / "tmp").glob("incoming-*"))) <= 1
