"""The pipeline's promises: claims, leases, transient retries, quarantine and its release,
licence checks, retries, the sweeper, audit."""

import datetime
from unittest import mock

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from django.db import OperationalError
from django.utils import timezone

from recordings import cleanup, services, staging
from recordings.ingest import queue
from recordings.ingest.runner import TransientIngestError, run_ingest
from recordings.ingest.transient import is_transient
from recordings.models import Ingest, Recording
from recordings.storage import LocalStore
from tenancy import services as tenancy_services

from .conftest import audit_actions, grant
from .seams import database_fails

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(push, wav):
    """``queued(**metadata)`` → a pushed ingest that no worker ran yet."""

    def do(path=None, **overrides):
        response = push(path or wav, **overrides)
        assert response.status_code == 202
        return Ingest.unscoped.get(ingest_id=response.json()["ingest_id"])

    return do


def run(ingest, capture):
    with capture(execute=True):
        result = run_ingest(ingest.ingest_id)
    ingest.refresh_from_db()
    return result


# --- quarantine for unknown extensions ------------------------------------------------------
def test_unknown_extension_is_quarantined_then_released_when_the_user_is_created(
        ingest_file, wav, tenant_a, admin_a, django_capture_on_commit_callbacks):
    ingest = ingest_file(wav, extension="250")
    assert ingest.status == "quarantined" and ingest.reason == "unknown_extension"
    assert staging.path(ingest.staged_path).exists(), "never dropped"
    assert "recording.quarantined" in audit_actions(tenant_a)

    with django_capture_on_commit_callbacks(execute=True):
        tenancy_services.create_pbx_user(actor=admin_a, tenant=tenant_a, extension="250",
                                         display_name="Neu Angelegt")
    ingest.refresh_from_db()
    assert ingest.status == "stored" and ingest.recording.extension == "250"
    assert ingest.recording.pbx_user.extension == "250"
    assert ingest.recording.policy_violation, "the new user holds no Monitor licence"
    assert ingest.staged_path == ""
    assert "ingest.released" in audit_actions(tenant_a)


def test_quarantined_ingest_of_another_extension_stays(ingest_file, wav, tenant_a, admin_a,
                                                      django_capture_on_commit_callbacks):
    ingest = ingest_file(wav, extension="251")
    with django_capture_on_commit_callbacks(execute=True):
        tenancy_services.create_pbx_user(actor=admin_a, tenant=tenant_a, extension="252",
                                         display_name="Andere")
    ingest.refresh_from_db()
    assert ingest.status == "quarantined"


# --- licence check --------------------------------------------------------------------------
def test_auto_recording_without_monitor_is_kept_but_flagged(ingest_file, wav, agent_ext_a):
    ingest = ingest_file(wav, kind="auto")
    recording = ingest.recording
    assert ingest.status == "stored"
    assert recording.policy_violation and recording.policy_violation_reason == "monitor_not_held"


def test_on_demand_and_client_need_record(ingest_file, wav, sample_dir, record_201):
    from tests import audio_samples

    on_demand = ingest_file(wav, kind="on_demand").recording
    client = ingest_file(audio_samples.mulaw_wav(sample_dir), kind="client").recording
    auto = ingest_file(audio_samples.alaw_wav(sample_dir), kind="auto").recording
    assert not on_demand.policy_violation and not client.policy_violation
    assert auto.policy_violation_reason == "monitor_not_held"


def test_licence_is_checked_at_the_calls_start(ingest_file, wav, sample_dir, agent_ext_a):
    from tests import audio_samples

    now = timezone.now()
    grant(agent_ext_a, "monitor", since=now - datetime.timedelta(hours=2),
          until=now - datetime.timedelta(hours=1))
    before_revocation = (now - datetime.timedelta(minutes=90)).isoformat()
    after_revocation = (now - datetime.timedelta(minutes=30)).isoformat()
    held = ingest_file(wav, started_at=before_revocation).recording
    revoked = ingest_file(audio_samples.flac(sample_dir), started_at=after_revocation).recording
    assert not held.policy_violation
    assert revoked.policy_violation


# --- claims and leases ----------------------------------------------------------------------
def test_a_second_run_of_a_finished_ingest_does_nothing(queued, monitor_201,
                                                        django_capture_on_commit_callbacks):
    ingest = queued()
    assert run(ingest, django_capture_on_commit_callbacks) == "stored"
    assert run(ingest, django_capture_on_commit_callbacks) == "skipped"
    assert Recording.unscoped.count() == 1 and ingest.attempts == 1


