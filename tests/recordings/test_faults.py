"""Fault tests of the ingest: real processes, real faults, and the promise of PRODUCT.md —
"kill a worker mid-ingest, restart Redis or the S3 endpoint, and every pushed recording ends
stored exactly once; nothing is acknowledged before it is durable".

The stack, black box: pytest-django's live server (in this process, committed rows through
``transactional_db``) receives pushes over HTTP; a real ``celery -A hostedpbx worker
--concurrency 2`` subprocess works on the test database, on a private ``redis-server`` started
here (no persistence, like the machines' Redis: a restart loses every queued message) and on
a fresh moto bucket reached through :class:`~tests.recordings.faultkit.TcpProxy` (moto keeps
objects in memory only, so the endpoint is cut off at the proxy instead of restarted). The
database-driven sweeper (``recordings.cleanup.sweep``, what beat runs every
``INGEST_SWEEP_SECONDS``) is run from this process about once a second while waiting, with
the lease and requeue intervals shortened for worker and test alike.

"Stored exactly once" is checked the same way in every test (:meth:`Stack.assert_stored_once`):
every ingest ``stored``; one recording per ingest and none else; no two recordings of the same
call and audio; the bucket holds exactly the recordings' keys, each object's bytes hashing to
what was pushed; one ``recording.ingested`` audit event per recording and an intact chain; the
PBX API answers ``stored`` with the recording's id; no staged bytes left behind.

Needs PostgreSQL (a subprocess cannot share SQLite's in-memory test database) and
``redis-server``: skipped locally without them, failing in CI (``CI=true``).
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import datetime
import hashlib
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.db import connection
from django.utils import timezone

from tests import audio_samples

from . import faultkit

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.s3,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

PUSH_PATH = "/api/pbx/v1/recordings/"
LEASE_SECONDS = 6  # a dead worker's claim is taken over this long after it was made
REQUEUE_AFTER_SECONDS = 2  # queued this long without a start → the sweeper enqueues again
SWEEP_EVERY = 1.0
FINAL_STATUSES = {"stored", "rejected", "quarantined"}
SHORT_SECONDS = 180  # a 3-minute 8 kHz call: about 2.9 MB
LONG_SECONDS = 1200  # 20 minutes: about 19 MB, long enough to be caught in flight


# --- infrastructure -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def redis_binary():
    binary = faultkit.redis_server_binary()
    if binary is None:
        message = "redis-server is needed for the fault tests (apt-get install redis-server)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return binary


@pytest.fixture
def redis_server(redis_binary, tmp_path):
    """A private redis-server for this test (the machine's Redis is never touched)."""
    server = faultkit.RedisServer(tmp_path / "redis")
    try:
        server.start()
    except RuntimeError as exc:
        if IN_CI:
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    yield server
    server.kill()


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    """Base recordings; each push gets its own variant (distinct bytes, same format)."""
    directory = tmp_path_factory.mktemp("fault-samples")
    return {
        "short": audio_samples.call_recording(directory, SHORT_SECONDS),
        "long": audio_samples.call_recording(directory, LONG_SECONDS),
    }


def variant(base: Path, index: int, directory: Path) -> Path:
    """A copy of ``base`` whose last samples encode ``index`` (still valid PCM)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{base.stem}-{index:03d}.wav"
    shutil.copyfile(base, target)
    with open(target, "r+b") as fh:
        fh.seek(-8, os.SEEK_END)
        fh.write(index.to_bytes(8, "little"))
    return target


def sha256_of(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _reset_broker_pools(app):
    if app._pool is not None:
        with contextlib.suppress(Exception):
            app._pool.force_close_all()
        app._pool = None
    amqp = app.amqp
    if amqp._producer_pool is not None:
        with contextlib.suppress(Exception):
            amqp._producer_pool.force_close_all()
        amqp._producer_pool = None


@contextlib.contextmanager
def celery_broker(settings, url: str):
    """Point this process's Celery app (the live server and the sweeper enqueue through it) at
    ``url``, not eager. The app reads ``CELERY_*`` live from Django settings, but keeps its
    broker connection pools: those are dropped on the way in and out."""
    from hostedpbx.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False  # tests/recordings/conftest.py makes it eager
    settings.CELERY_BROKER_URL = url
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    _reset_broker_pools(app)
    target = app.connection_for_write()
    assert (target.hostname, target.port) == ("127.0.0.1", int(url.rsplit(":", 1)[1].split("/")[0]))
    assert not app.conf.task_always_eager
    try:
        yield app
    finally:
        _reset_broker_pools(app)


@dataclass
class Pushed:
    path: Path
    sha256: str
    size: int
    call_id: str


class Stack:
    """The running system of one test and the checks on it."""

    def __init__(self, *, live_url, token, tenant, tmp_path, redis, proxy, s3, bucket,
                 worker_env, staging_dir, upload_tmp):
        self.live_url = live_url
        self.token = token
        self.tenant = tenant
        self.tmp_path = tmp_path
        self.redis = redis
        self.proxy = proxy
        self.s3 = s3
        self.bucket = bucket
        self.worker_env = worker_env
        self.staging_dir = staging_dir
        self.upload_tmp = upload_tmp
        self.workers: list[faultkit.CeleryWorker] = []
        self.pushed: dict[str, Pushed] = {}
        self._lock = threading.Lock()
        self._last_sweep = 0.0

    # --- processes ------------------------------------------------------------------------
    def start_worker(self) -> faultkit.CeleryWorker:
        n = len(self.workers) + 1
        worker = faultkit.CeleryWorker(self.worker_env, self.tmp_path / f"worker-{n}.log",
                                       concurrency=2, name=f"faults{n}-{uuid.uuid4().hex[:6]}@%h")
        self.workers.append(worker)
        worker.start().wait_ready(timeout=60)
        return worker

    def stop_all(self):
        for worker in self.workers:
            worker.stop()

    def logs(self) -> str:
        parts = [f"--- {w.log_path.name} ---\n{w.log_tail(40)}" for w in self.workers]
        return "\n".join(parts) or "(no worker started)"

    # --- pushing --------------------------------------------------------------------------
    def metadata(self, call_id=None, **overrides) -> dict:
        started = timezone.localtime() - datetime.timedelta(minutes=30)
        fields = {"call_id": call_id or f"fault-{uuid.uuid4().hex[:16]}", "extension": "201",
                  "direction": "inbound", "remote_number": "030 1234567",
                  "started_at": started.isoformat(), "kind": "auto"}
        fields.update(overrides)
        return fields

    def post(self, path: Path, metadata: dict) -> requests.Response:
        with open(path, "rb") as fh:
            return requests.post(f"{self.live_url}{PUSH_PATH}",
                                 headers={"Authorization": f"Bearer {self.token}"},
                                 data=metadata, files={"audio": (path.name, fh, "audio/wav")},
                                 timeout=120)

    def push(self, path: Path, call_id=None) -> str:
        """Push ``path``; asserts 202 and returns the ingest id (remembered for the checks)."""
        metadata = self.metadata(call_id)
        response = self.post(path, metadata)
        assert response.status_code == 202, (response.status_code, response.text[:500])
        ingest_id = response.json()["ingest_id"]
        with self._lock:
            self.pushed[ingest_id] = Pushed(path, sha256_of(path), path.stat().st_size,
                                            metadata["call_id"])
        return ingest_id

    def push_many(self, paths, clients: int = 4) -> list[str]:
        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            return list(pool.map(self.push, paths))

    # --- observing ------------------------------------------------------------------------
    def statuses(self, ids=None) -> dict[str, str]:
        from recordings.models import Ingest

        ids = list(ids if ids is not None else self.pushed)
        return {str(i): s for i, s in Ingest.unscoped.filter(ingest_id__in=ids)
                .values_list("ingest_id", "status")}

    def counts(self, ids=None) -> collections.Counter:
        return collections.Counter(self.statuses(ids).values())

    def sweep(self, force=False):
        now = time.monotonic()
        if force or now - self._last_sweep >= SWEEP_EVERY:
            from recordings import cleanup

            self._last_sweep = now
            return cleanup.sweep()
        return None

    def wait_until(self, predicate, timeout: float, what: str, sweep: bool = False,
                   interval: float = 0.05):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sweep:
                self.sweep()
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        pytest.fail(f"timed out after {timeout} s waiting for {what}; ingests: "
                    f"{dict(self.counts())}\n{self.logs()}")

    def wait_final(self, timeout: float = 90.0, ids=None):
        """Until every pushed ingest is final, running the sweeper as beat would."""
        ids = list(ids if ids is not None else self.pushed)
        self.wait_until(lambda: set(self.statuses(ids).values()) <= FINAL_STATUSES
                        and len(self.statuses(ids)) == len(ids),
                        timeout, f"{len(ids)} ingests to finish", sweep=True, interval=0.2)

    # --- the promise ----------------------------------------------------------------------
    def bucket_objects(self) -> dict[str, int]:
        objects = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for item in page.get("Contents", []):
                objects[item["Key"]] = item["Size"]
        return objects

    def object_sha256(self, key) -> str:
        body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"]
        digest = hashlib.sha256()
        for chunk in body.iter_chunks(1024 * 1024):
            digest.update(chunk)
        return digest.hexdigest()

    def assert_stored_once(self):
        from audit.chain import verify
        from audit.models import AuditEvent
        from recordings.models import Ingest, Recording

        pushed = self.pushed
        ingests = {str(i.ingest_id): i for i in Ingest.unscoped.filter(tenant=self.tenant)}
        assert set(ingests) == set(pushed), "ingests other than the pushed ones exist"
        not_stored = {i: (g.status, g.reason, g.reason_detail[:300]) for i, g in ingests.items()
                      if g.status != "stored"}
        assert not not_stored, f"not stored: {not_stored}\n{self.logs()}"

        recordings = list(Recording.unscoped.filter(tenant=self.tenant))
        assert len(recordings) == len(pushed), (
            f"{len(recordings)} recordings for {len(pushed)} pushed recordings")
        by_ingest = {r.ingest_id: r for r in recordings}
        same_audio = collections.Counter((r.pbx_call_id, r.sha256) for r in recordings)
        assert max(same_audio.values()) == 1, f"duplicates: {same_audio.most_common(3)}"
        for ingest_id, sent in pushed.items():
            ingest = ingests[ingest_id]
            recording = by_ingest.get(ingest.pk)
            assert recording is not None, f"ingest {ingest_id} has no recording of its own"
            assert ingest.recording_id == recording.pk
            assert ingest.reason == "", (ingest_id, ingest.reason)
            assert recording.sha256 == sent.sha256 and recording.size == sent.size
            assert recording.pbx_call_id == sent.call_id
            assert recording.audio_state == "stored" and recording.storage_key

        objects = self.bucket_objects()
        keys = sorted(r.storage_key for r in recordings)
        stray, missing = sorted(set(objects) - set(keys)), sorted(set(keys) - set(objects))
        assert sorted(objects) == keys, (
            f"bucket holds {len(objects)} objects for {len(keys)} recordings; "
            f"stray: {stray[:5]}, missing: {missing[:5]}")
        for recording in recordings:
            assert objects[recording.storage_key] == recording.size, recording.storage_key
            assert self.object_sha256(recording.storage_key) == recording.sha256, (
                f"object {recording.storage_key} differs from what was pushed")

        events = collections.Counter(AuditEvent.unscoped.filter(
            tenant=self.tenant, action="recording.ingested").values_list("object_id", flat=True))
        assert events == collections.Counter(str(r.pk) for r in recordings), (
            f"recording.ingested events per recording: {events.most_common(3)}")
        result = verify(self.tenant)
        assert result.ok, result.message()

        for ingest_id, ingest in ingests.items():
            response = requests.get(f"{self.live_url}/api/pbx/v1/ingests/{ingest_id}/",
                                    headers={"Authorization": f"Bearer {self.token}"},
                                    timeout=30)
            assert response.status_code == 200, response.text[:300]
            body = response.json()
            assert body["status"] == "stored"
            assert body["recording_id"] == ingest.recording_id

        # Nothing of a finished ingest is left in staging (the sweeper finishes removals that a
        # crash interrupted).
        self.sweep(force=True)
        left = Ingest.unscoped.filter(tenant=self.tenant).exclude(staged_in="").count()
        assert left == 0, f"{left} stored ingests still name staged bytes"
        staged_files = [p for p in self.staging_dir.rglob("*")
                        if p.is_file() and "tmp" not in p.relative_to(self.staging_dir).parts]
        assert not staged_files, f"staged files left: {staged_files[:5]}"


@pytest.fixture
def stack(settings, tmp_path, ingest_dirs, live_server, s3_endpoint, redis_server, tenant_a,
          node_a, agent_ext_a, monitor_201):
    from urllib.parse import urlsplit

    import boto3

    # The S3 endpoint, behind a proxy that can cut it off; a fresh bucket made on it directly.
    region = os.environ.get("S3_REGION", "eu-central-1")
    access = os.environ.get("S3_ACCESS_KEY_ID", "test")
    secret = os.environ.get("S3_SECRET_ACCESS_KEY", "test")
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name=region,
                      aws_access_key_id=access, aws_secret_access_key=secret)
    bucket = f"faults-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    upstream = urlsplit(s3_endpoint)
    proxy = faultkit.TcpProxy(upstream.hostname, upstream.port).start()

    # This process (live server, sweeper) and the worker share one configuration.
    settings.S3_BUCKET = bucket
    settings.S3_ENDPOINT_URL = proxy.url
    settings.S3_REGION = region
    settings.S3_ACCESS_KEY_ID = access
    settings.S3_SECRET_ACCESS_KEY = secret
    settings.STORAGES = {**settings.STORAGES, "recordings": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": bucket, "endpoint_url": proxy.url, "region_name": region,
                    "access_key": access, "secret_key": secret, "file_overwrite": False,
                    "default_acl": None}}}
    redis_url = redis_server.url(0)
    settings.REDIS_URL = redis_url
    settings.INGEST_LEASE_SECONDS = LEASE_SECONDS
    settings.INGEST_REQUEUE_AFTER_SECONDS = REQUEUE_AFTER_SECONDS
    settings.INGEST_RETRY_BACKOFF_MAX = 2
    settings.S3_CONNECT_TIMEOUT = 2
    settings.S3_READ_TIMEOUT = 20
    staging_dir = Path(settings.INGEST_STAGING_DIR)
    staging_dir.mkdir(parents=True, exist_ok=True)

    worker_var = tmp_path / "worker-var"
    worker_var.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("S3_", "INGEST_", "CELERY_", "PYTEST", "DJANGO_"))
           and k not in ("DATABASE_URL", "REDIS_URL", "VAR_DIR")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "hostedpbx.settings",
        "DATABASE_URL": faultkit.database_url(connection.settings_dict),
        "REDIS_URL": redis_url,
        "S3_ENDPOINT_URL": proxy.url, "S3_BUCKET": bucket, "S3_REGION": region,
        "S3_ACCESS_KEY_ID": access, "S3_SECRET_ACCESS_KEY": secret,
        "S3_SSE": settings.S3_SSE,
        "VAR_DIR": str(worker_var),
        "INGEST_STAGING_DIR": str(staging_dir),
        "INGEST_SPOOL_DIR": str(settings.INGEST_SPOOL_DIR),
        "RECORDINGS_LOCAL_DIR": str(settings.RECORDINGS_LOCAL_DIR),
        "INGEST_LEASE_SECONDS": str(LEASE_SECONDS),
        "INGEST_REQUEUE_AFTER_SECONDS": str(REQUEUE_AFTER_SECONDS),
        "INGEST_RETRY_BACKOFF_MAX": "2",
        "S3_CONNECT_TIMEOUT": "2", "S3_READ_TIMEOUT": "20",
        "CELERY_VISIBILITY_TIMEOUT": "3600",
        "SECRET_KEY": settings.SECRET_KEY, "DEBUG": "0", "HTTPS": "0",
        "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "INFO",
    })
    with celery_broker(settings, redis_url):
        built = Stack(live_url=live_server.url, token=node_a.plain_token, tenant=tenant_a,
                      tmp_path=tmp_path, redis=redis_server, proxy=proxy, s3=s3, bucket=bucket,
                      worker_env=env, staging_dir=staging_dir,
                      upload_tmp=Path(settings.FILE_UPLOAD_TEMP_DIR))
        try:
            yield built
        finally:
            built.stop_all()
            proxy.close()
            _wait_for_other_sessions_to_end()


def _wait_for_other_sessions_to_end(timeout: float = 10.0):
    """Backends of stopped or killed workers exit a moment after them; pytest-django's flush
    and its final DROP DATABASE must not meet them."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                           "current_database() AND pid <> pg_backend_pid()")
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.1)


