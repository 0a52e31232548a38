"""Blob store throughput and writer memory: local vs S3 (SeaweedFS on loopback), plain vs encrypted.

    .venv/bin/python bench/blob_throughput.py [--mib 64] [--blob-mib 8]

Writes ``--mib`` MiB as blobs of ``--blob-mib`` MiB in 256 KiB pieces (as the dossier unpacker and the ESIS
upload do), then reads them back, for each flavour; prints MiB/s. Then writes one 64 MiB blob to S3 (encrypted)
and reports the Python heap peak during the write (tracemalloc): it stays near one part (8 MiB), not the blob.
Figures are for this machine (2 shared cores, loopback); see docs/deploy.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.store.blob_crypto import Keyring
from gateway.store.blobs import ContentStore
from gateway.store.blobs_local import LocalBlobStore
from gateway.store.blobs_s3 import S3BlobStore, S3Config, make_client
from tests.ops.s3server import s3_server

PIECE = 256 * 1024


def _write(store: ContentStore, size: int, payload: bytes) -> str:
    w = store.writer()
    for _ in range(size // PIECE):
        w.write(payload)
    return w.commit().key


def _run(name: str, store: ContentStore, total: int, blob: int) -> None:
    keys = []
    start = time.perf_counter()
    for _ in range(total // blob):
        keys.append(_write(store, blob, os.urandom(PIECE)))
    wrote = time.perf_counter() - start
    start = time.perf_counter()
    for key in keys:
        with store.open(key) as f:
            while f.read(PIECE):
                pass
    read = time.perf_counter() - start
    mib = total / 2**20
    print(f"{name:16s} write {mib / wrote:7.1f} MiB/s   read {mib / read:7.1f} MiB/s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=64)
    ap.add_argument("--blob-mib", type=int, default=8)
    args = ap.parse_args()
    total, blob = args.mib * 2**20, args.blob_mib * 2**20
    keyring = Keyring("bench", {"bench": os.urandom(32)})
    with tempfile.TemporaryDirectory() as tmp, s3_server() as s3:
        cfg = S3Config(
            bucket="bench", endpoint_url=s3.url, access_key_id=s3.access_key, secret_access_key=s3.secret_key
        )
        client = make_client(cfg)
        client.create_bucket(Bucket="bench")
        flavours: list[tuple[str, ContentStore]] = [
            ("local", LocalBlobStore(Path(tmp) / "a")),
            ("local-encrypted", LocalBlobStore(Path(tmp) / "b", keyring)),
            ("s3", S3BlobStore(S3Config(**{**cfg.__dict__, "prefix": "plain/"}), client=client)),
            ("s3-encrypted", S3BlobStore(S3Config(**{**cfg.__dict__, "prefix": "enc/"}), keyring, client=client)),
        ]
        print(f"{args.mib} MiB in blobs of {args.blob_mib} MiB, written in {PIECE // 1024} KiB pieces")
        for name, store in flavours:
            _run(name, store, total, blob)
        store = flavours[3][1]
        payload = os.urandom(PIECE)
        tracemalloc.start()
        _write(store, 64 * 2**20, payload)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"one 64 MiB blob to S3, encrypted: Python heap peak {peak / 2**20:.1f} MiB (part size 8 MiB)")


if __name__ == "__main__":
    main()