def test_an_ingest_under_a_valid_lease_is_not_taken(queued, monitor_201,
                                                    django_capture_on_commit_callbacks):
    ingest = queued()
    Ingest.unscoped.filter(pk=ingest.pk).update(
        status="processing", lease_expires_at=timezone.now() + datetime.timedelta(minutes=5))
    assert run(ingest, django_capture_on_commit_callbacks) == "skipped"
    assert ingest.status == "processing"


def test_an_expired_lease_is_taken_over(queued, monitor_201, django_capture_on_commit_callbacks):
    ingest = queued()
    Ingest.unscoped.filter(pk=ingest.pk).update(
        status="processing", attempts=1,
        lease_expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert run(ingest, django_capture_on_commit_callbacks) == "stored"
    assert ingest.attempts == 2


def test_a_worker_that_lost_its_lease_writes_nothing(queued, monitor_201,
                                                     django_capture_on_commit_callbacks):
    ingest = queued()
    original = LocalStore.put_file

    def slow_upload(self, key, path, **kwargs):
        original(self, key, path, **kwargs)
        # Meanwhile the lease expired and another worker claimed the ingest.
        Ingest.unscoped.filter(pk=ingest.pk).update(lease_token="00000000-0000-0000-0000-"
                                                                "000000000001")

    with mock.patch.object(LocalStore, "put_file", slow_upload):
        assert run(ingest, django_capture_on_commit_callbacks) == "skipped"
    assert ingest.status == "processing" and not Recording.unscoped.exists()


# --- failures -------------------------------------------------------------------------------
def test_storage_outage_releases_the_ingest_for_a_retry(queued, monitor_201,
                                                        django_capture_on_commit_callbacks):
    ingest = queued()
    down = EndpointConnectionError(endpoint_url="http://s3.invalid")
    with mock.patch.object(LocalStore, "put_file", side_effect=down), \
            pytest.raises(TransientIngestError):
        run(ingest, django_capture_on_commit_callbacks)
    ingest.refresh_from_db()
    assert ingest.status == "queued" and ingest.reason == "transient_error"
    assert "EndpointConnectionError" in ingest.reason_detail
    assert ingest.next_attempt_at > timezone.now() and ingest.lease_token is None
    assert staging.path(ingest.staged_path).exists()
    assert run(ingest, django_capture_on_commit_callbacks) == "stored"
    assert ingest.reason == "" and ingest.attempts == 2


def test_database_outage_at_the_end_is_retried_without_a_second_recording(
        queued, monitor_201, django_capture_on_commit_callbacks):
    ingest = queued()
    with database_fails(OperationalError("server closed the connection")), \
            pytest.raises(TransientIngestError):
        run(ingest, django_capture_on_commit_callbacks)
    assert run(ingest, django_capture_on_commit_callbacks) == "stored"
    assert Recording.unscoped.count() == 1


def test_task_retries_transient_errors_only():
    from recordings.tasks import process_ingest

    assert process_ingest.autoretry_for == (TransientIngestError,)
    assert process_ingest.retry_backoff and process_ingest.retry_jitter
    assert process_ingest.max_retries == 10


@pytest.mark.parametrize("exc,transient", [
    (EndpointConnectionError(endpoint_url="http://x"), True),
    (ClientError({"Error": {"Code": "InternalError"}, "ResponseMetadata": {
        "HTTPStatusCode": 500}}, "PutObject"), True),
    (ClientError({"Error": {"Code": "SlowDown"}, "ResponseMetadata": {"HTTPStatusCode": 503}},
                 "PutObject"), True),
    (ClientError({"Error": {"Code": "AccessDenied"}, "ResponseMetadata": {
        "HTTPStatusCode": 403}}, "PutObject"), False),
    (OperationalError("could not connect"), True),
    (ValueError("bug"), False),
])
def test_transient_errors_are_told_apart(exc, transient):
    assert is_transient(exc) is transient


def test_wrapped_transient_errors_are_found():
    from boto3.exceptions import S3UploadFailedError

    try:
        try:
            raise ClientError({"Error": {"Code": "ServiceUnavailable"},
                               "ResponseMetadata": {"HTTPStatusCode": 503}}, "UploadPart")
        except ClientError as inner:
            raise S3UploadFailedError("Failed to upload") from inner
    except S3UploadFailedError as outer:
        assert is_transient(outer)


def test_permanent_storage_error_quarantines(queued, monitor_201,
                                             django_capture_on_commit_callbacks):
    ingest = queued()
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "denied"},
                          "ResponseMetadata": {"HTTPStatusCode": 403}}, "PutObject")
    with mock.patch.object(LocalStore, "put_file", side_effect=denied):
        assert run(ingest, django_capture_on_commit_callbacks) == "quarantined"
    assert ingest.reason == "storage_error" and "AccessDenied" in ingest.reason_detail