# --- the tests ------------------------------------------------------------------------------
@pytest.mark.parametrize("express", [False, True], ids=["queued", "express"])
def test_kill_9_of_the_worker_mid_ingest_loses_nothing(stack, samples, tmp_path, express,
                                                       settings):
    """20 pushes (4 of them 20-minute calls, first in line). SIGKILL of the worker's whole
    process tree while ingests are in flight; a second worker takes the orphaned claims over
    (after their lease, re-enqueued by the sweeper) and is killed in turn while redoing one;
    a third worker and the sweeper finish everything, each recording stored once. With the
    express lane (the default) the short calls are stored by their requests and the 20-minute
    ones, above ``INGEST_EXPRESS_MAX_BYTES``, go through the killed workers."""
    settings.INGEST_EXPRESS = express
    from recordings.models import Ingest

    files = [variant(samples["long"], i, tmp_path / "push") for i in range(4)]
    files += [variant(samples["short"], i, tmp_path / "push") for i in range(4, 20)]
    first = stack.start_worker()
    pushing = concurrent.futures.ThreadPoolExecutor(1).submit(stack.push_many, files, 4)

    big = 10 * 1024 * 1024

    def long_in_flight():
        # A 20-minute call takes a couple of seconds: a claim that is still open when the
        # SIGKILL lands, and one that a later worker is still redoing when it is killed too.
        # Claimed (or its lease renewed) less than a second ago: one about to finish could be
        # stored between this look and the kill.
        fresh = timezone.now() + datetime.timedelta(seconds=LEASE_SECONDS - 1)
        return stack.counts()["stored"] >= 1 and Ingest.unscoped.filter(
            tenant=stack.tenant, status="processing", size__gt=big,
            lease_expires_at__gt=fresh).exists()

    stack.wait_until(long_in_flight, 60, "a 20-minute call in flight after one stored")
    killed = first.kill9()
    assert len(killed) >= 3, f"expected the main process and 2 pool children, got {killed}"
    assert not first.group_pids(), "processes of the killed worker survive"
    orphaned = [i for i, s in stack.statuses().items() if s == "processing"]
    orphaned_long = [str(i) for i in Ingest.unscoped.filter(
        ingest_id__in=orphaned, size__gt=big).values_list("ingest_id", flat=True)]
    assert orphaned_long, "no long ingest was in flight when the worker died"
    pushing.result(timeout=120)
    assert len(stack.pushed) == 20

    # The second worker: killed while it redoes an orphaned ingest.
    second = stack.start_worker()
    retaken = stack.wait_until(
        lambda: list(Ingest.unscoped.filter(ingest_id__in=orphaned_long, status="processing",
                                            attempts__gte=2).values_list("ingest_id", flat=True)),
        60, "an orphaned 20-minute call to be taken over", sweep=True, interval=0.02)
    second.kill9()
    assert not second.group_pids()
    orphaned_again = [i for i, s in stack.statuses(retaken).items() if s == "processing"]
    assert orphaned_again, "the taken-over ingest finished before the second kill"

    stack.start_worker()
    stack.wait_final(timeout=90)
    stack.assert_stored_once()
    attempts = dict(Ingest.unscoped.filter(ingest_id__in=orphaned)
                    .values_list("ingest_id", "attempts"))
    assert all(n >= 2 for n in attempts.values()), (
        f"ingests orphaned by the kill were not taken over: {attempts}")
    attempts = dict(Ingest.unscoped.filter(ingest_id__in=orphaned_again)
                    .values_list("ingest_id", "attempts"))
    assert all(n >= 3 for n in attempts.values()), (
        f"ingests orphaned by the second kill were not taken over again: {attempts}")


