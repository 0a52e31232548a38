"""The blob store on an S3-compatible object store (AWS S3, SeaweedFS, MinIO, Ceph RGW, ...), via boto3.

Several gateway processes share one bucket. Writing streams, in parts of ``part_size`` (8 MiB by default),
and never holds more than one part in memory:

* A blob smaller than one part is sent with one ``PutObject`` straight to its final key ``<prefix><sha256>``
  at commit (the hash is known then) — most bijlagen take this path.
* A larger blob goes up as a multipart upload under a temporary key ``<prefix>tmp/<uuid>``: the final key
  is the SHA-256 of the content, which is known only after the last byte, while S3 fixes an upload's key
  when it starts. At commit the upload is completed and copied server-side (``CopyObject``: no bytes pass
  through the gateway again) to the final key, and the temporary object is deleted.
* ``abort()`` (or any failure) aborts the multipart upload, so no parts are left behind. A process killed
  mid-upload leaves an incomplete upload under ``tmp/``: `S3BlobStore.sweep_incomplete` removes those older
  than a day, and a bucket lifecycle rule can do the same (docs/deploy.md).
* When the final key already exists (the same content was stored before) nothing is overwritten.
* Inside the worker's recording (`gateway.store.blobs.recording_created`) a blob is not made visible at
  commit but stored as a staged copy ``<prefix>staged/<key>-<uuid>`` (`_S3Sink.stage`): it becomes
  ``<prefix><key>`` only when a committed row points at it (`S3Backend.promote`, from
  `gateway.store.blob_sweep.settle_created` or the sweep), and a refused exchange's copies are deleted at
  once — S3 has no atomic rename or conditional delete for the local store's take-back
  (docs/assumptions/secrets.md, "Blob hygiene on S3").

Reading is one ranged ``GetObject`` per sequential run, pinned to the object's ETag (``If-Match``), so a
seek (the ZIP reader jumps to the central directory) costs one new request and a read never mixes two
versions of an object.

Errors: a missing object is ``FileNotFoundError`` (as for files); anything else from the store is
`BlobStoreUnavailable` (the worker retries later).
"""

from __future__ import annotations

import datetime as dt
import io
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from gateway.logging import get_logger
from gateway.store.blob_crypto import Keyring
from gateway.store.blob_io import SeekableReader
from gateway.store.blobs import BlobStoreUnavailable, ContentStore, check_key

__all__ = ["MIN_PART", "S3Backend", "S3BlobStore", "S3Config", "make_client"]

log = get_logger(__name__)

MIN_PART = 5 * 1024 * 1024  # S3's smallest part (all but the last)
MAX_COPY = 5 * 1024**3  # a single CopyObject copies at most 5 GiB
_NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchBucket"})


@dataclass(frozen=True)
class S3Config:
    bucket: str
    endpoint_url: str | None = None  # None: AWS itself
    region: str = "us-east-1"
    access_key_id: str | None = None  # None: boto3's own chain (AWS_* variables, instance role, ...)
    secret_access_key: str | None = field(default=None, repr=False)
    prefix: str = ""  # e.g. "gateway/": every key starts with it
    addressing_style: str = "path"  # path | virtual | auto
    part_size: int = 8 * 1024 * 1024
    verify: bool | str = True  # False: no TLS check (never in production); a path: a CA bundle
    create_bucket: bool = False  # create the bucket when `check()` finds it missing
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    max_pool_connections: int = 32  # ≥ the threads that write or read at once


