"""The express lane (``recordings.ingest.express``): a push that needs none of the pipeline's
other endings is stored inside its request; every other push is handed to the pipeline, which
alone rejects, quarantines and writes tombstones. Faults are injected at the store (a public
seam: what S3 or the local store does), never by patching the lane's own functions."""

import datetime
import hashlib
import time
import uuid
from unittest import mock

import pytest
from botocore.exceptions import EndpointConnectionError
from django.utils import timezone

import audit.models
from audit.chain import verify as verify_audit
from recordings import consent, storage
from recordings.ingest.express import pushed_ingest_id
from recordings.models import Call, Ingest, PendingObjectDeletion, Recording
from recordings.storage import LocalStore

from .conftest import audit_actions, grant, versions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def express(settings):
    settings.INGEST_EXPRESS = True


@pytest.fixture
def send(push, django_capture_on_commit_callbacks):
    """``send(path, **metadata)`` → (response body, ingest); a push handed to the pipeline is
    processed by it right away (its task runs at the commit)."""

    def do(path, pbx_worker_runs=True, **overrides):
        with django_capture_on_commit_callbacks(execute=pbx_worker_runs):
            response = push(path, **overrides)
        assert response.status_code == 202, response.content
        body = response.json()
        return body, Ingest.unscoped.get(ingest_id=body["ingest_id"])

    return do


def object_bytes(key):
    return storage.get_store().path(key).read_bytes()


def test_a_push_that_needs_nothing_else_is_stored_in_its_request(
        push, wav, monitor_201, tenant_a, node_a, pbx_api, django_capture_on_commit_callbacks):
    with mock.patch("recordings.ingest.queue.send") as enqueue, \
            django_capture_on_commit_callbacks(execute=True):
        response = push(wav, call_id="x-1")
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "stored"
    assert not enqueue.called, "nothing for the worker"
    ingest = Ingest.unscoped.select_related("recording").get(ingest_id=body["ingest_id"])
    sha256 = hashlib.sha256(wav.read_bytes()).hexdigest()
    assert ingest.ingest_id == pushed_ingest_id(tenant_a.pk, "x-1", sha256)
    assert (ingest.status, ingest.reason, ingest.attempts, ingest.staged_in) == (
        "stored", "", 1, "")
    assert ingest.finished_at and ingest.node == node_a and ingest.sha256 == sha256
    recording = ingest.recording
    assert recording.ingest_id == ingest.pk and recording.call.call_id == "x-1"
    assert recording.pbx_user.extension == "201" and not recording.policy_violation
    assert recording.duration == pytest.approx(2.0, abs=0.01) and len(recording.peaks) == 800
    assert object_bytes(recording.storage_key) == wav.read_bytes()
    assert audit_actions(tenant_a)[-1] == "recording.ingested"
    assert verify_audit(tenant_a).ok
    # The PBX API says the same.
    answer = pbx_api(node_a).get(f"/api/pbx/v1/ingests/{ingest.ingest_id}/").json()
    assert (answer["status"], answer["recording_id"]) == ("stored", recording.pk)


def comparable(obj, *skip):
    fields = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    for name in ("id", "created_at", "updated_at", *skip):
        fields.pop(name, None)
    return fields