def test_unexpected_error_quarantines_and_a_retry_stores(queued, monitor_201, admin_a,
                                                         django_capture_on_commit_callbacks):
    ingest = queued()
    with mock.patch("recordings.audio.analyse", side_effect=RuntimeError("decoder crashed")):
        assert run(ingest, django_capture_on_commit_callbacks) == "quarantined"
    assert ingest.reason == "internal_error" and "decoder crashed" in ingest.reason_detail
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_ingest(actor=admin_a, ingest=ingest)
    ingest.refresh_from_db()
    assert ingest.status == "stored" and ingest.attempts == 2
    assert "ingest.retried" in audit_actions(ingest.tenant_id)


def test_changed_staged_bytes_are_quarantined(queued, monitor_201,
                                              django_capture_on_commit_callbacks):
    ingest = queued()
    path = staging.path(ingest.staged_path)
    path.write_bytes(path.read_bytes()[:-100] + bytes(100))
    assert run(ingest, django_capture_on_commit_callbacks) == "quarantined"
    assert ingest.reason == "checksum_mismatch"


def test_bytes_that_change_after_the_analysis_are_refused_by_the_store(
        queued, monitor_201, django_capture_on_commit_callbacks):
    # the store checks the SHA-256 sent with the upload (S3: x-amz-checksum-sha256)
    from recordings import audio

    ingest = queued()
    path = staging.path(ingest.staged_path)
    real_analyse = audio.analyse

    def analyse_then_change(source, **kwargs):
        result = real_analyse(source, **kwargs)
        path.write_bytes(path.read_bytes()[:-100] + bytes(100))
        return result

    with mock.patch("recordings.audio.analyse", analyse_then_change):
        assert run(ingest, django_capture_on_commit_callbacks) == "quarantined"
    assert ingest.reason == "checksum_mismatch"
    assert ingest.reason_detail == f"received={ingest.sha256}; store=refused"
    assert not Recording.unscoped.filter(tenant_id=ingest.tenant_id).exists()
    assert path.exists(), "the bytes are kept for inspection"


def test_missing_staged_bytes_are_quarantined(queued, monitor_201,
                                              django_capture_on_commit_callbacks):
    ingest = queued()
    staging.path(ingest.staged_path).unlink()
    assert run(ingest, django_capture_on_commit_callbacks) == "quarantined"
    assert ingest.reason == "staged_missing"


# --- retries --------------------------------------------------------------------------------
def test_retry_refuses_what_is_not_rejected_or_quarantined(queued, admin_a, monitor_201,
                                                           django_capture_on_commit_callbacks):
    ingest = queued()
    with pytest.raises(services.NotRetryable):
        services.retry_ingest(actor=admin_a, ingest=ingest)
    run(ingest, django_capture_on_commit_callbacks)
    with pytest.raises(services.NotRetryable):
        services.retry_ingest(actor=admin_a, ingest=ingest)


# --- the sweeper ----------------------------------------------------------------------------
def test_sweeper_re_enqueues_lost_messages_and_dead_workers(queued, settings, sample_dir):
    from tests import audio_samples

    settings.INGEST_REQUEUE_AFTER_SECONDS = 60
    now = timezone.now()
    long_ago = now - datetime.timedelta(minutes=10)
    lost = queued()
    fresh = queued(audio_samples.mulaw_wav(sample_dir))
    dead = queued(audio_samples.alaw_wav(sample_dir))
    waiting = queued(audio_samples.flac(sample_dir))
    Ingest.unscoped.filter(pk=lost.pk).update(enqueued_at=long_ago)
    Ingest.unscoped.filter(pk=dead.pk).update(status="processing", enqueued_at=long_ago,
                                              lease_expires_at=now - datetime.timedelta(1))
    Ingest.unscoped.filter(pk=waiting.pk).update(enqueued_at=long_ago,
                                                 next_attempt_at=now + datetime.timedelta(1))
    with mock.patch("recordings.ingest.queue.enqueue_ingest") as enqueue:
        assert queue.requeue_stalled(now) == 2
    assert {c.args[0] for c in enqueue.call_args_list} == {lost.ingest_id, dead.ingest_id}
    lost.refresh_from_db()
    assert lost.enqueued_at == now
    with mock.patch("recordings.ingest.queue.enqueue_ingest") as enqueue:
        assert queue.requeue_stalled(now) == 0, "not again before the interval"
    assert fresh.status == "queued"


