"""Benchmark: serving recordings from S3 — ranges read only their bytes, downloads stay flat.

    .venv/bin/python bench/streaming.py [--hours 2] [--download-mb 1000] [--rounds 3]

Targets (issue 8 item 12):
  (1) a 64 KiB range from the middle of a 2-hour recording reads about 64 KiB from storage;
  (2) a full 1 GB download keeps the peak RSS growth of the serving process <= 50 MB;
  (3) throughput of that download against a direct boto3 download of the same object.

Sets everything up itself: a fresh ``moto_server`` on a free loopback port (TRAPS.md: moto
keeps every object in memory, so it is started per run and the objects are deleted at the end),
a counting TCP proxy in front of it (bytes from the endpoint = what storage sent), PostgreSQL
(``DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/hp_h8_bench_streaming``,
created when missing, migrated), a tenant with an admin and two recordings: a 2-hour 8 kHz
16-bit WAV (115.2 MB) and a 1 GB object. Requests go through Django's full request handler
(``django.test.Client``: middleware, session login, the view, the audit) into the menu's
``t/<slug>/recordings/<id>/audio/``; the streamed body is consumed chunk by chunk as a WSGI
server would. Peak RSS is the kernel's ``VmHWM`` of this process, reset before each
measurement (``/proc/self/clear_refs``), so setup and uploads do not count.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import socket
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.recordings.faultkit import MotoServer, TcpProxy  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/hp_h8_bench_streaming"
BUCKET = "bench-streaming"
REGION = "eu-central-1"
KIB = 1024
MB = 1_000_000


def log(message):
    print(message, flush=True)


class CountingProxy(TcpProxy):
    """The fault kit's proxy, also counting the bytes that come back from the endpoint."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.bytes_down = 0
        self.requests_seen = 0

    def _pump(self, src, dst, pair, up):
        if up:
            return super()._pump(src, dst, pair, up)
        try:
            while True:
                data = src.recv(64 * KIB)
                if not data:
                    break
                with self._lock:
                    self.bytes_down += len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in pair:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()