def make_client(cfg: S3Config) -> Any:
    config = Config(
        region_name=cfg.region,
        signature_version="s3v4",
        s3={"addressing_style": cfg.addressing_style},
        retries={"mode": "standard", "max_attempts": 4},
        connect_timeout=cfg.connect_timeout,
        read_timeout=cfg.read_timeout,
        max_pool_connections=cfg.max_pool_connections,
        # S3-compatible stores differ in which newer checksum headers they accept: only when required.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    session = boto3.session.Session()
    return session.client(
        "s3",
        endpoint_url=cfg.endpoint_url,
        aws_access_key_id=cfg.access_key_id,
        aws_secret_access_key=cfg.secret_access_key,
        verify=cfg.verify,
        config=config,
    )


def _code(exc: ClientError) -> str:
    err = exc.response.get("Error", {})
    return str(err.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


def _unavailable(what: str, exc: Exception) -> BlobStoreUnavailable:
    detail = _code(exc) if isinstance(exc, ClientError) else type(exc).__name__
    log.warning("blobstore_fout", actie=what, fout=detail)
    return BlobStoreUnavailable(f"objectopslag: {what} mislukt ({detail})")


class _S3Reader(SeekableReader):
    """Seekable read-only view of one object: one streaming GET per sequential run, pinned to its ETag."""

    def __init__(self, client: Any, bucket: str, key: str, size: int, etag: str) -> None:
        super().__init__()
        self._c, self._bucket, self._key = client, bucket, key
        self.size, self._etag = size, etag
        self._pos = 0
        self._body: Any = None

    def _moved_to(self, pos: int) -> None:
        self._drop()  # the open range belongs to the old position
        self._pos = pos

    def _drop(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]  # io's stub takes any WriteableBuffer; BufferedReader hands us a memoryview
        if self._pos >= self.size or len(buffer) == 0:
            return 0
        try:
            if self._body is None:
                resp = self._c.get_object(
                    Bucket=self._bucket, Key=self._key, Range=f"bytes={self._pos}-", IfMatch=self._etag
                )
                self._body = resp["Body"]
            data = self._body.read(min(len(buffer), self.size - self._pos))
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                raise FileNotFoundError(self._key) from None
            raise _unavailable("lezen", exc) from None
        except (BotoCoreError, OSError) as exc:
            raise _unavailable("lezen", exc) from None
        if not data:
            raise BlobStoreUnavailable(f"objectopslag: {self._key} eindigde na {self._pos} van {self.size} bytes")
        n = len(data)
        buffer[:n] = data
        self._pos += n
        return n

    def close(self) -> None:
        self._drop()
        super().close()


class _S3Sink:
    def __init__(self, backend: S3Backend) -> None:
        self._b = backend
        self._buf = bytearray()
        self._tmp: str | None = None
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._completed = False
        self._sent = 0

    def write(self, data: bytes) -> None:
        self._buf += data
        if len(self._buf) >= self._b.part_size:
            self._send_part()

    def _send_part(self) -> None:
        c, bucket = self._b.client, self._b.bucket
        try:
            if self._upload_id is None:
                self._tmp = f"{self._b.prefix}tmp/{uuid.uuid4().hex}"
                self._upload_id = c.create_multipart_upload(Bucket=bucket, Key=self._tmp)["UploadId"]
            number = len(self._parts) + 1
            resp = c.upload_part(
                Bucket=bucket, Key=self._tmp, UploadId=self._upload_id, PartNumber=number, Body=bytes(self._buf)
            )
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable("schrijven", exc) from None
        self._parts.append({"PartNumber": number, "ETag": resp["ETag"]})
        self._sent += len(self._buf)
        self._buf.clear()

    def commit(self, key: str) -> None:
        b = self._b
        final = b.object_key(key)
        try:
            if self._upload_id is None:
                if not b.touch(key):
                    b.client.put_object(Bucket=b.bucket, Key=final, Body=bytes(self._buf))
                self._buf.clear()
                return
            if self._buf:
                self._send_part()
            b.client.complete_multipart_upload(
                Bucket=b.bucket, Key=self._tmp, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts}
            )
            self._completed = True
            if not b.touch(key):
                source = {"Bucket": b.bucket, "Key": self._tmp}
                if self._sent < MAX_COPY:
                    b.client.copy_object(Bucket=b.bucket, Key=final, CopySource=source)
                else:  # a managed multipart copy, still server-side
                    b.client.copy(source, b.bucket, final)
            b.client.delete_object(Bucket=b.bucket, Key=self._tmp)
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable("vastleggen", exc) from None

    def stage(self, key: str) -> str:
        """Store the blob under a name of this writer's own, ``<prefix>staged/<key>-<uuid>``, instead of
        making it visible: an exchange's bijlagen become visible only when its outcome commits a row that
        points at them (`S3Backend.promote`); until then nobody else can see, renew or depend on the copy,
        so a refusal can delete it at once (`gateway.store.blob_sweep.settle_created`)."""
        b = self._b
        name = b.staged_name(key)
        try:
            if self._upload_id is None:
                b.client.put_object(Bucket=b.bucket, Key=name, Body=bytes(self._buf))
                self._buf.clear()
                return name
            if self._buf:
                self._send_part()
            b.client.complete_multipart_upload(
                Bucket=b.bucket, Key=self._tmp, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts}
            )
            self._completed = True
            source = {"Bucket": b.bucket, "Key": self._tmp}
            if self._sent < MAX_COPY:
                b.client.copy_object(Bucket=b.bucket, Key=name, CopySource=source)
            else:
                b.client.copy(source, b.bucket, name)
            b.client.delete_object(Bucket=b.bucket, Key=self._tmp)
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable("klaarzetten", exc) from None
        return name

    def replace(self, key: str) -> None:
        """Overwrite the object under ``key`` (one PUT or one server-side COPY: S3 replaces atomically)."""
        b = self._b
        final = b.object_key(key)
        try:
            if self._upload_id is None:
                b.client.put_object(Bucket=b.bucket, Key=final, Body=bytes(self._buf))
                self._buf.clear()
                return
            if self._buf:
                self._send_part()
            b.client.complete_multipart_upload(
                Bucket=b.bucket, Key=self._tmp, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts}
            )
            self._completed = True
            b.client.copy_object(Bucket=b.bucket, Key=final, CopySource={"Bucket": b.bucket, "Key": self._tmp})
            b.client.delete_object(Bucket=b.bucket, Key=self._tmp)
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable("vervangen", exc) from None

    def abort(self) -> None:
        self._buf.clear()
        if self._tmp is None:
            return
        b = self._b
        try:
            if self._completed:
                b.client.delete_object(Bucket=b.bucket, Key=self._tmp)
            else:
                b.client.abort_multipart_upload(Bucket=b.bucket, Key=self._tmp, UploadId=self._upload_id)
        except (BotoCoreError, ClientError) as exc:  # the sweep or the lifecycle rule removes it later
            log.warning("blobstore_opruimen_mislukt", fout=type(exc).__name__)
        self._tmp = None