def test_the_lane_writes_what_the_pipeline_writes(send, wav, monitor_201, tenant_a, settings):
    """The same push once through each way: the same call, ingest, recording and audit event
    but for ids, times, the key and what only the pipeline has (its queue and lease)."""
    started = (timezone.localtime() - datetime.timedelta(minutes=5)).isoformat()
    express_body, fast = send(wav, call_id="same-1", started_at=started)
    settings.INGEST_EXPRESS = False
    queued_body, slow = send(wav, call_id="same-2", started_at=started)
    assert (express_body["status"], queued_body["status"]) == ("stored", "queued")
    slow.refresh_from_db()
    assert slow.status == "stored"
    ingest_skip = ("ingest_id", "call_id", "metadata", "recording_id", "finished_at",
                   "enqueued_at", "attempts", "staged_in", "staged_path")
    assert comparable(fast, *ingest_skip) == comparable(slow, *ingest_skip)
    assert fast.metadata == {**slow.metadata, "call_id": "same-1"}
    recording_skip = ("call_id", "ingest_id", "pbx_call_id", "storage_key")
    assert comparable(fast.recording, *recording_skip) == comparable(
        slow.recording, *recording_skip)
    assert fast.recording.storage_key.rsplit("/", 1)[0] == slow.recording.storage_key.rsplit(
        "/", 1)[0]
    call_skip = ("call_id",)
    assert comparable(fast.recording.call, *call_skip) == comparable(
        slow.recording.call, *call_skip)
    events = {e.data["call_id"]: e for e in audit.models.AuditEvent.unscoped.filter(
        tenant=tenant_a, action="recording.ingested")}
    fast_event, slow_event = events["same-1"], events["same-2"]
    assert fast_event.actor_label == slow_event.actor_label
    assert fast_event.object_type == slow_event.object_type
    differs = {"ingest_id", "call_id", "storage_key"}
    assert ({k: v for k, v in fast_event.data.items() if k not in differs}
            == {k: v for k, v in slow_event.data.items() if k not in differs})


def test_the_same_push_again_answers_the_same_ingest(push, wav, monitor_201, tenant_a):
    """A retry (the node lost the 202 after the commit) finds the first push's ingest."""
    first = push(wav, call_id="again-1").json()
    second = push(wav, call_id="again-1").json()
    assert first == second and first["status"] == "stored"
    assert Recording.unscoped.filter(tenant=tenant_a).count() == 1
    assert Ingest.unscoped.filter(tenant=tenant_a).count() == 1
    assert audit_actions(tenant_a).count("recording.ingested") == 1


def test_a_push_without_the_licence_is_stored_as_a_policy_violation(send, wav, agent_ext_a):
    body, ingest = send(wav, call_id="nolic-1")
    assert body["status"] == "stored"
    recording = ingest.recording
    assert recording.policy_violation and recording.policy_violation_reason == "monitor_not_held"


def test_a_licence_that_began_after_the_call_does_not_count(send, wav, agent_ext_a):
    grant(agent_ext_a, "monitor", since=timezone.now() - datetime.timedelta(minutes=1))
    body, ingest = send(wav, call_id="late-lic")  # the call started 5 minutes ago
    assert body["status"] == "stored"
    assert ingest.recording.policy_violation_reason == "monitor_not_held"


def test_the_recording_kind_needs_its_own_licence(send, wav, monitor_201):
    body, ingest = send(wav, call_id="kind-1", kind="on_demand")
    assert ingest.recording.policy_violation_reason == "record_not_held"


@pytest.mark.parametrize("case", ["unknown_extension", "caller_objected", "consent_reported",
                                  "not_audio", "too_large", "switched_off",
                                  "stored_duplicate"])
def test_what_the_lane_does_not_decide_goes_to_the_pipeline(case, send, wav, monitor_201,
                                                            tenant_a, sample_dir, settings):
    overrides, expected = {"call_id": f"hand-{case}"}, ("stored", "")
    path = wav
    if case == "unknown_extension":
        overrides["extension"] = "999"
        expected = ("quarantined", "unknown_extension")
    elif case == "caller_objected":
        consent.report_consent(actor=None, tenant=tenant_a, call_id="hand-caller_objected",
                               outcome="objected", source="pbx", set_by="node:pbx-a")
        expected = ("rejected", "caller_objected")
    elif case == "consent_reported":
        overrides["consent"] = "objected"
        expected = ("rejected", "caller_objected")
    elif case == "not_audio":
        path = sample_dir / "notes.wav"
        path.write_bytes(b"this is no audio at all" * 100)
        expected = ("rejected", None)
    elif case == "too_large":
        settings.INGEST_EXPRESS_MAX_BYTES = wav.stat().st_size - 1
    elif case == "switched_off":
        settings.INGEST_EXPRESS = False
    elif case == "stored_duplicate":
        settings.INGEST_EXPRESS = False
        first, _ingest = send(wav, call_id="hand-stored_duplicate")
        # The same audio of the call arrives by another way (a spool file, say) first.
        Ingest.unscoped.filter(ingest_id=first["ingest_id"]).update(source="spool")
        settings.INGEST_EXPRESS = True
        expected = ("stored", "duplicate")
    body, ingest = send(path, **overrides)
    assert body["status"] == "queued", "handed to the pipeline"
    ingest.refresh_from_db()
    assert ingest.status == expected[0]
    if expected[1] is not None:
        assert ingest.reason == expected[1]
    assert ingest.attempts == 1, "nothing of the lane counted as an attempt"