def test_sweeper_finishes_what_the_enqueue_lost(queued, monitor_201, settings,
                                                django_capture_on_commit_callbacks):
    settings.INGEST_REQUEUE_AFTER_SECONDS = 0
    ingest = queued()
    Ingest.unscoped.filter(pk=ingest.pk).update(
        enqueued_at=timezone.now() - datetime.timedelta(seconds=5))
    with django_capture_on_commit_callbacks(execute=True):
        result = cleanup.sweep()
    ingest.refresh_from_db()
    assert result["requeued"] == 1 and ingest.status == "stored"


def test_broker_down_at_push_still_answers_202_and_the_sweeper_enqueues(
        push, wav, settings, django_capture_on_commit_callbacks):
    from kombu.exceptions import OperationalError as BrokerDown

    with mock.patch("recordings.tasks.process_ingest.apply_async",
                    side_effect=BrokerDown("Connection refused")), \
            django_capture_on_commit_callbacks(execute=True):
        response = push(wav)
    assert response.status_code == 202
    assert Ingest.unscoped.get().status == "queued"


def test_staged_bytes_left_by_a_crash_after_commit_are_removed(
        queued, monitor_201, django_capture_on_commit_callbacks):
    ingest = queued()
    with mock.patch("recordings.cleanup.remove_staged"):
        run(ingest, django_capture_on_commit_callbacks)
    assert ingest.status == "stored" and staging.path(ingest.staged_path).exists()
    assert cleanup.finish_staged_removals() == 1
    ingest.refresh_from_db()
    assert ingest.staged_path == "" and ingest.staged_in == ""


def test_purge_drops_old_rejected_bytes_and_orphans(queued, settings, sample_dir,
                                                    django_capture_on_commit_callbacks):
    from tests import audio_samples

    settings.INGEST_ORPHAN_AGE_SECONDS = 0
    rejected = queued(audio_samples.text_file(sample_dir))
    run(rejected, django_capture_on_commit_callbacks)
    Ingest.unscoped.filter(pk=rejected.pk).update(
        finished_at=timezone.now() - datetime.timedelta(days=31))
    orphan = staging.root() / str(rejected.tenant_id) / "6f1c9a52-3a4e-4d7e-9a57-0b7e8f1a2b3c.wav"
    orphan.write_bytes(b"RIFF")
    result = cleanup.purge_staging()
    assert result == {"rejected": 1, "orphans": 1}
    rejected.refresh_from_db()
    assert rejected.status == "rejected" and rejected.staged_in == ""
    assert not orphan.exists()
    assert "ingest.audio_purged" in audit_actions(rejected.tenant_id)


def test_audit_chain_stays_intact_through_the_pipeline(ingest_file, wav, sample_dir,
                                                       monitor_201, tenant_a):
    from audit.chain import verify
    from tests import audio_samples

    ingest_file(wav)
    ingest_file(audio_samples.text_file(sample_dir))
    ingest_file(audio_samples.mulaw_wav(sample_dir), extension="299")
    assert audit_actions(tenant_a, "recording.ingested", "recording.rejected",
                         "recording.quarantined") == [
        "recording.ingested", "recording.rejected", "recording.quarantined"]
    assert verify(tenant_a).ok


@pytest.mark.parametrize("what", ["nothing", "objected", "unknown_extension", "stored",
                                  "other_tenant"])
def test_what_stands_against_an_early_upload(what, tenant_a, tenant_b, agent_ext_a):
    # one query: an objection on the call, no PBX user for the extension, the same audio of
    # the call stored already; another tenant's rows never count
    from types import SimpleNamespace

    from recordings.ingest.steps.upload import _stands_against_keeping
    from tests.factories import CallFactory, RecordingFactory

    sha = "ab" * 32
    extension = "299" if what == "unknown_extension" else "201"
    if what == "objected":
        CallFactory(tenant=tenant_a, call_id="c-1", consent="objected")
    if what == "stored":
        RecordingFactory(tenant=tenant_a, call__call_id="c-1", sha256=sha)
    if what == "other_tenant":
        CallFactory(tenant=tenant_b, call_id="c-1", consent="objected")
        RecordingFactory(tenant=tenant_b, call__call_id="c-1", sha256=sha)
    job = SimpleNamespace(ingest=SimpleNamespace(tenant_id=tenant_a.pk, sha256=sha),
                          metadata={"extension": extension, "call_id": "c-1"})
    assert _stands_against_keeping(job) is (what not in ("nothing", "other_tenant"))