class S3Backend:
    """Objects under ``<prefix><sha256>`` in one bucket; uploads in progress under ``<prefix>tmp/``."""

    writes_wait = True  # every blob is an upload over the network

    def __init__(self, cfg: S3Config, client: Any | None = None) -> None:
        if cfg.part_size < MIN_PART:
            raise ValueError(f"part_size must be at least {MIN_PART} bytes")
        self.cfg = cfg
        self.client = client if client is not None else make_client(cfg)
        self.bucket, self.prefix, self.part_size = cfg.bucket, cfg.prefix, cfg.part_size

    def object_key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def sink(self) -> _S3Sink:
        return _S3Sink(self)

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                return None
            raise _unavailable("opvragen", exc) from None
        except BotoCoreError as exc:
            raise _unavailable("opvragen", exc) from None

    def open_raw(self, key: str) -> tuple[BinaryIO, int]:
        head = self._head(key)
        if head is None:
            raise FileNotFoundError(key)
        size = int(head["ContentLength"])
        raw = _S3Reader(self.client, self.bucket, self.object_key(key), size, head["ETag"])
        return io.BufferedReader(raw, 256 * 1024), size

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable("verwijderen", exc) from None

    def check(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND and self.cfg.create_bucket:
                self.client.create_bucket(Bucket=self.bucket)
                log.info("blobstore_bucket_aangemaakt", bucket=self.bucket)
                self._await_writable()
                return
            raise _unavailable("bucket controleren", exc) from None
        except BotoCoreError as exc:
            raise _unavailable("bucket controleren", exc) from None

    def _await_writable(self, attempts: int = 40, wait: float = 0.25) -> None:
        """A bucket just made may refuse writes for a while (SeaweedFS grows volumes for its collection first
        and answers InternalError meanwhile, or for good when it has no room for them): ready means a probe
        object with content (an empty one needs no volume) can be written and removed."""
        probe = f"{self.prefix}tmp/probe-{uuid.uuid4().hex}"
        for attempt in range(1, attempts + 1):
            try:
                self.client.put_object(Bucket=self.bucket, Key=probe, Body=b"probe")
                self.client.delete_object(Bucket=self.bucket, Key=probe)
                return
            except (BotoCoreError, ClientError) as exc:
                if attempt == attempts:
                    raise _unavailable("nieuwe bucket beschrijven", exc) from None
                time.sleep(wait)

    def keys(self) -> Iterator[str]:
        for name, _ in self.aged_keys():
            yield name

    def aged_keys(self) -> Iterator[tuple[str, dt.datetime]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for obj in page.get("Contents", []):
                name = obj["Key"][len(self.prefix) :]
                if "/" not in name and len(name) == 64:
                    yield name, obj["LastModified"]

    def modified(self, key: str) -> dt.datetime | None:
        head = self._head(key)
        return None if head is None else head["LastModified"]

    # -- staged copies (`_S3Sink.stage`): ``<prefix>staged/<key>-<uuid>``, outside ``tmp/`` on purpose: a
    # lifecycle rule that expires ``tmp/`` must not remove a copy a committed row waits for
    def staged_name(self, key: str) -> str:
        return f"{self.prefix}staged/{check_key(key)}-{uuid.uuid4().hex}"

    def _staged_key(self, name: str) -> str:
        """The blob key of a staged copy's name; KeyError for a name that is no staged copy."""
        start = f"{self.prefix}staged/"
        if not name.startswith(start) or name[len(start) + 64 : len(start) + 65] != "-":
            raise KeyError(name)
        return check_key(name[len(start) : len(start) + 64])

    def open_staged(self, name: str) -> tuple[BinaryIO, int]:
        self._staged_key(name)
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=name)
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                raise FileNotFoundError(name) from None
            raise _unavailable("opvragen", exc) from None
        except BotoCoreError as exc:
            raise _unavailable("opvragen", exc) from None
        size = int(head["ContentLength"])
        return io.BufferedReader(_S3Reader(self.client, self.bucket, name, size, head["ETag"]), 256 * 1024), size

    def delete_staged(self, name: str) -> None:
        self._staged_key(name)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=name)
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable("verwijderen", exc) from None

    def promote(self, key: str, name: str) -> None:
        """Make the staged copy ``name`` visible as ``key``, then delete the copy. When the blob is already
        visible (the same content stored by others, or a promotion that ran before) it is renewed instead
        (`touch`: the orphan sweep's grace period starts again). Idempotent, so the sweep can run it again
        after a crash; a copy that is gone while the blob is visible was promoted already."""
        if self._staged_key(name) != key:
            raise KeyError(name)
        try:
            if not self.touch(key):
                try:
                    self.client.copy_object(
                        Bucket=self.bucket, Key=self.object_key(key), CopySource={"Bucket": self.bucket, "Key": name}
                    )
                except ClientError as exc:
                    if _code(exc) not in _NOT_FOUND or not self.exists(key):
                        raise
            self.client.delete_object(Bucket=self.bucket, Key=name)
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable("zichtbaar maken", exc) from None

    def staged_copy(self, key: str) -> str | None:
        """The name of one staged copy of ``key``, if any (a reader's fallback while a promotion is due)."""
        try:
            resp = self.client.list_objects_v2(
                Bucket=self.bucket, Prefix=f"{self.prefix}staged/{check_key(key)}-", MaxKeys=1
            )
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable("opvragen", exc) from None
        found = resp.get("Contents") or []
        return str(found[0]["Key"]) if found else None

    def staged_blobs(self) -> Iterator[tuple[str, str, dt.datetime]]:
        """Every staged copy: (key, name, written at)."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{self.prefix}staged/"
        )
        for page in pages:
            for obj in page.get("Contents", []):
                try:
                    key = self._staged_key(obj["Key"])
                except KeyError:
                    continue
                yield key, obj["Key"], obj["LastModified"]

    def touch(self, key: str) -> bool:
        """Start the orphan sweep's grace period again for content stored before (a server-side copy onto
        itself: S3 has no other way to renew LastModified; the bytes stay). False when there is no such
        object (the caller writes it)."""
        final = self.object_key(key)
        try:
            self.client.copy_object(
                Bucket=self.bucket,
                Key=final,
                CopySource={"Bucket": self.bucket, "Key": final},
                MetadataDirective="REPLACE",
                Metadata={"touched": dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")},
            )
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                return False
            raise
        return True

    def sweep_incomplete(self, older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
        """Abort uploads and delete temporary objects under ``tmp/`` older than ``older_than``.

        Safe while other processes write: their uploads are younger than the threshold.
        """
        cutoff = dt.datetime.now(dt.UTC) - older_than
        tmp = f"{self.prefix}tmp/"
        n = 0
        for page in self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket, Prefix=tmp):
            for up in page.get("Uploads", []):
                if up["Initiated"] < cutoff:
                    self.client.abort_multipart_upload(Bucket=self.bucket, Key=up["Key"], UploadId=up["UploadId"])
                    n += 1
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=tmp):
            for obj in page.get("Contents", []):
                if obj["LastModified"] < cutoff:
                    self.client.delete_object(Bucket=self.bucket, Key=obj["Key"])
                    n += 1
        return n


class S3BlobStore(ContentStore):
    """The blob store on an S3-compatible object store."""

    def __init__(
        self, cfg: S3Config, keyring: Keyring | None = None, *, allow_plaintext: bool = False, client: Any = None
    ) -> None:
        self.s3 = S3Backend(cfg, client)
        super().__init__(self.s3, keyring, allow_plaintext=allow_plaintext)

    def sweep_incomplete(self, older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
        return self.s3.sweep_incomplete(older_than)