def test_a_call_of_another_tenant_is_not_touched(send, wav, monitor_201, tenant_a, tenant_b):
    consent.report_consent(actor=None, tenant=tenant_b, call_id="shared-1", outcome="objected",
                           source="pbx", set_by="node:pbx-b")
    body, ingest = send(wav, call_id="shared-1")
    assert body["status"] == "stored", "tenant B's objection is not tenant A's call"
    assert ingest.recording.call.tenant_id == tenant_a.pk
    assert Call.unscoped.get(tenant=tenant_b, call_id="shared-1").consent == "objected"
    assert not Recording.unscoped.filter(tenant=tenant_b).exists()


def test_a_known_call_is_completed_and_kept(send, wav, monitor_201, tenant_a):
    """A call the PBX reported first (consent ``notified``, no numbers yet): the push fills in
    what the call lacks and keeps what it has."""
    consent.report_consent(actor=None, tenant=tenant_a, call_id="known-1", outcome="notified",
                           source="pbx", set_by="node:pbx-a")
    body, ingest = send(wav, call_id="known-1")
    assert body["status"] == "stored"
    call = Call.unscoped.get(tenant=tenant_a, call_id="known-1")
    assert call.consent == "notified" and call.remote_number_raw == "030 1234567"
    assert ingest.recording.call_id == call.pk and ingest.recording.consent == "notified"


def test_an_objection_during_the_upload_stops_it_before_the_object_exists(
        send, wav, monitor_201, tenant_a):
    original = LocalStore.put_file

    def objection_then_last_bytes(self, key, path, **kwargs):
        consent.report_consent(actor=None, tenant=tenant_a, call_id="mid-1",
                               outcome="objected", source="pbx", set_by="node:pbx-a")
        return original(self, key, path, **kwargs)

    with mock.patch.object(LocalStore, "put_file", objection_then_last_bytes):
        body, ingest = send(wav, call_id="mid-1")
    assert body["status"] == "queued"
    ingest.refresh_from_db()
    assert (ingest.status, ingest.reason, ingest.reason_detail) == (
        "rejected", "caller_objected", "audio=never_stored")
    assert not list(storage.get_store().path("tenants").rglob("*.wav"))


@pytest.mark.parametrize("call_known", [False, True], ids=["new_call", "known_call"])
def test_an_objection_after_the_upload_deletes_what_the_lane_put(send, wav, monitor_201,
                                                                 tenant_a, call_known):
    """The objection lands after the last bytes went and before the lane's commit: the lane
    hands the push over saying an object may exist; the pipeline writes the tombstone and
    deletes the object."""
    if call_known:
        consent.report_consent(actor=None, tenant=tenant_a, call_id="after-1",
                               outcome="notified", source="pbx", set_by="node:pbx-a")
    original = LocalStore.put_file
    put = []

    def upload_then_objection(self, key, path, **kwargs):
        original(self, key, path, **kwargs)
        put.append(key)
        consent.report_consent(actor=None, tenant=tenant_a, call_id="after-1",
                               outcome="objected", source="pbx", set_by="node:pbx-a")

    with mock.patch.object(LocalStore, "put_file", upload_then_objection):
        body, ingest = send(wav, call_id="after-1")
    assert body["status"] == "queued" and put
    ingest.refresh_from_db()
    assert (ingest.status, ingest.reason) == ("rejected", "caller_objected")
    assert ingest.recording.audio_state == "discarded"
    assert ingest.recording.storage_key == put[0], "the tombstone names the key it deletes"
    assert not storage.get_store().path(put[0]).exists(), "the object is gone"
    assert not PendingObjectDeletion.unscoped.exists()
    assert "recording.discarded" in audit_actions(tenant_a)


