"""Benchmark: end-to-end ingest against plain boto3 uploads of the same files, side by side.

    .venv/bin/python bench/ingest.py [--n 200] [--hours 2] [--clients 4] [--rounds 2]
                                     [--concurrency 2] [--s3-mbps X] [--stages] [--profile 20]
                                     [--before REV]

Target (PRODUCT.md): push → stored in S3 with metadata, checksum, waveform and audit at
>= 0.8x the rate of plain boto3 ``put_object`` of the same files to the same endpoint.

Sets everything up itself: a moto_server on a free loopback port (the S3 endpoint, over HTTP),
PostgreSQL (``DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/hp_bench_ingest``,
created when missing, migrated), Redis (``REDIS_URL``, default ``redis://127.0.0.1:6379/12``: a
dedicated database number, flushed at start and end), a tenant with a PBX node and extension 201
holding a Monitor licence (through the services), gunicorn (``hostedpbx.wsgi``, 2 workers x 4
threads) and a Celery worker (``--concurrency 2``) as subprocesses. Files: N 3-minute 8 kHz
16-bit PCM calls (about 2.9 MB each) plus K one-hour calls (about 57.6 MB each), each with
distinct bytes.

Each round measures
  (a) baseline: boto3 ``put_object`` of every file to the same endpoint and bucket from a pool
      of C threads (C = --clients, the same number of HTTP clients as in (b)); wall time;
  (b) end-to-end: every file pushed over HTTP (``POST /api/pbx/v1/recordings/``) from C client
      threads; wall time from the first push until the last ingest is ``stored`` (the latest
      ``finished_at`` in the database; every ingest must end ``stored``);
  (c) reference: the two hops any push design must make, and nothing else: the same multipart
      pushes from C client threads to a minimal receiver in its own process
      (``--reference-receiver``: werkzeug, streams the part to a temporary file, one
      ``put_object`` to the same endpoint and bucket, answers after the put); wall time;
  (d) with ``--floor``, the contract floor: the same pushes to a receiver doing the least the
      contract asks of an ingest (hash while receiving, one statement for the PBX user, the
      caller's objection and the licence, the analysis, the put with its checksum, one
      statement for call, ingest and recording, the audit event, the commit; answers after
      the commit) without Django, ORM, queue or staging; wall time. An upper bound for any
      design, to tell the cost of the work from the cost of the way it is done.
Rounds rotate the order; the best round of each is compared (all rounds are printed), and the
report gives in one run: pipeline / reference (goal >= 0.8), pipeline / bare put, and, behind
``--s3-mbps``, pipeline / link bound (the bytes over the link's rate). Objects are deleted
between passes (not timed) so that moto's memory stays bounded. Other work on the machine
loads the same cores while this runs: the three are measured in the same run, interleaved,
and repeated (``--rounds``).

Every pass also prints the CPU seconds each part of the stack used (this process = the
clients, moto, gunicorn, the worker, PostgreSQL, Redis) and what other processes on the machine
took meanwhile. ``--s3-mbps X`` puts a throttling TCP proxy of X MB/s in front of moto for both
measurements (a remote S3 behind a link). ``--stages`` adds one pass split in two: pushes with
the worker stopped (the receiving stage alone), then the worker started on the full queue (the
processing stage alone). ``--before REV`` runs the pipeline of an earlier commit as a fourth
pass in every round (``git archive`` of REV, its own gunicorn, worker and Redis database, the
same database, endpoint and bucket), so that before and after are compared in one run.
``--profile M`` pushes M short files with the worker stopped and runs
the pipeline on them in this process, sequentially: half of them without a profiler, for the
CPU and wall time of each pipeline step and the SQL statements per ingest, the other half
under cProfile. Results and analysis: docs/performance.md.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import contextlib
import cProfile
import io
import os
import pstats
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.recordings.faultkit import CLOCK_TICKS, proc_stats  # noqa: E402

MB = 1_000_000
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/hp_bench_ingest"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
REGION = "eu-central-1"


class NetnsMoto:
    """moto_server in a network namespace of its own, reached over a veth pair whose
    host side shapes the uploads with the kernel's token bucket (``tc … tbf``): a link of
    ``mbps`` MB/s that costs no CPU of the processes measured (``--s3-link``). Needs root."""

    NS, HOST_IF, NS_IF = "hpbench-s3", "hpbs3h", "hpbs3n"
    HOST_IP, NS_IP = "10.231.0.1", "10.231.0.2"

    def __init__(self, mbps: float, log_path=None):
        from tests.recordings.faultkit import free_port

        self.mbps = mbps
        self.port = free_port()
        self.log_path = log_path
        self.proc = None

    @property
    def url(self) -> str:
        return f"http://{self.NS_IP}:{self.port}"

    def _sh(self, *args, check=True):
        return subprocess.run(list(args), check=check, capture_output=True)

    def start(self):
        from tests.recordings.faultkit import BIN

        self._teardown()
        ns, hif, nif = self.NS, self.HOST_IF, self.NS_IF
        self._sh("ip", "netns", "add", ns)
        self._sh("ip", "link", "add", hif, "type", "veth", "peer", "name", nif)
        self._sh("ip", "link", "set", nif, "netns", ns)
        self._sh("ip", "addr", "add", f"{self.HOST_IP}/30", "dev", hif)
        self._sh("ip", "link", "set", hif, "up")
        self._sh("ip", "netns", "exec", ns, "ip", "addr", "add", f"{self.NS_IP}/30", "dev", nif)
        self._sh("ip", "netns", "exec", ns, "ip", "link", "set", nif, "up")
        self._sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        # Segmentation offload hands tbf packets of up to 64 KB: the bucket (256 KB) holds them.
        rate = f"{self.mbps * 8:g}mbit"
        self._sh("tc", "qdisc", "add", "dev", hif, "root", "tbf", "rate", rate, "burst",
                 "256kb", "latency", "100ms")
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, str(BIN / "moto_server"), "-H", self.NS_IP, "-p",
             str(self.port)], stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        import socket

        for _ in range(300):
            with contextlib.suppress(OSError), socket.create_connection(
                    (self.NS_IP, self.port), timeout=0.2):
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("moto_server in the namespace did not start")

    def _teardown(self):
        self._sh("ip", "netns", "del", self.NS, check=False)
        self._sh("ip", "link", "del", self.HOST_IF, check=False)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        self._teardown()


def log(message):
    print(message, flush=True)


# --- setup ----------------------------------------------------------------------------------
def ensure_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    env = {**os.environ}
    if parts.password:
        env["PGPASSWORD"] = parts.password
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
            "-U", parts.username or "postgres"]
    exists = subprocess.run(["psql", *args, "-d", "postgres", "-tAc",
                             f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
                            env=env, capture_output=True, text=True)
    if exists.returncode != 0:
        raise SystemExit(f"PostgreSQL is not reachable at {url}: {exists.stderr.strip()}")
    if exists.stdout.strip() != "1":
        subprocess.run(["createdb", *args, name], env=env, check=True)
        log(f"created database {name}")


def flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise SystemExit(f"Redis is not reachable at {url}: {exc}")
    client.flushdb()


def make_files(directory: Path, n: int, hours: int, seconds: int) -> list[Path]:
    """N short calls and K one-hour calls with distinct bytes (variants of two generated
    recordings whose last samples encode the index)."""
    from tests import audio_samples

    directory.mkdir(parents=True, exist_ok=True)
    bases = {"short": audio_samples.call_recording(directory, seconds, name="base-short.wav")}
    if hours:
        bases["hour"] = audio_samples.call_recording(directory, 3600, name="base-hour.wav")
    files = []
    for i in range(hours):
        files.append(_variant(bases["hour"], directory / f"hour-{i:03d}.wav", i))
    for i in range(n):
        files.append(_variant(bases["short"], directory / f"call-{i:04d}.wav", hours + i))
    for base in bases.values():
        base.unlink()
    return files


def _variant(base: Path, target: Path, index: int) -> Path:
    shutil.copyfile(base, target)
    with open(target, "r+b") as fh:
        fh.seek(-8, os.SEEK_END)
        fh.write(index.to_bytes(8, "little"))
    return target


def setup_tenant():
    from licensing import services as licensing
    from tenancy import services as tenancy

    slug = f"bench-{uuid.uuid4().hex[:8]}"
    tenant = tenancy.create_tenant(actor=None, slug=slug, name=f"Bench {slug}")
    node, token = tenancy.create_pbx_node(actor=None, tenant=tenant, name="pbx-bench")
    tenancy.create_pbx_user(actor=None, tenant=tenant, extension="201",
                            display_name="Bench Agent")
    licensing.set_license_pool(actor=None, tenant=tenant, license="monitor", quantity=10)
    licensing.assign_license(actor=None, tenant=tenant, license="monitor", extension="201")
    return tenant, token


# --- the reference receiver (a process of its own) -----------------------------------------
def reference_receiver(port: int, endpoint: str, bucket: str) -> None:
    """Serve ``POST /api/pbx/v1/recordings/``: stream the ``audio`` part to a temporary file,
    put it to S3, answer 202 after the put. No database, no checks: the floor of two hops."""
    import json

    import boto3
    from werkzeug.serving import run_simple
    from werkzeug.wrappers import Request, Response

    client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION,
                          aws_access_key_id="bench", aws_secret_access_key="bench")

    @Request.application
    def app(request):
        upload = request.files.get("audio")
        if upload is None:
            return Response("no audio", status=400)
        key = f"reference/{uuid.uuid4().hex}/{upload.filename}"
        upload.stream.seek(0, os.SEEK_END)
        size = upload.stream.tell()
        upload.stream.seek(0)
        client.put_object(Bucket=bucket, Key=key, Body=upload.stream, ContentLength=size,
                          ContentType="audio/wav")
        return Response(json.dumps({"ingest_id": key, "status": "stored"}), status=202,
                        content_type="application/json")

    Request.max_form_memory_size = None
    run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False)


# --- the contract floor (a process of its own) ----------------------------------------------
# One statement: the PBX user, whether the caller objected on the call, whether the user holds
# a Monitor licence (the consent is decided before any byte goes to storage).
_FLOOR_CHECK = (
    "SELECT u.id, EXISTS (SELECT 1 FROM recordings_call c WHERE c.tenant_id = x.t "
    "AND c.call_id = %s AND c.consent = 'objected'), EXISTS (SELECT 1 FROM "
    "licensing_licenseassignment a WHERE a.pbx_user_id = u.id AND a.license = 'monitor' "
    "AND a.revoked_at IS NULL) FROM (SELECT %s::bigint AS t) x LEFT JOIN tenancy_pbxuser u "
    "ON u.tenant_id = x.t AND u.extension = %s")
# One statement: the call (upserted, its row locked), the ingest (stored) and the recording,
# linked through a recording id drawn first (the foreign keys are checked at the commit).
_FLOOR_WRITE = (
    "WITH rid AS (SELECT nextval(pg_get_serial_sequence('recordings_recording', 'id')) AS id), "
    "call AS (INSERT INTO recordings_call (call_id, extension, direction, local_number, "
    "local_number_raw, remote_number, remote_number_raw, started_at, consent, consent_source, "
    "consent_set_by, consent_note, created_at, updated_at, pbx_user_id, tenant_id) VALUES "
    "(%(call_id)s, %(extension)s, %(direction)s, '', '', %(remote)s, %(remote)s, %(started)s, "
    "'unknown', '', '', '', %(now)s, %(now)s, %(user)s, %(tenant)s) ON CONFLICT (tenant_id, "
    "call_id) DO UPDATE SET updated_at = EXCLUDED.updated_at RETURNING id, consent), "
    "ing AS (INSERT INTO recordings_ingest (ingest_id, source, source_ref, source_path, "
    "original_name, staged_in, staged_path, call_id, extension, metadata, sha256, size, status, "
    "reason, reason_detail, attempts, created_at, updated_at, finished_at, tenant_id, "
    "recording_id) SELECT %(ingest_id)s, 'push', '', '', %(name)s, '', '', %(call_id)s, "
    "%(extension)s, %(metadata)s::jsonb, %(sha256)s, %(size)s, 'stored', '', '', 1, %(now)s, "
    "%(now)s, %(now)s, %(tenant)s, rid.id FROM rid RETURNING id, recording_id) "
    "INSERT INTO recordings_recording (id, pbx_call_id, extension, direction, remote_number, "
    "remote_number_raw, started_at, duration, kind, consent, sha256, size, storage_key, "
    "container, codec, sample_rate, channels, mime_type, file_extension, peaks, truncated, "
    "truncation_detail, policy_violation, policy_violation_reason, legal_hold, audio_state, "
    "discard_reason, discarded_by, discard_pending, created_at, call_id, ingest_id, "
    "pbx_user_id, tenant_id) SELECT ing.recording_id, %(call_id)s, %(extension)s, "
    "%(direction)s, %(remote)s, %(remote)s, %(started)s, %(duration)s, %(kind)s, call.consent, "
    "%(sha256)s, %(size)s, %(key)s, %(container)s, %(codec)s, %(rate)s, %(channels)s, "
    "%(mime)s, %(suffix)s, %(peaks)s::jsonb, %(truncated)s, '', %(violation)s, '', false, "
    "'stored', '', '', false, %(now)s, call.id, ing.id, %(user)s, %(tenant)s FROM ing, call "
    "RETURNING id, call_id, (SELECT consent FROM call)")


def floor_receiver(port: int, tenant_id: int, processes: int = 2) -> None:
    """Serve ``POST /api/pbx/v1/recordings/`` doing the least the contract asks of an ingest,
    the leanest way we know: the part streamed to a file and hashed on the way; one statement
    for the PBX user, the caller's objection and the licence (decided before any byte goes to
    storage); the analysis (duration and waveform: the project's own); the put with its
    checksum (the project's store); one statement writing call, ingest and recording; the
    audit event staged (the project's statement; the trigger chains it at the commit); the
    commit; 202 after it. No Django request handling, no ORM, no queue, no staging file kept,
    no token lookup, no duplicate handling, no second consent read at the last byte, no
    outcome but "stored": an upper bound for any design that keeps the contract, not a
    design. ``processes`` share the listening socket (the pipeline, too, runs
    in several processes; one would be held to one core by its GIL)."""
    import hashlib
    import json
    from datetime import datetime

    import django

    django.setup()
    import psycopg
    from django.utils import timezone
    from werkzeug.serving import make_server
    from werkzeug.wrappers import Request, Response

    from audit.chain import _STAGE_SQL, CHAINS_SETTING, _encode_data, canonical_head, format_time
    from audit.models import chain_key
    from recordings import audio
    from recordings.ingest.steps import dotted
    from recordings.storage import get_store, recording_key

    store = get_store()
    chain = chain_key(tenant_id)
    spool = Path(tempfile.mkdtemp(prefix="hp-floor-"))

    class HashingFile:
        def __init__(self):
            self.path = spool / uuid.uuid4().hex
            self.fh = open(self.path, "w+b")  # noqa: SIM115 - closed after the request
            self.digest = hashlib.sha256()

        def write(self, data):
            self.digest.update(data)
            return self.fh.write(data)

        def __getattr__(self, name):
            return getattr(self.fh, name)

    class FloorRequest(Request):
        max_form_memory_size = None

        def _get_file_stream(self, total_content_length, content_type, filename=None,
                             content_length=None):
            return HashingFile()

    idle = queue.SimpleQueue()  # connections kept between requests (werkzeug: a thread each)

    def db():
        try:
            return idle.get_nowait()
        except queue.Empty:
            return psycopg.connect(os.environ["DATABASE_URL"])

    @FloorRequest.application
    def app(request):
        form, upload = request.form, request.files.get("audio")
        if upload is None:
            return Response("no audio", status=400)
        spooled = upload.stream
        spooled.flush()
        conn = db()
        try:
            sha256 = spooled.digest.hexdigest()
            user_id, objected, licensed = conn.execute(
                _FLOOR_CHECK, (form["call_id"], tenant_id, form["extension"]),
                prepare=True).fetchone()
            conn.commit()
            if user_id is None or objected:
                return Response("not kept", status=422)
            analysis = audio.analyse(spooled.path, sha256=sha256)
            info, ingest_id = analysis.info, uuid.uuid4()
            started = datetime.fromisoformat(form["started_at"])
            key = recording_key(tenant_id=tenant_id, started_at=started, ingest_id=ingest_id,
                                extension=dotted(info.extension))
            store.put_file(key, spooled.path, content_type=info.mime_type, sha256=sha256,
                           metadata={"sha256": sha256, "ingest-id": str(ingest_id),
                                     "tenant-id": str(tenant_id)})
            now = timezone.now()
            rid, _call, consent = conn.execute(_FLOOR_WRITE, {
                "call_id": form["call_id"], "extension": form["extension"],
                "direction": form["direction"], "remote": form["remote_number"],
                "started": started, "now": now, "user": user_id, "tenant": tenant_id,
                "ingest_id": ingest_id, "name": upload.filename,
                "metadata": json.dumps(dict(form)), "sha256": sha256, "size": analysis.size,
                "duration": info.duration, "kind": form["kind"], "key": key,
                "container": info.container, "codec": info.codec, "rate": info.sample_rate,
                "channels": info.channels, "mime": info.mime_type, "suffix": info.extension,
                "peaks": json.dumps([float(p) for p in analysis.peaks]),
                "truncated": info.truncated, "violation": not licensed}, prepare=True).fetchone()
            data = {"ingest_id": str(ingest_id), "call_id": form["call_id"],
                    "extension": form["extension"], "kind": form["kind"], "source": "push",
                    "sha256": sha256, "size": analysis.size, "duration": info.duration,
                    "storage_key": key, "truncated": info.truncated,
                    "policy_violation": None if licensed else "no_licence", "consent": consent}
            data_json = _encode_data(data)
            head = canonical_head(
                action="recording.ingested", actor_id="", actor_label="floor",
                actor_type="pbx_node", chain=chain, data_json=data_json, ip="",
                object_id=str(rid), object_type="recordings.recording",
                occurred_at=format_time(now))
            conn.execute(_STAGE_SQL, [
                chain, tenant_id, now, "pbx_node", "", "floor", "recording.ingested",
                "recordings.recording", str(rid), data_json, "", head, CHAINS_SETTING,
                CHAINS_SETTING, chain, chain], prepare=True)
            conn.commit()
        except Exception:
            conn.rollback()
            raise
        finally:
            spooled.close()
            spooled.path.unlink(missing_ok=True)
            idle.put(conn)
        return Response(json.dumps({"ingest_id": str(ingest_id), "status": "stored"}),
                        status=202, content_type="application/json")

    import socket

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(128)
    for _ in range(processes - 1):
        if os.fork() == 0:
            break
    make_server("127.0.0.1", port, app, threaded=True, fd=listener.fileno()).serve_forever()


class ReferenceReceiver:
    """The reference receiver, or with ``floor_tenant`` the contract floor, as a subprocess."""

    def __init__(self, env, log_path, *, endpoint, bucket, floor_tenant=None,
                 floor_processes=2):
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.env, self.log_path, self.endpoint, self.bucket = env, log_path, endpoint, bucket
        self.floor_tenant, self.floor_processes = floor_tenant, floor_processes
        self.proc = None

    def start(self):
        import socket

        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        command = [sys.executable, __file__, "--reference-receiver", str(self.port),
                   "--reference-endpoint", self.endpoint, "--reference-bucket", self.bucket]
        if self.floor_tenant is not None:
            command = [sys.executable, __file__, "--floor-receiver", str(self.port),
                       "--floor-tenant", str(self.floor_tenant),
                       "--floor-processes", str(self.floor_processes)]
        self.proc = subprocess.Popen(
            command, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the reference receiver did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)  # the floor's forked processes too
            self.proc.wait(timeout=10)
        self.log.close()


def reference(files, *, url, clients) -> float:
    """The same pushes to the reference receiver; wall time until the last answer (each
    answer comes after its put)."""
    _ids, _latencies, wall = push_all(files, url=url, token="reference", clients=clients)
    return wall


# --- an earlier commit's pipeline, side by side ----------------------------------------------
class BeforeStack:
    """The pipeline of commit ``rev`` (``git archive`` into the work folder): its own gunicorn
    and Celery worker, imports from that tree (``PYTHONPATH``), its own Redis database number
    (so that the two workers never take each other's tasks) and staging folder; the same
    database (migrated by the current tree), endpoint, bucket, tenant and token."""

    def __init__(self, rev, env, workdir: Path, *, redis_url, web_workers, web_threads,
                 concurrency):
        self.rev = rev
        self.tree = workdir / "before-tree"
        parts = urlsplit(redis_url)
        number = int((parts.path or "/0").lstrip("/") or 0)
        self.redis_url = parts._replace(path=f"/{(number + 1) % 16}").geturl()
        self.env = {**env, "REDIS_URL": self.redis_url, "PYTHONPATH": str(self.tree),
                    "VAR_DIR": str(workdir / "var-before"),
                    "INGEST_STAGING_DIR": str(workdir / "staging-before")}
        self.worker_log = workdir / "worker-before.log"
        self.workdir = workdir
        self.sizes = (web_workers, web_threads, concurrency)
        self.web = self.worker = None

    def start(self):
        from tests.recordings.faultkit import CeleryWorker, Gunicorn

        self.commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short",
                                      self.rev], check=True, capture_output=True,
                                     text=True).stdout.strip()
        self.tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.Popen(["git", "-C", str(REPO), "archive", self.rev],
                                   stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", str(self.tree)], stdin=archive.stdout, check=True)
        if archive.wait() != 0:
            raise RuntimeError(f"git archive {self.rev} failed")
        flush_redis(self.redis_url)
        web_workers, web_threads, concurrency = self.sizes
        self.web = Gunicorn({**self.env, "LOG_LEVEL": "WARNING"},
                            self.workdir / "gunicorn-before.log", workers=web_workers,
                            threads=web_threads, repo=self.tree).start()
        self.worker = CeleryWorker({**self.env, "LOG_LEVEL": "INFO"}, self.worker_log,
                                   concurrency=concurrency, name="before@%h",
                                   repo=self.tree).start()
        self.worker.wait_ready()
        return self

    def describe(self) -> str:
        return (f"commit {self.commit} ({self.rev}) in {self.tree}, gunicorn {self.web.url}, "
                f"its own worker, Redis {self.redis_url}")

    def stop(self):
        for process in (self.worker, self.web):
            if process is not None:
                process.stop()
        with contextlib.suppress(SystemExit):
            flush_redis(self.redis_url)


# --- the measurements -----------------------------------------------------------------------
def baseline(files, *, endpoint, bucket, clients, prefix) -> float:
    """boto3 put_object of every file from ``clients`` threads; returns the wall time."""
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION,
                          aws_access_key_id="bench", aws_secret_access_key="bench")

    def put(path):
        with open(path, "rb") as fh:
            client.put_object(Bucket=bucket, Key=f"{prefix}/{path.name}", Body=fh)

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(put, files))
    return time.perf_counter() - started


_sessions = threading.local()


def push(url, token, path, started_at) -> tuple[str, float]:
    import requests

    session = getattr(_sessions, "session", None)
    if session is None:
        session = _sessions.session = requests.Session()
    data = {"call_id": f"bench-{uuid.uuid4().hex}", "extension": "201", "direction": "inbound",
            "remote_number": "+49 30 1234567", "started_at": started_at, "kind": "auto"}
    t0 = time.perf_counter()
    with open(path, "rb") as fh:
        response = session.post(f"{url}/api/pbx/v1/recordings/",
                                headers={"Authorization": f"Bearer {token}"}, data=data,
                                files={"audio": (path.name, fh, "audio/wav")}, timeout=600)
    if response.status_code != 202:
        raise RuntimeError(f"push answered {response.status_code}: {response.text[:300]}")
    return response.json()["ingest_id"], time.perf_counter() - t0


def push_all(files, *, url, token, clients) -> tuple[list[str], list[float], float]:
    from django.utils import timezone

    started_at = timezone.localtime().isoformat()
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda p: push(url, token, p, started_at), files))
    return [r[0] for r in results], [r[1] for r in results], time.perf_counter() - t0


def wait_stored(ids, timeout) -> None:
    from recordings.models import Ingest

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = _status_counts(ids)
        if statuses.get("stored", 0) == len(ids):
            return
        final = sum(v for k, v in statuses.items() if k in ("rejected", "quarantined"))
        if final:
            bad = list(Ingest.unscoped.filter(ingest_id__in=ids)
                       .exclude(status__in=["stored", "queued", "processing"])
                       .values_list("ingest_id", "status", "reason", "reason_detail")[:5])
            raise RuntimeError(f"ingests did not end stored: {bad}")
        time.sleep(0.1)
    raise RuntimeError(f"timed out; statuses: {_status_counts(ids)}")


def _status_counts(ids) -> dict:
    from django.db.models import Count

    from recordings.models import Ingest

    return {row["status"]: row["n"] for row in Ingest.unscoped.filter(ingest_id__in=ids)
            .values("status").annotate(n=Count("id"))}


def end_to_end(files, *, url, token, clients, timeout) -> dict:
    from django.db.models import Max, Min

    from recordings.models import Ingest

    wall0 = time.time()
    ids, latencies, push_wall = push_all(files, url=url, token=token, clients=clients)
    wait_stored(ids, timeout)
    agg = Ingest.unscoped.filter(ingest_id__in=ids).aggregate(last=Max("finished_at"),
                                                              first_in=Min("created_at"),
                                                              last_in=Max("created_at"))
    return {"wall": agg["last"].timestamp() - wall0, "push_wall": push_wall, "ids": ids,
            "push_latency_mean": statistics.mean(latencies),
            "push_latency_max": max(latencies)}


def clear_bucket(s3, bucket) -> None:
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})


# --- CPU accounting -------------------------------------------------------------------------
class CpuMeter:
    """CPU seconds used by each part of the stack between ``start()`` and ``stop()``: this
    process (the clients), moto, gunicorn, the Celery worker (process groups), PostgreSQL and
    Redis (every such process on the machine, so other load shows up there).

    Processes are followed one by one, every ``every`` seconds: a process that ends during the
    pass keeps what it used until it was last seen, one that starts counts from zero. Taking
    only the two ends would lose the CPU of every process that exits meanwhile, and subtract
    its whole life's CPU from its group: PostgreSQL backends end whenever Django closes a
    connection older than ``CONN_MAX_AGE``, so most of PostgreSQL's share went missing
    (reported as "other processes") before this was followed."""

    def __init__(self, groups: dict, every: float = 0.2):
        self.groups = groups  # label -> callable returning the pgid (or None)
        self.every = every
        self._stop = threading.Event()
        self._thread = None

    @staticmethod
    def machine() -> dict:
        with open("/proc/stat") as fh:
            cpu = [int(v) for v in fh.readline().split()[1:]]
        return {
            # user nice system idle iowait irq softirq steal: everything but idle and iowait
            "machine": (sum(cpu[:8]) - cpu[3] - cpu[4]) / CLOCK_TICKS,
            # time no process is charged with: interrupts (the loopback network's softirqs)
            # and what the hypervisor took (steal)
            "other: irq+softirq": (cpu[5] + cpu[6]) / CLOCK_TICKS,
            "other: steal": cpu[7] / CLOCK_TICKS,
        }

    def label(self, proc, pgids: dict) -> str | None:
        for label, wanted in pgids.items():
            if wanted is not None and proc.pgid == wanted:
                return label
        if proc.comm.startswith("postgres"):
            return "postgresql (all)"
        if proc.comm.startswith("redis-server"):
            return "redis (all)"
        if proc.pid == os.getpid():
            return None  # os.times() below
        return f"other: {proc.comm.split('/')[0]}"

    def sample(self, first: bool = False) -> None:
        for proc in proc_stats():
            key = (proc.pid, proc.started)
            seen = self._procs.get(key)
            if seen is None:
                label = self.label(proc, self._pgids)
                if label is not None:
                    # present at the start: counts from there; started since: from zero
                    self._procs[key] = [label, proc.cpu_seconds if first else 0.0,
                                        proc.cpu_seconds]
            else:
                seen[2] = proc.cpu_seconds

    def _follow(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()
        self._own_cpu = time.thread_time()  # this thread's, not the clients'

    def start(self):
        self._pgids = {label: get() for label, get in self.groups.items()}
        self._procs: dict = {}
        self._machine = self.machine()
        self._own = os.times()
        self.sample(first=True)
        self._t0 = time.perf_counter()
        self._stop.clear()
        self._thread = threading.Thread(target=self._follow, name="cpu-meter", daemon=True)
        self._thread.start()

    def stop(self) -> dict:
        self.sample()
        self._stop.set()
        self._thread.join()
        wall = time.perf_counter() - self._t0
        machine, own = self.machine(), os.times()
        spent = defaultdict(float)
        for key, value in machine.items():
            spent[key] = value - self._machine[key]
        spent["clients (this process)"] = (own.user + own.system - self._own.user
                                           - self._own.system - self._own_cpu)
        for label, at_start, last in self._procs.values():
            spent[label] += last - at_start
        spent = {k: v for k, v in spent.items() if v > 0.05}
        spent["wall"] = wall
        return spent


def busy_cpu(spent: dict) -> float:
    """CPU seconds of the processes the pass runs on (not other processes on the machine)."""
    return sum(v for k, v in spent.items()
               if k not in ("wall", "machine") and not k.startswith("other: "))


def cpu_line(spent: dict, total_mb: float) -> str:
    ours = {k: v for k, v in spent.items()
            if k not in ("wall", "machine") and not k.startswith("other: ")}
    busy = sum(ours.values())
    other = max(0.0, spent.get("machine", 0.0) - busy)
    parts = ", ".join(f"{k} {v:.1f}" for k, v in sorted(ours.items(), key=lambda kv: -kv[1]))
    named = sorted(((k[7:], v) for k, v in spent.items() if k.startswith("other: ")),
                   key=lambda kv: -kv[1])[:4]
    detail = ", ".join(f"{k} {v:.1f}" for k, v in named if v >= 0.1)
    return (f"      CPU s: {parts}; total {busy:.1f} = {busy / spent['wall']:.2f} cores, "
            f"{busy / total_mb * 1000:.1f} CPU ms/MB; other processes on the machine "
            f"{other / spent['wall']:.2f} cores" + (f" (CPU s: {detail})" if detail else ""))


TASK_RE = re.compile(r"process_ingest\[[0-9a-f-]+\] succeeded in ([0-9.]+)s: '(\w+)'")


def task_times(worker_log: Path, offset: int) -> list[float]:
    with open(worker_log, "rb") as fh:
        fh.seek(offset)
        text = fh.read().decode(errors="replace")
    return [float(m.group(1)) for m in TASK_RE.finditer(text) if m.group(2) == "stored"]


# --- profile of the pipeline steps ----------------------------------------------------------
def profile_pipeline(ids) -> str:
    """Run the pipeline for ``ids`` in this process, sequentially. The first half without a
    profiler: the CPU time (``thread_time`` of this thread, where every step of a short call
    runs) and the wall time of each step, and the SQL statements per ingest, counted by an
    execute wrapper (``CaptureQueriesContext``'s debug cursor formats every statement, which
    cost more CPU than some steps). The second half under cProfile, for the call tree."""
    import audit
    from recordings import audio, cleanup, consent, storage
    from recordings.ingest import outcomes, runner

    cpu: dict[str, float] = defaultdict(float)
    wall: dict[str, float] = defaultdict(float)

    def measured(label, call, *args, **kwargs):
        c0, t0 = time.thread_time(), time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            cpu[label] += time.thread_time() - c0
            wall[label] += time.perf_counter() - t0

    def timed(owner, name, label):
        original = getattr(owner, name)
        setattr(owner, name, lambda *a, **kw: measured(label, original, *a, **kw))
        return owner, name, original

    def timed_step(step):
        return lambda job: measured(f"step {step.__name__}", step, job)

    original_steps = runner.STEPS
    runner.STEPS = tuple(timed_step(step) for step in original_steps)
    patches = [
        timed(audio, "_examine", "  analyse: decode + peaks"),
        timed(audio, "sha256_file", "  analyse: sha256"),
        timed(consent, "ensure_call", "  resolve: the call"),
        timed(storage.S3Store, "put_file", "  upload: S3 put_object"),
        timed(consent, "objected", "  upload: consent reads"),
        timed(outcomes, "store", "final transaction (recording, audit)"),
        timed(audit, "record", "  final: audit event"),
        timed(cleanup, "remove_staged", "  final: staged file removed (at the commit)"),
        timed(runner, "claim", "claim"),
    ]
    from django.db import connection

    statements: list[str] = []

    def count(execute, sql, params, many, context):
        statements.append(sql.split(None, 1)[0].upper() if sql else "")
        return execute(sql, params, many, context)

    def run(batch):
        for ingest_id in batch:
            status = runner.run_ingest(ingest_id)
            if status != "stored":
                raise RuntimeError(f"{ingest_id}: {status}")

    # The first file warms this process up (imports, the audio library, connections): its
    # cost is not what a running worker pays per file.
    warm, rest = ids[:1], ids[1:]
    plain, profiled = rest[: max(1, len(rest) // 2)], rest[max(1, len(rest) // 2):]
    profiler = cProfile.Profile()
    try:
        run(warm)
        cpu.clear()
        wall.clear()
        c0, t0 = time.thread_time(), time.perf_counter()
        with connection.execute_wrapper(count):
            run(plain)
        total_cpu, total_wall = time.thread_time() - c0, time.perf_counter() - t0
        step_cpu, step_wall = dict(cpu), dict(wall)
        if profiled:
            profiler.enable()
            try:
                run(profiled)
            finally:
                profiler.disable()
    finally:
        for owner, name, original in patches:
            setattr(owner, name, original)
        runner.STEPS = original_steps
    n = len(plain)
    kinds = ", ".join(f"{k} {v / n:.1f}" for k, v in
                      sorted(collections.Counter(statements).items(), key=lambda kv: -kv[1]))
    lines = [f"pipeline in-process, sequential, {n} files without a profiler: "
             f"{total_cpu / n * 1000:.1f} ms of CPU (this thread) and "
             f"{total_wall / n * 1000:.1f} ms wall per file",
             f"SQL statements per ingest: {len(statements) / n:.1f} ({kinds})",
             f"  {'per file, ms':46s} {'CPU':>6s} {'wall':>6s}"]
    for label in sorted(step_cpu, key=lambda k: -step_cpu[k]):
        lines.append(f"  {label:46s} {step_cpu[label] / n * 1000:6.1f} "
                     f"{step_wall[label] / n * 1000:6.1f}")
    counted = sum(v for k, v in step_cpu.items() if not k.startswith("  "))
    lines.append(f"  {'other (job, cleanup, ...)':46s} {(total_cpu - counted) / n * 1000:6.1f}")
    if profiled:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        lines.append(f"cProfile of the other {len(profiled)} files:")
        lines.append(out.getvalue())
    return "\n".join(lines)


# --- main -----------------------------------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="3-minute calls (default 200)")
    parser.add_argument("--hours", type=int, default=2, help="one-hour calls (default 2)")
    parser.add_argument("--seconds", type=int, default=180, help="length of the short calls")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of (a) and (b) (default 2)")
    parser.add_argument("--concurrency", type=int, default=4,
                        help="Celery worker concurrency (default 4, as docs/operations.md runs "
                             "it)")
    parser.add_argument("--warmup", type=int, default=16, metavar="W",
                        help="files pushed through every stack, untimed, before the rounds "
                             "(default 16; 0: none)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--web-threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--stages", action="store_true",
                        help="also measure receiving and processing separately")
    parser.add_argument("--profile", type=int, default=0, metavar="M",
                        help="also profile the pipeline in-process on M short files")
    parser.add_argument("--s3-mbps", type=float, default=0, metavar="MB_PER_S",
                        help="reach the S3 endpoint through a link of this bandwidth (a "
                             "throttling TCP proxy shared by both measurements), like a "
                             "remote S3; default: direct, unlimited")
    parser.add_argument("--s3-link", type=float, default=0, metavar="MB_PER_S",
                        help="run moto in a network namespace behind a veth pair shaped by "
                             "the kernel (tc tbf) to this bandwidth: a link that takes no CPU "
                             "from the processes measured (needs root, iproute2)")
    parser.add_argument("--floor", action="store_true",
                        help="also measure the contract floor in every round: a receiver in "
                             "its own process doing the least the contract asks of an ingest "
                             "(hash, consent and licence read, analysis, put, one write "
                             "statement, the audit event, the commit) without Django, ORM, "
                             "queue or staging, in as many processes as gunicorn has workers; "
                             "an upper bound for any design")
    parser.add_argument("--before", default="", metavar="REV",
                        help="also run the pipeline of an earlier commit in the same rounds "
                             "(git archive of REV, its own gunicorn, worker and Redis database; "
                             "the same database, endpoint and bucket)")
    parser.add_argument("--no-express", action="store_true",
                        help="turn the express lane off (INGEST_EXPRESS=0): every push is "
                             "queued for the worker, as before it existed; --stages and "
                             "--profile measure that pipeline and need it")
    parser.add_argument("--workdir", default=None, help="where files and logs go (default: tmp)")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--reference-receiver", type=int, default=0, metavar="PORT",
                        help=argparse.SUPPRESS)
    parser.add_argument("--reference-endpoint", default="", help=argparse.SUPPRESS)
    parser.add_argument("--reference-bucket", default="", help=argparse.SUPPRESS)
    parser.add_argument("--floor-receiver", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--floor-tenant", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--floor-processes", type=int, default=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if (args.stages or args.profile) and not args.no_express:
        parser.error("--stages and --profile measure the worker's pipeline: add --no-express "
                     "(with the express lane, pushes are stored in their request)")
    if args.floor_receiver:
        floor_receiver(args.floor_receiver, args.floor_tenant, args.floor_processes)
        return 0
    if args.reference_receiver:
        reference_receiver(args.reference_receiver, args.reference_endpoint,
                           args.reference_bucket)
        return 0

    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("the benchmark needs PostgreSQL (DATABASE_URL=postgres://...)")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="hp-bench-ingest-"))
    workdir.mkdir(parents=True, exist_ok=True)
    var_dir = workdir / "var"
    staging = workdir / "staging"
    bucket = f"bench-{uuid.uuid4().hex[:10]}"

    from tests.recordings.faultkit import CeleryWorker, Gunicorn, MotoServer, TcpProxy

    ensure_database(database_url)
    flush_redis(redis_url)
    if args.s3_link:
        moto = NetnsMoto(args.s3_link, log_path=workdir / "moto.log").start()
    else:
        moto = MotoServer(log_path=workdir / "moto.log").start()
    processes = [moto]
    endpoint = moto.url
    if args.s3_mbps:
        link = TcpProxy("127.0.0.1", moto.port).start()
        link.throttle = args.s3_mbps * MB
        link.stop = link.down
        processes.append(link)
        endpoint = link.url
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("S3_", "INGEST_", "CELERY_", "DJANGO_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "hostedpbx.settings", "DATABASE_URL": database_url,
        "REDIS_URL": redis_url, "S3_ENDPOINT_URL": endpoint, "S3_BUCKET": bucket,
        "S3_REGION": REGION, "S3_ACCESS_KEY_ID": "bench", "S3_SECRET_ACCESS_KEY": "bench",
        "VAR_DIR": str(var_dir), "INGEST_STAGING_DIR": str(staging),
        "SECRET_KEY": "bench-ingest-" + "x" * 40, "DEBUG": "0", "HTTPS": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost", "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1", "INGEST_EXPRESS": "0" if args.no_express else "1",
    })
    os.environ.update(env)
    try:
        import django

        django.setup()
        import boto3
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        s3 = boto3.client("s3", endpoint_url=moto.url, region_name=REGION,
                          aws_access_key_id="bench", aws_secret_access_key="bench")
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        tenant, token = setup_tenant()

        t0 = time.perf_counter()
        files = make_files(workdir / "files", args.n, args.hours, args.seconds)
        sizes = [p.stat().st_size for p in files]
        total_mb = sum(sizes) / MB
        log(f"files: {args.n} x {args.seconds} s 8 kHz PCM ({sizes[-1] / MB:.2f} MB each) + "
            f"{args.hours} x 1 h ({sizes[0] / MB if args.hours else 0:.1f} MB each) = "
            f"{len(files)} files, {total_mb:.1f} MB (generated in {time.perf_counter() - t0:.1f} s)")

        web = Gunicorn({**env, "LOG_LEVEL": "WARNING"}, workdir / "gunicorn.log",
                       workers=args.web_workers, threads=args.web_threads).start()
        processes.append(web)
        worker_log = workdir / "worker.log"
        worker = CeleryWorker({**env, "LOG_LEVEL": "INFO"}, worker_log,
                              concurrency=args.concurrency, name="bench@%h").start()
        processes.append(worker)
        worker.wait_ready()
        receiver = ReferenceReceiver(env, workdir / "reference.log", endpoint=endpoint,
                                     bucket=bucket).start()
        processes.append(receiver)
        floor = None
        if args.floor:
            floor = ReferenceReceiver(env, workdir / "floor.log", endpoint=endpoint,
                                      bucket=bucket, floor_tenant=tenant.pk,
                                      floor_processes=args.web_workers).start()
            processes.append(floor)
        before = None
        if args.before:
            before = BeforeStack(args.before, env, workdir, redis_url=redis_url,
                                 web_workers=args.web_workers, web_threads=args.web_threads,
                                 concurrency=args.concurrency).start()
            processes.append(before)
            log(f"before: {before.describe()}")
        link_note = f" behind a {args.s3_mbps:g} MB/s link" if args.s3_mbps else ""
        if args.s3_link:
            link_note = f" behind a {args.s3_link:g} MB/s link (tc tbf on a veth pair)"
        log(f"stack: moto {moto.url}{link_note}, gunicorn {web.url} ({args.web_workers}x"
            f"{args.web_threads}), celery --concurrency {args.concurrency}, "
            f"{args.clients} clients, {os.cpu_count()} CPUs\n")

        meter = CpuMeter({
            "moto": lambda: moto.proc.pid,
            "gunicorn": lambda: web.proc.pid,
            "celery worker": lambda: worker.proc.pid if worker.proc else None,
            "reference": lambda: receiver.proc.pid,
            "floor": lambda: floor.proc.pid if floor else None,
            "gunicorn (before)": lambda: before.web.proc.pid if before else None,
            "celery worker (before)": lambda: before.worker.proc.pid if before else None,
        })
        if args.warmup:
            # Every process imports, connects and fills its caches on its first requests (the
            # first pipeline pass used to cost gunicorn three times the CPU of the second):
            # the rounds measure warm stacks, as in production.
            warm = files[:args.warmup]
            t0 = time.perf_counter()
            baseline(warm, endpoint=endpoint, bucket=bucket, clients=args.clients,
                     prefix="warm-up")
            reference(warm, url=receiver.url, clients=args.clients)
            if floor:
                reference(warm, url=floor.url, clients=args.clients)
            for stack in filter(None, (web, before and before.web)):
                end_to_end(warm, url=stack.url, token=token, clients=args.clients,
                           timeout=args.timeout)
            clear_bucket(s3, bucket)
            log(f"warm-up: {len(warm)} files through each stack, untimed "
                f"({time.perf_counter() - t0:.1f} s)\n")
        results = {"baseline": [], "e2e": [], "reference": [], "before": [], "floor": []}
        cpu = {kind: [] for kind in results}  # CPU seconds of each pass, by round
        kinds = (["baseline", "reference", "e2e"] + (["before"] if before else [])
                 + (["floor"] if floor else []))
        for round_no in range(1, args.rounds + 1):
            shift = (round_no - 1) % len(kinds)
            order = kinds[shift:] + kinds[:shift]
            if round_no % 2 == 0:  # neither pipeline always runs right after the other
                order.reverse()
            for what in order:
                clear_bucket(s3, bucket)
                time.sleep(1)
                meter.start()
                if what == "baseline":
                    wall = baseline(files, endpoint=endpoint, bucket=bucket,
                                    clients=args.clients, prefix=f"baseline/{round_no}")
                    results["baseline"].append(wall)
                    log(f"round {round_no} baseline: {wall:6.2f} s  {len(files) / wall:6.1f} "
                        f"files/s  {total_mb / wall:6.1f} MB/s")
                    spent = meter.stop()
                    cpu[what].append(busy_cpu(spent))
                    log(cpu_line(spent, total_mb))
                elif what in ("reference", "floor"):
                    wall = reference(files, url=(floor if what == "floor" else receiver).url,
                                     clients=args.clients)
                    results[what].append(wall)
                    label = "reference: " if what == "reference" else "floor:     "
                    log(f"round {round_no} {label} {wall:6.2f} s  {len(files) / wall:6.1f} "
                        f"files/s  {total_mb / wall:6.1f} MB/s")
                    spent = meter.stop()
                    cpu[what].append(busy_cpu(spent))
                    log(cpu_line(spent, total_mb))
                else:
                    stack_log = before.worker_log if what == "before" else worker_log
                    offset = stack_log.stat().st_size
                    e2e = end_to_end(files, url=before.web.url if what == "before" else web.url,
                                     token=token, clients=args.clients, timeout=args.timeout)
                    results[what].append(e2e["wall"])
                    times = task_times(stack_log, offset)
                    label = "before:    " if what == "before" else "end-to-end:"
                    log(f"round {round_no} {label} {e2e['wall']:6.2f} s  "
                        f"{len(files) / e2e['wall']:6.1f} files/s  "
                        f"{total_mb / e2e['wall']:6.1f} MB/s   (pushes done after "
                        f"{e2e['push_wall']:.2f} s, push latency mean "
                        f"{e2e['push_latency_mean'] * 1000:.0f} ms, max "
                        f"{e2e['push_latency_max'] * 1000:.0f} ms; worker task time "
                        f"{sum(times):.1f} s over {len(times)} tasks, mean "
                        f"{statistics.mean(times) * 1000 if times else 0:.0f} ms)")
                    spent = meter.stop()
                    cpu[what].append(busy_cpu(spent))
                    log(cpu_line(spent, total_mb))
        if results["e2e"]:  # --rounds 0: only --stages or --profile
            best_base, best_e2e = min(results["baseline"]), min(results["e2e"])
            best_ref = min(results["reference"])
            log(f"\nbest of {args.rounds} rounds:")
            log(f"  bare put (boto3 put_object):  {len(files) / best_base:6.1f} files/s "
                f"{total_mb / best_base:6.1f} MB/s")
            log(f"  two-hop reference receiver:   {len(files) / best_ref:6.1f} files/s "
                f"{total_mb / best_ref:6.1f} MB/s")
            log(f"  pipeline (push → stored):     {len(files) / best_e2e:6.1f} files/s "
                f"{total_mb / best_e2e:6.1f} MB/s")
            ratio = best_ref / best_e2e
            log(f"  pipeline / reference: {ratio:.2f}  (goal >= 0.8: "
                f"{'met' if ratio >= 0.8 else 'NOT met'})")
            log(f"  pipeline / bare put:  {best_base / best_e2e:.2f}")
            link_mbps = args.s3_mbps or args.s3_link
            if link_mbps:
                bound = total_mb / link_mbps
                log(f"  pipeline / link bound ({link_mbps:g} MB/s → {bound:.1f} s): "
                    f"{bound / best_e2e:.2f}")
            else:
                log("  pipeline / link bound: n/a (loopback; run with --s3-mbps or --s3-link)")
            def against_reference(kind, label, short):
                best = min(results[kind])
                median = (statistics.median(results["reference"])
                          / statistics.median(results[kind]))
                log(f"  {label}: {len(files) / best:6.1f} files/s {total_mb / best:6.1f} MB/s; "
                    f"/ reference {best_ref / best:.2f} (median {median:.2f}), / bare put "
                    f"{best_base / best:.2f}; pipeline / {short} {best / best_e2e:.2f}")

            if floor:
                against_reference("floor", "contract floor (no Django, ORM, queue)", "floor")
            if before:
                against_reference("before", f"pipeline before ({args.before})", "before")
            med_ref = statistics.median(results["reference"]) / statistics.median(results["e2e"])
            med_put = statistics.median(results["baseline"]) / statistics.median(results["e2e"])
            log(f"  (medians: pipeline / reference {med_ref:.2f}, pipeline / bare put "
                f"{med_put:.2f}; rounds: "
                + ", ".join(f"{r:.2f}/{e:.2f}" for r, e in zip(results["reference"],
                                                               results["e2e"], strict=True))
                + " s reference/pipeline)")
            # The passes are CPU-bound, so their rates go as 1 / CPU per file; the CPU a pass
            # costs does not drift with the machine's speed between passes as much as its
            # wall time does (another guest's load, frequency), so this is the steadier ratio.
            per_file = {k: statistics.median(v) / len(files) * 1000 for k, v in cpu.items() if v}
            log("  CPU per file (median of rounds, the processes of each pass): "
                + ", ".join(f"{k} {v:.1f} ms" for k, v in per_file.items())
                + f"; reference / pipeline by CPU {per_file['reference'] / per_file['e2e']:.2f}"
                + (f", reference / before by CPU {per_file['reference'] / per_file['before']:.2f}"
                   if "before" in per_file else ""))

        if args.stages:
            clear_bucket(s3, bucket)
            worker.stop()
            time.sleep(1)
            meter.start()
            ids, _lat, push_wall = push_all(files, url=web.url, token=token,
                                            clients=args.clients)
            log(f"\nstage: receiving alone (worker stopped): {push_wall:.2f} s "
                f"{len(files) / push_wall:.1f} files/s {total_mb / push_wall:.1f} MB/s")
            log(cpu_line(meter.stop(), total_mb))
            worker = CeleryWorker({**env, "LOG_LEVEL": "INFO"}, worker_log,
                                  concurrency=args.concurrency, name="bench2@%h").start()
            processes.append(worker)
            worker.wait_ready()
            wall0 = time.time()
            meter.start()
            wait_stored(ids, args.timeout)
            spent = meter.stop()
            from django.db.models import Max

            from recordings.models import Ingest

            last = Ingest.unscoped.filter(ingest_id__in=ids).aggregate(
                last=Max("finished_at"))["last"].timestamp()
            processing = last - wall0
            log(f"stage: processing alone (queue full, worker started): {processing:.2f} s "
                f"{len(files) / processing:.1f} files/s {total_mb / processing:.1f} MB/s")
            log(cpu_line(spent, total_mb))

        if args.profile:
            clear_bucket(s3, bucket)
            worker.stop()
            short = [p for p in files if p.name.startswith("call-")][: args.profile]
            ids, _lat, _wall = push_all(short, url=web.url, token=token, clients=1)
            log("\n" + profile_pipeline(ids))
    finally:
        for process in reversed(processes):
            try:
                process.stop()
            except Exception as exc:  # noqa: BLE001 - keep stopping the others
                log(f"could not stop {process}: {exc}")
        with contextlib.suppress(SystemExit):
            flush_redis(redis_url)
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            shutil.rmtree(workdir / "files", ignore_errors=True)
            shutil.rmtree(staging, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