def test_s3_endpoint_unreachable_for_a_while_loses_nothing(stack, samples, tmp_path):
    """The S3 endpoint goes away in the middle of a 19 MB upload and refuses connections for
    6 s while pushes keep arriving and the worker keeps trying; after it is back, everything
    ends stored once (the cut upload complete and intact), nothing quarantined."""
    from recordings.models import Ingest

    long_file = variant(samples["long"], 0, tmp_path / "push")
    files = [variant(samples["short"], i, tmp_path / "push") for i in range(1, 13)]
    stack.start_worker()
    stack.proxy.throttle = 5 * 1024 * 1024  # the long upload takes about 4 s
    long_id = stack.push(long_file)
    stack.wait_until(lambda: stack.proxy.largest_upload() > 6 * 1024 * 1024, 60,
                     "the 19 MB upload to be under way")
    stack.proxy.down()
    outage_started = time.monotonic()
    try:
        # Pushes keep being accepted: receiving needs the database and local staging only.
        stack.push_many(files, 4)
        stack.wait_until(lambda: _transient_seen(stack), 30,
                         "the worker to meet the outage (a transient_error retry)")
        time.sleep(max(0.0, 6 - (time.monotonic() - outage_started)))
        during = stack.counts()
        assert during["quarantined"] == 0 and during["rejected"] == 0, during
        assert during["stored"] == 0, f"stored while S3 was down? {during}"
    finally:
        stack.proxy.throttle = None
        stack.proxy.up()
    stack.wait_final(timeout=90)
    stack.assert_stored_once()
    assert Ingest.unscoped.get(ingest_id=long_id).attempts >= 2, "the cut upload was not retried"


