"""The recordings store: S3 through boto3 when ``settings.S3_BUCKET`` is set, else local files.

Audio is never read through django-storages (its ``open()`` downloads whole objects, see
docs/ingest.md): ranges are fetched with ``get_object(Range=...)`` and streamed in chunks.
Every write requests server-side encryption (``settings.S3_SSE``) on S3; the local backend
writes atomically (temporary file, fsync, rename).

``get_store()`` is cheap: the boto3 client is built once per process and configuration
(clients are thread-safe, sessions are not) and rebuilt after a fork.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from .conf import setting

log = logging.getLogger(__name__)

CHUNK_SIZE = 256 * 1024
# Below this a file goes up in one PUT (no thread pool); above it as a multipart upload.
MULTIPART_THRESHOLD = 64 * 1024 * 1024
MULTIPART_CHUNKSIZE = 64 * 1024 * 1024


# What S3, MinIO and Ceph answer when the bytes differ from the checksum sent with them.
CHECKSUM_REFUSED = frozenset({"BadDigest", "XAmzContentChecksumMismatch", "InvalidDigest"})


class ObjectMissing(Exception):
    """The named object does not exist."""


class ChecksumMismatch(Exception):
    """The store refused an upload: its bytes differ from the SHA-256 sent with them."""


@dataclass
class ObjectInfo:
    key: str
    size: int
    metadata: dict = field(default_factory=dict)
    content_type: str = ""
    etag: str = ""
    last_modified: datetime | None = None


@dataclass
class RangeBody:
    """Part of an object: ``chunks`` yields bytes; ``length`` is how many, ``total`` the size
    of the whole object. Call ``close()`` when not reading to the end."""

    chunks: Iterator[bytes]
    length: int
    total: int
    content_type: str = ""
    _close: object = None

    def close(self):
        if callable(self._close):
            self._close()


def recording_key(*, tenant_id: int, started_at: datetime, ingest_id, extension: str) -> str:
    """The deterministic, tenant-scoped key of a recording's audio."""
    started = started_at.astimezone(UTC)
    return (f"tenants/{tenant_id}/recordings/{started:%Y}/{started:%m}/{ingest_id}"
            f"{extension or ''}")


def staging_key(*, tenant_id: int, ingest_id, extension: str) -> str:
    """Where a push waits in the store when ``INGEST_STAGE_IN_STORE`` is on."""
    return f"staging/{tenant_id}/{ingest_id}{extension or ''}"


