"""Fixtures of the recordings tests: private staging/spool/store folders, a push helper, sample
audio and licences.

Storage is local files unless a test asks for the ``s3`` fixture (moto over HTTP), which
points the settings at a fresh bucket after these defaults apply.
"""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import audio_samples

PUSH_URL = "/api/pbx/v1/recordings/"


@pytest.fixture(autouse=True)
def ingest_dirs(settings, tmp_path):
    # These tests follow pushes through the pipeline; the express lane (pushes stored in
    # their request) has its own tests, which turn it on (test_express.py).
    settings.INGEST_EXPRESS = False
    settings.S3_BUCKET = ""
    settings.INGEST_STAGING_DIR = tmp_path / "staging"
    settings.INGEST_SPOOL_DIR = tmp_path / "spool"
    settings.RECORDINGS_LOCAL_DIR = str(tmp_path / "store")
    settings.INGEST_STAGE_IN_STORE = False
    settings.INGEST_SPOOL_SETTLE_SECONDS = 0
    upload_tmp = tmp_path / "upload-tmp"
    upload_tmp.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(upload_tmp)
    return tmp_path


@pytest.fixture(autouse=True)
def eager(settings):
    """Celery runs tasks inline, so nothing reaches a broker from these tests; tasks run when
    the test executes on-commit callbacks (``django_capture_on_commit_callbacks``).

    Even an eager ``apply_async`` takes a producer from kombu's process-wide pools, so each
    test starts with fresh ones: a test that pointed Celery at another broker and closed its
    pools must not leave closed pools behind for the next (they stay registered in
    ``kombu.pools`` under the connection's URL)."""
    import kombu.pools

    from hostedpbx.celery import app

    kombu.pools.reset()
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None
    settings.CELERY_TASK_ALWAYS_EAGER = True
    return settings


@pytest.fixture
def sample_dir(tmp_path):
    path = tmp_path / "samples"
    path.mkdir()
    return path


@pytest.fixture
def wav(sample_dir):
    return audio_samples.pcm_wav(sample_dir, seconds=2)


def grant(pbx_user, license, since=None, until=None):
    """Give ``pbx_user`` a licence from ``since`` (default: a day ago) until ``until``."""
    from tests.factories import LicenceFactory

    return LicenceFactory(pbx_user=pbx_user, license=license, revoked_at=until,
                          **({"assigned_at": since} if since else {}))


@pytest.fixture
def monitor_201(agent_ext_a):
    return grant(agent_ext_a, "monitor")


@pytest.fixture
def record_201(agent_ext_a):
    return grant(agent_ext_a, "record")


def metadata(**overrides):
    started = timezone.localtime() - datetime.timedelta(minutes=5)
    fields = {
        "call_id": f"call-{uuid.uuid4().hex[:12]}",
        "extension": "201",
        "direction": "inbound",
        "remote_number": "030 1234567",
        "started_at": started.isoformat(),
        "kind": "auto",
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


@pytest.fixture
def push(pbx_api, node_a):
    """``push(path, node=None, **metadata)`` → the response of ``POST recordings/``."""

    def do(path, node=None, **overrides):
        data = metadata(**overrides)
        client = pbx_api(node or node_a)
        if path is None:
            return client.post(PUSH_URL, data, format="multipart")
        with open(path, "rb") as fh:
            data["audio"] = fh
            return client.post(PUSH_URL, data, format="multipart")

    return do


def tenant_api(tenant, name, **kwargs):
    return reverse(name, kwargs={"tenant_slug": tenant.slug, **kwargs})


@pytest.fixture
def ingest_file(push, django_capture_on_commit_callbacks):
    """``ingest_file(path, **metadata)`` → the ingest after pushing and processing it."""
    from recordings.models import Ingest

    def do(path, **overrides):
        with django_capture_on_commit_callbacks(execute=True):
            response = push(path, **overrides)
        assert response.status_code == 202, response.json()
        return Ingest.unscoped.select_related("recording").get(
            ingest_id=response.json()["ingest_id"])

    return do


def audit_actions(tenant, *actions):
    from audit.models import AuditEvent

    events = AuditEvent.unscoped.filter(tenant=tenant).order_by("seq")
    if actions:
        events = events.filter(action__in=actions)
    return list(events.values_list("action", flat=True))


@pytest.fixture
def locked_bucket(s3, settings):
    """A fresh bucket with Object Lock and a default COMPLIANCE retention of a day."""
    import uuid

    bucket = f"locked-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True,
                     CreateBucketConfiguration={"LocationConstraint": settings.S3_REGION})
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}}})
    settings.S3_BUCKET = bucket
    s3.bucket_name = bucket
    return s3


def versions(s3):
    listed = s3.list_object_versions(Bucket=s3.bucket_name, Prefix="tenants/")
    return listed.get("Versions", []) + listed.get("DeleteMarkers", [])