def _transient_seen(stack) -> bool:
    from recordings.models import Ingest

    return Ingest.unscoped.filter(tenant=stack.tenant).filter(
        reason="transient_error").exists() or Ingest.unscoped.filter(
        tenant=stack.tenant, attempts__gte=2).exists()


def test_redis_restart_loses_queued_messages_but_no_recording(stack, samples, tmp_path):
    """Redis keeps nothing on disk. (1) Messages queued with no worker are lost by a restart;
    (2) Redis dies under a running worker, and pushes arrive while it is down; the
    database-driven sweeper enqueues everything again and each recording is stored once."""
    files = [variant(samples["short"], i, tmp_path / "push") for i in range(14)]
    queue = stack.redis.client(0)

    # (1) No worker: five pushes wait in Redis; a restart loses the messages.
    batch_a = stack.push_many(files[:5], 4)
    assert queue.llen("celery") == 5, "each acknowledged push should have enqueued a message"
    stack.redis.kill()
    stack.redis.start()
    assert queue.llen("celery") == 0
    assert stack.counts(batch_a)["queued"] == 5

    # (2) A worker runs; Redis dies while work is queued; pushes arrive while it is down.
    stack.start_worker()
    batch_b = stack.push_many(files[5:10], 4)
    stack.redis.kill()
    try:
        for path in files[10:]:
            started = time.monotonic()
            stack.push(path)  # 202 although the broker is down: the row is the truth
            assert time.monotonic() - started < 15, "a push hung on the dead broker"
        batch_c = list(stack.pushed)[10:]
        assert stack.counts(batch_c)["queued"] + stack.counts(batch_c)["processing"] \
            + stack.counts(batch_c)["stored"] == 4
        time.sleep(2)
    finally:
        stack.redis.start()
    assert len(batch_b) == 5
    stack.wait_final(timeout=90)
    stack.assert_stored_once()