def test_a_store_that_fails_hands_the_push_over_and_the_pipeline_stores_it(
        send, wav, monitor_201, tenant_a, push, django_capture_on_commit_callbacks):
    original = LocalStore.put_file
    calls = []

    def unreachable_once(self, key, path, **kwargs):
        calls.append(key)
        if len(calls) == 1:
            raise EndpointConnectionError(endpoint_url="http://s3.invalid")
        return original(self, key, path, **kwargs)

    with mock.patch.object(LocalStore, "put_file", unreachable_once):
        body, ingest = send(wav, call_id="s3-down")
    assert body["status"] == "queued"
    ingest.refresh_from_db()
    assert ingest.status == "stored" and ingest.attempts == 2, "the lane counts as one attempt"
    assert calls[0] == calls[1] == ingest.recording.storage_key, "the same key both ways"
    assert object_bytes(ingest.recording.storage_key) == wav.read_bytes()
    assert Recording.unscoped.filter(tenant=tenant_a).count() == 1


def test_after_a_store_failure_pushes_skip_the_lane_for_a_while(send, wav, monitor_201,
                                                               monkeypatch):
    """The node should not wait through the store's retries on every push while it is down:
    after one failed upload the lane pauses, pushes are queued at once; then it resumes."""
    from recordings.ingest import express

    original = LocalStore.put_file
    tried = []

    def unreachable(self, key, path, **kwargs):
        tried.append(key)
        raise EndpointConnectionError(endpoint_url="http://s3.invalid")

    with mock.patch.object(LocalStore, "put_file", unreachable):
        first, _ = send(wav, call_id="pause-1", pbx_worker_runs=False)
        second, _ = send(wav, call_id="pause-2", pbx_worker_runs=False)
    assert (first["status"], second["status"]) == ("queued", "queued")
    assert len(tried) == 1, "the second push did not try the store"
    monkeypatch.setattr(express, "_storage_paused_until", 0.0)  # the pause is over
    with mock.patch.object(LocalStore, "put_file", original):
        third, _ = send(wav, call_id="pause-3")
    assert third["status"] == "stored"


@pytest.mark.s3
@pytest.mark.parametrize("multipart", [False, True], ids=["single_put", "multipart"])
def test_on_a_locked_bucket_an_objection_during_the_upload_leaves_nothing(
        locked_bucket, send, sample_dir, monitor_201, tenant_a, monkeypatch, multipart,
        settings):
    """A bucket whose default retention forbids deletion: an objection that arrives while the
    lane uploads stops the upload before any object (or version) exists."""
    from recordings.storage import S3Store
    from tests import audio_samples

    settings.INGEST_EXPRESS_MAX_BYTES = 64 * 1024 * 1024  # the lane takes this long call

    path = audio_samples.pcm_wav(sample_dir, seconds=720, name="long.wav")  # 11 MB
    if multipart:
        monkeypatch.setattr(storage, "MULTIPART_THRESHOLD", 5 * 1024 * 1024)
        monkeypatch.setattr(storage, "MULTIPART_CHUNKSIZE", 5 * 1024 * 1024)
    original = S3Store.put_file

    def objection_while_uploading(self, key, path, *, progress=None, **kwargs):
        sent = []

        def objecting(amount):
            sent.append(amount)
            if sum(sent) > 1024 * 1024 and not consent.objected_by_call_id(tenant_a.pk,
                                                                           "lock-x"):
                consent.report_consent(actor=None, tenant=tenant_a, call_id="lock-x",
                                       outcome="objected", source="pbx", set_by="node:pbx-a")
            progress(amount)

        return original(self, key, path, progress=objecting, **kwargs)

    monkeypatch.setattr(S3Store, "put_file", objection_while_uploading)
    body, ingest = send(path, call_id="lock-x")
    assert body["status"] == "queued"
    ingest.refresh_from_db()
    assert (ingest.status, ingest.reason, ingest.reason_detail) == (
        "rejected", "caller_objected", "audio=never_stored")
    assert versions(locked_bucket) == [], "no byte of the objected call stayed"
    uploads = locked_bucket.list_multipart_uploads(Bucket=locked_bucket.bucket_name)
    assert uploads.get("Uploads", []) == []