def ensure_database(url: str) -> None:
    import subprocess

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
            "-U", parts.username or "postgres"]
    found = subprocess.run(["psql", *args, "-d", "postgres", "-tAc",
                            f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
                           capture_output=True, text=True)
    if found.returncode != 0:
        raise SystemExit(f"PostgreSQL is not reachable at {url}: {found.stderr.strip()}")
    if found.stdout.strip() != "1":
        subprocess.run(["createdb", *args, name], check=True)


def rss_reset() -> None:
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def rss_kib(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


def write_wav(path: Path, seconds: int, rate: int = 8000) -> Path:
    """A 16-bit mono PCM WAV of ``seconds`` with deterministic, non-repeating samples."""
    import struct

    data_size = seconds * rate * 2
    header = (b"RIFF" + struct.pack("<I", 36 + data_size) + b"WAVEfmt "
              + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
              + b"data" + struct.pack("<I", data_size))
    write_bytes(path, data_size, header)
    return path


def write_bytes(path: Path, size: int, header: bytes = b"") -> Path:
    block = hashlib.sha256(b"seed").digest() * (64 * KIB // 32)
    with open(path, "wb") as fh:
        fh.write(header)
        left, n = size, 0
        while left > 0:
            n += 1
            chunk = hashlib.sha256(n.to_bytes(8, "little")).digest() + block[32:]
            fh.write(chunk[:left])
            left -= min(left, len(chunk))
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def make_recording(tenant, *, key: str, path: Path, seconds: float, extension=".wav"):
    from django.utils import timezone

    from recordings.models import Call, Ingest, Recording

    call = Call.unscoped.create(tenant=tenant, call_id=f"bench-{uuid.uuid4().hex[:12]}",
                                extension="201", direction="inbound",
                                started_at=timezone.now())
    digest = sha256_of(path)
    ingest = Ingest.unscoped.create(tenant=tenant, source="push", call_id=call.call_id,
                                    extension="201", sha256=digest, size=path.stat().st_size,
                                    status="stored")
    return Recording.unscoped.create(
        tenant=tenant, call=call, pbx_call_id=call.call_id, ingest=ingest, extension="201",
        direction="inbound", remote_number="+49301234567", started_at=call.started_at,
        duration=seconds, kind="auto", sha256=digest, size=path.stat().st_size,
        storage_key=key, container="wav", codec="pcm_s16le", sample_rate=8000, channels=1,
        mime_type="audio/wav", file_extension=extension)


def consume(response) -> tuple[int, float]:
    """Read a (streaming) response to the end as a WSGI server would; (bytes, seconds)."""
    started = time.perf_counter()
    total = 0
    for chunk in response.streaming_content:
        total += len(chunk)
    response.close()
    return total, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, default=2)
    parser.add_argument("--download-mb", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    ensure_database(database_url)
    moto = MotoServer().start()
    proxy = CountingProxy("127.0.0.1", moto.port).start()
    os.environ.update({
        "DATABASE_URL": database_url, "S3_ENDPOINT_URL": proxy.url, "S3_BUCKET": BUCKET,
        "S3_REGION": REGION, "S3_ACCESS_KEY_ID": "bench", "S3_SECRET_ACCESS_KEY": "bench",
        "DJANGO_SETTINGS_MODULE": "hostedpbx.settings", "HTTPS": "0",
    })
    import tempfile

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from recordings.storage import s3_client
    from tenancy import services as tenancy

    call_command("migrate", verbosity=0)
    client_s3 = s3_client()
    client_s3.create_bucket(Bucket=BUCKET,
                            CreateBucketConfiguration={"LocationConstraint": REGION})
    keys = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-streaming-") as tmp:
            slug = f"bench-{uuid.uuid4().hex[:8]}"
            tenant = tenancy.create_tenant(actor=None, slug=slug, name=f"Bench {slug}")
            membership = tenancy.create_portal_user(actor=None, tenant=tenant,
                                                    username=f"admin-{slug}", password=None,
                                                    role="admin")
            browser = Client(HTTP_HOST="localhost")
            browser.force_login(membership.user)

            seconds = int(args.hours * 3600)
            long_path = write_wav(Path(tmp) / "long.wav", seconds)
            long_key = f"tenants/{tenant.pk}/recordings/bench/{uuid.uuid4()}.wav"
            client_s3.upload_file(str(long_path), BUCKET, long_key)
            keys.append(long_key)
            long_rec = make_recording(tenant, key=long_key, path=long_path, seconds=seconds)
            size = long_path.stat().st_size
            long_path.unlink()
            url = f"/t/{slug}/recordings/{long_rec.pk}/audio/"

            # (1) a 64 KiB range from the middle
            log(f"(1) 64 KiB range from the middle of a {args.hours:g}-hour recording "
                f"({size / MB:.1f} MB)")
            middle = size // 2
            for round_ in range(args.rounds):
                proxy.bytes_down = 0
                response = browser.get(url, HTTP_RANGE=f"bytes={middle}-{middle + 64 * KIB - 1}")
                got, took = consume(response)
                assert response.status_code == 206 and got == 64 * KIB, (response.status_code,
                                                                         got)
                log(f"    round {round_ + 1}: served {got} B, read from storage "
                    f"{proxy.bytes_down} B (incl. HTTP headers) = "
                    f"{proxy.bytes_down / (64 * KIB):.3f}x the range, {took * 1000:.1f} ms")

            # (2) + (3) a full download of a big object
            big_path = write_bytes(Path(tmp) / "big.wav", args.download_mb * MB)
            big_key = f"tenants/{tenant.pk}/recordings/bench/{uuid.uuid4()}.wav"
            client_s3.upload_file(str(big_path), BUCKET, big_key)
            keys.append(big_key)
            big_rec = make_recording(tenant, key=big_key, path=big_path, seconds=3600)
            big_sha = big_rec.sha256
            big_path.unlink()
            big_url = f"/t/{slug}/recordings/{big_rec.pk}/audio/?download=1"
            log(f"(2)+(3) full download of {args.download_mb} MB: the menu's ?download=1 "
                "against boto3 get_object (same endpoint, same proxy)")
            for round_ in range(args.rounds):
                rss_reset()
                before = rss_kib("VmRSS")
                response = browser.get(big_url)
                digest = hashlib.sha256()
                started = time.perf_counter()
                total = 0
                for chunk in response.streaming_content:
                    digest.update(chunk)
                    total += len(chunk)
                response.close()
                ours = time.perf_counter() - started
                growth = rss_kib("VmHWM") - before
                assert total == args.download_mb * MB and digest.hexdigest() == big_sha

                started = time.perf_counter()
                body = client_s3.get_object(Bucket=BUCKET, Key=big_key)["Body"]
                direct_digest = hashlib.sha256()
                for chunk in body.iter_chunks(256 * KIB):
                    direct_digest.update(chunk)
                direct = time.perf_counter() - started
                assert direct_digest.hexdigest() == big_sha
                log(f"    round {round_ + 1}: peak RSS growth {growth / 1024:.1f} MB; "
                    f"download {total / MB / ours:.0f} MB/s vs boto3 "
                    f"{total / MB / direct:.0f} MB/s (ratio {direct / ours:.2f}; "
                    "both hash every byte)")
    finally:
        for key in keys:
            with contextlib.suppress(Exception):
                client_s3.delete_object(Bucket=BUCKET, Key=key)
        proxy.down()
        moto.stop()


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