def test_audio_of_a_caller_who_objected_is_not_left_behind_by_a_killed_worker(stack, samples,
                                                                             tmp_path):
    """The worker uploads the audio, S3 stores it, and the worker is killed before its final
    transaction (S3's answer is held back at the proxy so the moment is exact). The caller's
    objection arrives meanwhile. The ingest must end rejected/caller_objected with a tombstone
    — and the audio must not stay in the bucket: a recording of a call whose caller objected
    is not kept (PRODUCT.md, Consent)."""
    from recordings.models import Ingest, Recording

    path = variant(samples["short"], 7, tmp_path / "push")
    worker = stack.start_worker()
    stack.proxy.hold_responses = True
    try:
        ingest_id = stack.push(path)
        prefix = f"tenants/{stack.tenant.pk}/"
        stack.wait_until(lambda: stack.bucket_objects(), 30,
                         "S3 to hold the uploaded audio (answer held back)")
        assert stack.statuses()[ingest_id] == "processing"
        worker.kill9()
    finally:
        stack.proxy.hold_responses = False
        stack.proxy.down()
        stack.proxy.up()
    call_id = stack.pushed[ingest_id].call_id
    response = requests.post(f"{stack.live_url}/api/pbx/v1/calls/{call_id}/consent/",
                             headers={"Authorization": f"Bearer {stack.token}"},
                             json={"outcome": "objected"}, timeout=30)
    assert response.status_code == 200, response.text[:300]

    stack.start_worker()
    stack.wait_final(timeout=60)
    ingest = Ingest.unscoped.get(ingest_id=ingest_id)
    assert (ingest.status, ingest.reason) == ("rejected", "caller_objected"), (
        ingest.status, ingest.reason, ingest.reason_detail)
    tombstone = Recording.unscoped.get(pk=ingest.recording_id)
    assert tombstone.audio_state == "discarded"
    stack.sweep(force=True)  # whatever deletion is pending, the sweeper finishes it
    left = [key for key in stack.bucket_objects() if key.startswith(prefix)]
    assert not left, (
        f"the audio of a call whose caller objected is still in the bucket: {left} "
        "(uploaded by the killed attempt; the tombstone names no key, so nothing deletes it)")