def finished_within(thread, seconds: float) -> bool:
    """Whether ``thread`` ends within ``seconds``, polled with sleeps: under libfaketime (the
    date check, ``faketime -f +365d``) a timed ``join`` or ``Event.wait`` never expires."""
    deadline = time.monotonic() + seconds
    while thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not thread.is_alive()


def push_in_a_thread(push, wav, call_id):
    """``(thread, result)``: the push runs in a thread of its own (its own connection, closed
    at the end); ``result["response"]`` once it has answered."""
    import threading

    from django.db import connection

    result = {}

    def pushing():
        try:
            result["response"] = push(wav, call_id=call_id)
        finally:
            connection.close()

    thread = threading.Thread(target=pushing)
    thread.start()
    return thread, result


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_identical_pushes_take_the_lane_one_after_the_other(push, wav, monitor_201, tenant_a):
    """While one request holds the lane for a push (here: another session holding its lock),
    an identical push waits, then finds the first's ingest instead of uploading beside it."""

    import psycopg
    from django.db import connection

    from recordings.ingest.express import LOCK_CLASS

    from .faultkit import database_url

    sha256 = hashlib.sha256(wav.read_bytes()).hexdigest()
    key = str(pushed_ingest_id(tenant_a.pk, "one-at-a-time", sha256))

    with psycopg.connect(database_url(connection.settings_dict), autocommit=True) as first:
        first.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", [LOCK_CLASS, key])
        waiting, result = push_in_a_thread(push, wav, "one-at-a-time")
        assert not finished_within(waiting, 1.5), "the identical push waits for the first"
        assert not Ingest.unscoped.filter(tenant=tenant_a).exists()
        first.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [LOCK_CLASS, key])
        assert finished_within(waiting, 30)
    assert result["response"].json() == {"ingest_id": key, "status": "stored"}


def test_the_file_lock_lets_one_holder_in_at_a_time(settings, tmp_path):
    """Databases without advisory locks (the embedded SQLite): identical pushes wait on a lock
    file; another thread of the same process is kept out as another process would be."""
    import threading

    from recordings.ingest.express import file_lock

    settings.VAR_DIR = tmp_path
    ingest_id = uuid.uuid4()
    entered = threading.Event()

    def second():
        with file_lock(ingest_id):
            entered.set()

    with file_lock(ingest_id):
        waiting = threading.Thread(target=second)
        waiting.start()
        assert not finished_within(waiting, 1.0), "the second holder waits"
    assert finished_within(waiting, 10) and entered.is_set(), "and enters once the first left"
    assert [p.name for p in (tmp_path / "locks").iterdir()] == [
        f"express-{ingest_id.int % 64:02d}.lock"]


@pytest.mark.django_db(transaction=True)
def test_identical_pushes_wait_on_the_file_lock_without_advisory_locks(
        push, wav, monitor_201, tenant_a, settings, tmp_path):
    """On a database other than PostgreSQL the lane takes the file lock: while it is held, an
    identical push waits, then finds nothing held and is stored once."""
    from django.db import connection

    from recordings.ingest import express

    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL takes its advisory lock (the test above)")
    settings.VAR_DIR = tmp_path
    sha256 = hashlib.sha256(wav.read_bytes()).hexdigest()
    key = pushed_ingest_id(tenant_a.pk, "file-locked", sha256)

    with express.file_lock(key):
        waiting, result = push_in_a_thread(push, wav, "file-locked")
        assert not finished_within(waiting, 1.5), "the push waits for the lock"
        assert not Ingest.unscoped.filter(tenant=tenant_a).exists()
    assert finished_within(waiting, 30)
    assert result["response"].json() == {"ingest_id": str(key), "status": "stored"}