class S3Store:
    kind = "s3"

    @property
    def verifies_checksums(self) -> bool:
        """Does the store check the ``x-amz-checksum-sha256`` sent with a PUT against the
        bytes (AWS S3, MinIO, Ceph RGW do; moto stores it unchecked)?"""
        return bool(setting("S3_VERIFIES_CHECKSUMS"))

    def __init__(self, client, bucket: str, sse: str = ""):
        self.client = client
        self.bucket = bucket
        self.sse = sse

    def _extra(self, content_type="", metadata=None) -> dict:
        extra = {}
        if self.sse:
            extra["ServerSideEncryption"] = self.sse
        if content_type:
            extra["ContentType"] = content_type
        if metadata:
            extra["Metadata"] = {str(k): str(v) for k, v in metadata.items()}
        return extra

    def put_file(self, key: str, path, *, content_type: str = "", metadata=None,
                 progress=None, confirm_last=None, sha256: str = "") -> None:
        """Upload ``path``; ``progress(bytes)`` is called as the bytes go (an exception it
        raises ends a single PUT before it completes and aborts a multipart upload).

        ``sha256`` (hex), when the caller knows what the bytes must be, goes with a single
        PUT as the object's ``x-amz-checksum-sha256``: the store verifies it against the
        bytes it received and refuses the object otherwise (:class:`ChecksumMismatch`), and
        the client does not hash the bytes again (no payload signature, no CRC32; see
        :func:`s3_client`). A multipart upload keeps botocore's per-part checksums.

        ``confirm_last()`` is called once the last bytes have been read and before they are
        handed to the connection (a single PUT), or as the last part's bytes are read (a
        multipart upload, before it is completed): an exception it raises stops the upload
        before the object exists. The ingest reads the caller's consent there, so that an
        objection cannot slip in between the last check and the last byte.
        """
        extra = self._extra(content_type, metadata)
        size = os.path.getsize(path)
        if size < MULTIPART_THRESHOLD:
            if sha256:
                extra["ChecksumAlgorithm"] = "SHA256"
                extra["ChecksumSHA256"] = base64.b64encode(bytes.fromhex(sha256)).decode()
            with open(path, "rb") as fh:
                body = (_ProgressReader(fh, progress, size=size, confirm_last=confirm_last)
                        if progress or confirm_last else fh)
                try:
                    self.client.put_object(Bucket=self.bucket, Key=key, Body=body,
                                           ContentLength=size, **extra)
                except Exception as exc:
                    if sha256 and _code(exc) in CHECKSUM_REFUSED:
                        raise ChecksumMismatch(key, _code(exc)) from exc
                    raise
        else:
            # With a callback the parts go up in this thread, so that the callback may use
            # this thread's database connection.
            callback = progress
            if confirm_last is not None:
                callback = _LastPartGuard(progress, size=size, confirm_last=confirm_last)
            self.client.upload_file(str(path), self.bucket, key, ExtraArgs=extra,
                                    Config=_transfer_config(threads=callback is None),
                                    Callback=callback)

    def copy(self, source_key: str, key: str, *, content_type: str = "", metadata=None) -> None:
        extra = self._extra(content_type, metadata)
        extra["MetadataDirective"] = "REPLACE"
        self.client.copy({"Bucket": self.bucket, "Key": source_key}, self.bucket, key,
                         ExtraArgs=extra, Config=_transfer_config())

    def head(self, key: str) -> ObjectInfo | None:
        from botocore.exceptions import ClientError

        try:
            response = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _status(exc) == 404 or _code(exc) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return ObjectInfo(key=key, size=response["ContentLength"],
                          metadata=response.get("Metadata", {}),
                          content_type=response.get("ContentType", ""),
                          etag=response.get("ETag", "").strip('"'),
                          last_modified=response.get("LastModified"))

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def purge(self, key: str) -> None:
        """Delete every version of ``key`` (a plain delete on a versioned bucket would only
        hide the audio behind a delete marker). Refused deletions (Object Lock) raise."""
        from botocore.exceptions import ClientError

        try:
            versions = []
            paginator = self.client.get_paginator("list_object_versions")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=key):
                for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
                    if item["Key"] == key:
                        versions.append(item["VersionId"])
        except ClientError as exc:
            if _status(exc) not in (403, 501):
                raise
            versions = []
        for version in versions:
            self.client.delete_object(Bucket=self.bucket, Key=key, VersionId=version)
        if not versions:
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def download_file(self, key: str, path) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.download_file(self.bucket, key, str(path), Config=_transfer_config())
        except ClientError as exc:
            if _status(exc) == 404 or _code(exc) in ("404", "NoSuchKey", "NotFound"):
                raise ObjectMissing(key) from exc
            raise

    def read_small(self, key: str, limit: int) -> bytes:
        """The whole object when it is at most ``limit`` bytes (sidecars); raises ValueError
        when it is larger."""
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _status(exc) == 404 or _code(exc) in ("NoSuchKey", "404"):
                raise ObjectMissing(key) from exc
            raise
        body = response["Body"]
        try:
            if response["ContentLength"] > limit:
                raise ValueError(f"{key} is larger than {limit} bytes")
            return body.read()
        finally:
            body.close()

    def get_range(self, key: str, start: int = 0, end: int | None = None) -> RangeBody:
        """Bytes ``start``..``end`` (inclusive; ``end=None`` means to the end), streamed."""
        from botocore.exceptions import ClientError

        byte_range = f"bytes={start}-{'' if end is None else end}"
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key, Range=byte_range)
        except ClientError as exc:
            if _status(exc) == 404 or _code(exc) in ("NoSuchKey", "404"):
                raise ObjectMissing(key) from exc
            raise
        body = response["Body"]
        length = response["ContentLength"]
        total = length
        content_range = response.get("ContentRange", "")
        if "/" in content_range:
            total = int(content_range.rsplit("/", 1)[1])

        def chunks():
            try:
                yield from body.iter_chunks(CHUNK_SIZE)
            finally:
                body.close()

        return RangeBody(chunks=chunks(), length=length, total=total,
                         content_type=response.get("ContentType", ""), _close=body.close)

    def iter_objects(self, prefix: str) -> Iterator[ObjectInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield ObjectInfo(key=item["Key"], size=item["Size"],
                                 etag=item.get("ETag", "").strip('"'),
                                 last_modified=item.get("LastModified"))


class LocalStore:
    """Files under ``root``; object metadata is not kept (``head`` reports the size only)."""

    kind = "local"
    verifies_checksums = True  # put_file(sha256=...) hashes what it copies

    def __init__(self, root):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        if not key or key.startswith("/") or ".." in Path(key).parts:
            raise ValueError(f"invalid key {key!r}")
        return self.root / key

    def put_file(self, key: str, path, *, content_type: str = "", metadata=None,
                 progress=None, confirm_last=None, sha256: str = "") -> None:
        """Like :meth:`S3Store.put_file`: with ``sha256`` the bytes are checked on their way
        in, and different bytes raise :class:`ChecksumMismatch` (nothing is written)."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        digest = hashlib.sha256() if sha256 else None
        try:
            with open(path, "rb") as src, open(tmp, "wb") as dst:
                while chunk := src.read(1024 * 1024):
                    if progress is not None:
                        progress(len(chunk))
                    if digest is not None:
                        digest.update(chunk)
                    dst.write(chunk)
                if digest is not None and digest.hexdigest() != sha256:
                    raise ChecksumMismatch(key, "BadDigest")
                dst.flush()
                os.fsync(dst.fileno())
                if confirm_last is not None:
                    confirm_last()  # before the object appears under its key
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        fsync_dir(target.parent)

    def copy(self, source_key: str, key: str, *, content_type: str = "", metadata=None) -> None:
        source = self.path(source_key)
        if not source.exists():
            raise ObjectMissing(source_key)
        self.put_file(key, source)

    def head(self, key: str) -> ObjectInfo | None:
        try:
            stat = self.path(key).stat()
        except FileNotFoundError:
            return None
        return ObjectInfo(key=key, size=stat.st_size,
                          last_modified=datetime.fromtimestamp(stat.st_mtime, tz=UTC))

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    purge = delete

    def download_file(self, key: str, path) -> None:
        source = self.path(key)
        if not source.exists():
            raise ObjectMissing(key)
        with open(source, "rb") as src, open(path, "wb") as dst:
            while chunk := src.read(1024 * 1024):
                dst.write(chunk)

    def read_small(self, key: str, limit: int) -> bytes:
        source = self.path(key)
        try:
            if source.stat().st_size > limit:
                raise ValueError(f"{key} is larger than {limit} bytes")
            return source.read_bytes()
        except FileNotFoundError as exc:
            raise ObjectMissing(key) from exc

    def get_range(self, key: str, start: int = 0, end: int | None = None) -> RangeBody:
        source = self.path(key)
        try:
            fh = open(source, "rb")  # noqa: SIM115 - closed by the generator or close()
        except FileNotFoundError as exc:
            raise ObjectMissing(key) from exc
        total = os.fstat(fh.fileno()).st_size
        last = total - 1 if end is None else min(end, total - 1)
        length = max(0, last - start + 1)

        def chunks():
            try:
                fh.seek(start)
                remaining = length
                while remaining > 0:
                    data = fh.read(min(CHUNK_SIZE, remaining))
                    if not data:
                        break
                    remaining -= len(data)
                    yield data
            finally:
                fh.close()

        return RangeBody(chunks=chunks(), length=length, total=total, _close=fh.close)

    def iter_objects(self, prefix: str) -> Iterator[ObjectInfo]:
        base = self.root
        if not base.exists():
            return
        for dirpath, _dirs, files in os.walk(base):
            for name in sorted(files):
                if name.startswith("."):
                    continue
                full = Path(dirpath) / name
                key = full.relative_to(base).as_posix()
                if key.startswith(prefix):
                    stat = full.stat()
                    yield ObjectInfo(key=key, size=stat.st_size,
                                     last_modified=datetime.fromtimestamp(stat.st_mtime, tz=UTC))


class _ProgressReader:
    """A file for ``put_object`` that reports each read to ``progress`` and, before handing
    over the read that reaches the end, asks ``confirm_last``."""

    def __init__(self, fh, progress=None, *, size: int, confirm_last=None):
        self._fh = fh
        self._progress = progress
        self._size = size
        self._confirm_last = confirm_last

    def read(self, size=-1):
        data = self._fh.read(size)
        if data:
            if self._progress is not None:
                self._progress(len(data))
            if self._confirm_last is not None and self._fh.tell() >= self._size:
                self._confirm_last()
        return data

    def seek(self, offset, whence=0):
        return self._fh.seek(offset, whence)

    def tell(self):
        return self._fh.tell()


class _LastPartGuard:
    """A transfer-manager callback: ``progress`` for every read, and ``confirm_last`` once the
    reads reach the end of the file (the last part, before the upload is completed). A retry
    rewinds with a negative amount and confirms again."""

    def __init__(self, progress, *, size: int, confirm_last):
        self._progress = progress
        self._size = size
        self._confirm_last = confirm_last
        self._sent = 0

    def __call__(self, amount: int) -> None:
        self._sent += amount
        if self._progress is not None:
            self._progress(amount)
        if amount > 0 and self._sent >= self._size:
            self._confirm_last()


def fsync_dir(path) -> None:
    """Make a rename or new file in ``path`` durable (no-op where directories cannot be
    opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _status(exc) -> int | None:
    return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


def _code(exc) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _transfer_config(threads: bool = True):
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(multipart_threshold=MULTIPART_THRESHOLD,
                          multipart_chunksize=MULTIPART_CHUNKSIZE, max_concurrency=4,
                          use_threads=threads)


_clients: dict = {}
_clients_lock = threading.Lock()


def s3_client():
    """The process's boto3 S3 client for the current settings."""
    key = (os.getpid(), settings.S3_ENDPOINT_URL, settings.S3_REGION, settings.S3_ACCESS_KEY_ID,
           settings.S3_SECRET_ACCESS_KEY)
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                import boto3
                from botocore.config import Config

                config = Config(
                    retries={"max_attempts": 3, "mode": "standard"},
                    connect_timeout=setting("S3_CONNECT_TIMEOUT"),
                    read_timeout=setting("S3_READ_TIMEOUT"),
                    max_pool_connections=32,
                    # Bodies are not hashed for the signature (UNSIGNED-PAYLOAD, as boto3 does
                    # over TLS): every PUT carries a signed checksum header instead, the
                    # received SHA-256 for recordings (put_file) or botocore's CRC32, which
                    # the store verifies. One pass less over every byte on plain HTTP.
                    s3={"addressing_style": "path" if settings.S3_ENDPOINT_URL else "auto",
                        "payload_signing_enabled": bool(setting("S3_SIGN_PAYLOAD"))},
                )
                client = boto3.session.Session().client(
                    "s3", endpoint_url=settings.S3_ENDPOINT_URL, region_name=settings.S3_REGION,
                    aws_access_key_id=settings.S3_ACCESS_KEY_ID,
                    aws_secret_access_key=settings.S3_SECRET_ACCESS_KEY, config=config,
                )
                _clients[key] = client
    return client


def local_root() -> Path:
    return Path(setting("RECORDINGS_LOCAL_DIR") or settings.VAR_DIR / "recordings")


def get_store():
    """The store for the current settings: S3 when ``S3_BUCKET`` is set, else local files."""
    if settings.S3_BUCKET:
        return S3Store(s3_client(), settings.S3_BUCKET, getattr(settings, "S3_SSE", ""))
    return LocalStore(local_root())