@pytest.mark.parametrize("express", [False, True], ids=["queued", "express"])
def test_the_same_recording_pushed_concurrently_ends_as_one(stack, samples, tmp_path, express,
                                                            settings):
    """Ten identical pushes (same call, same audio) at the same instant: one ingest id for
    all, one recording, one object; the losers' staged copies are gone. Through the pipeline
    and through the express lane."""
    settings.INGEST_EXPRESS = express
    path = variant(samples["short"], 1, tmp_path / "push")
    stack.start_worker()
    metadata = stack.metadata()
    barrier = threading.Barrier(10)

    def push_once(_):
        barrier.wait(timeout=30)
        return stack.post(path, metadata)

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(push_once, range(10)))
    codes = [r.status_code for r in responses]
    assert codes == [202] * 10, [(r.status_code, r.text[:200]) for r in responses]
    ids = {r.json()["ingest_id"] for r in responses}
    assert len(ids) == 1, f"identical pushes got {len(ids)} ingest ids"
    ingest_id = ids.pop()
    stack.pushed[ingest_id] = Pushed(path, sha256_of(path), path.stat().st_size,
                                     metadata["call_id"])

    stack.wait_final(timeout=60)
    # The same push again after it was stored is still the same ingest.
    again = stack.post(path, metadata)
    assert again.status_code == 202 and again.json()["ingest_id"] == ingest_id, again.text
    stack.assert_stored_once()
    assert not [p for p in stack.upload_tmp.rglob("*") if p.is_file()], "upload temp files left"


def test_nothing_is_acknowledged_before_it_is_durable(stack, samples, tmp_path):
    """No worker runs: right after each 202 (eight pushes at once) the ingest row is committed
    (visible to another connection) and the staged bytes are on disk, equal to what was sent;
    then a worker stores them all once."""
    from recordings import staging
    from recordings.models import Ingest

    files = [variant(samples["short"], i, tmp_path / "push") for i in range(8)]

    def push_and_look(path):
        try:
            ingest_id = stack.push(path)
            row = Ingest.unscoped.filter(ingest_id=ingest_id).values(
                "status", "sha256", "size", "staged_in", "staged_path").first()
            staged = None
            if row and row["staged_in"] == "local":
                staged_path = staging.path(row["staged_path"])
                staged = (sha256_of(staged_path), staged_path.stat().st_size) \
                    if staged_path.exists() else "missing"
            return ingest_id, row, staged
        finally:
            connection.close()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(push_and_look, files))
    for ingest_id, row, staged in seen:
        sent = stack.pushed[ingest_id]
        assert row is not None, f"202 for {ingest_id} before its row was committed"
        assert row["status"] == "queued"
        assert (row["sha256"], row["size"]) == (sent.sha256, sent.size)
        assert row["staged_in"] == "local", row
        assert staged == (sent.sha256, sent.size), f"staged bytes of {ingest_id}: {staged}"
    assert not [p for p in stack.upload_tmp.rglob("*") if p.is_file()], "upload temp files left"

    stack.start_worker()
    stack.wait_final(timeout=60)
    stack.assert_stored_once()


# --- the express lane (pushes stored inside their request) ----------------------------------
def test_express_pushes_are_stored_on_their_202_and_survive_an_s3_cut(stack, samples, tmp_path,
                                                                      settings):
    """With the express lane on: pushes are stored before their 202 (the row committed and the
    object in the bucket, seen from outside the request); while the S3 endpoint refuses
    connections, pushes are still accepted — handed to the pipeline, staged and queued — and
    the worker stores them once S3 is back. Nothing is stored twice."""
    from recordings.models import Ingest

    settings.INGEST_EXPRESS = True
    files = [variant(samples["short"], i, tmp_path / "push") for i in range(12)]
    stack.start_worker()
    for path in files[:4]:
        ingest_id = stack.push(path)
        row = Ingest.unscoped.filter(ingest_id=ingest_id).values(
            "status", "recording__storage_key").get()
        assert row["status"] == "stored", "an express push answers after its commit"
        assert row["recording__storage_key"] in stack.bucket_objects()
    stack.proxy.down()
    try:
        handed = stack.push_many(files[4:], 4)
        during = stack.counts(handed)
        assert during["stored"] == 0 and during["quarantined"] == 0, during
        assert set(Ingest.unscoped.filter(ingest_id__in=handed).values_list(
            "staged_in", flat=True)) == {"local"}, "handed over with their bytes staged"
    finally:
        stack.proxy.up()
    stack.wait_final(timeout=90)
    stack.assert_stored_once()


def test_express_upload_whose_answer_was_lost_is_stored_once(stack, samples, tmp_path,
                                                             settings):
    """S3 stores the express lane's upload but its answer never comes back (held at the proxy,
    then the connection cut): the lane hands the push over saying the key may hold an object;
    the worker finds it there and stores the recording once, with one object."""
    settings.INGEST_EXPRESS = True
    path = variant(samples["short"], 3, tmp_path / "push")
    stack.start_worker()
    stack.proxy.hold_responses = True
    pushing = concurrent.futures.ThreadPoolExecutor(1).submit(stack.push, path)
    try:
        stack.wait_until(lambda: stack.bucket_objects(), 30,
                         "S3 to hold the express upload (answer held back)")
        stack.proxy.hold_responses = False
        # Down long enough for the client's own retries (3 attempts) to fail as well.
        stack.proxy.down()
        handed = pushing.result(timeout=120)
    finally:
        stack.proxy.hold_responses = False
        stack.proxy.up()
    from recordings.models import Ingest

    assert Ingest.unscoped.filter(ingest_id=handed).values_list("status", flat=True).get() \
        == "queued", "handed to the pipeline"
    stack.wait_final(timeout=60)
    stack.assert_stored_once()
    assert Ingest.unscoped.get(ingest_id=handed).attempts >= 2, "the lane was the first"
