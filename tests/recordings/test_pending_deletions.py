"""Uploaded objects that no recording keeps are deleted durably: the key is recorded in the
transaction that ends the ingest (``PendingObjectDeletion``), deleted after the commit, and
the sweeper retries until the deletion succeeds — a store that is down at that moment or a
worker that dies right after the commit leaves no stray copy of call audio behind."""

from unittest import mock

import pytest
from django.db import OperationalError

from recordings import cleanup, services
from recordings.ingest.runner import run_ingest
from recordings.models import Ingest, PendingObjectDeletion, Recording
from recordings.storage import LocalStore, get_store

from .conftest import audit_actions
from .seams import after_upload, database_fails

pytestmark = pytest.mark.django_db


def stored_objects():
    return sorted(p for p in get_store().root.rglob("*") if p.is_file())


def push_ingest(push, path, **overrides):
    response = push(path, **overrides)
    assert response.status_code == 202, response.json()
    return Ingest.unscoped.get(ingest_id=response.json()["ingest_id"])


def twin_of(push, wav, call_id):
    """Two queued ingests of the same call with the same audio (as a push and a spool file of
    the same recording would be)."""
    first = push_ingest(push, wav, call_id=call_id)
    second = push_ingest(push, wav, call_id=f"{call_id}-other")
    metadata = dict(second.metadata, call_id=call_id)
    Ingest.unscoped.filter(pk=second.pk).update(source="spool", source_ref=f"{call_id}:1",
                                               call_id=call_id, metadata=metadata)
    return first, second


def run_after_the_other(first, second):
    """The store's ``put_file`` that lets ``first`` be stored right after ``second`` uploaded
    (the race on the unique (tenant, call, sha256): this ingest uploaded, then finds the audio
    stored already)."""

    def store_first():
        assert run_ingest(first.ingest_id) == "stored"

    return after_upload(LocalStore, second, store_first)


def test_duplicate_after_upload_keeps_no_stray_copy(push, wav, monitor_201, tenant_a,
                                                    django_capture_on_commit_callbacks):
    first, second = twin_of(push, wav, "dup-race")
    with mock.patch.object(LocalStore, "put_file", run_after_the_other(first, second)), \
            django_capture_on_commit_callbacks(execute=True):
        assert run_ingest(second.ingest_id) == "stored"
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.reason == "duplicate" and second.recording_id == first.recording_id
    kept = get_store().path(first.recording.storage_key)
    assert stored_objects() == [kept], "only the stored recording's object is left"
    assert not PendingObjectDeletion.unscoped.exists()
    assert "ingest.upload_deleted" in audit_actions(tenant_a)


def test_failed_deletion_after_commit_is_finished_by_the_sweeper(
        push, wav, monitor_201, tenant_a, django_capture_on_commit_callbacks):
    first, second = twin_of(push, wav, "dup-down")
    with mock.patch.object(LocalStore, "put_file", run_after_the_other(first, second)), \
            mock.patch.object(LocalStore, "purge", side_effect=OSError("store unreachable")), \
            django_capture_on_commit_callbacks(execute=True):
        assert run_ingest(second.ingest_id) == "stored"
    pending = PendingObjectDeletion.unscoped.get()
    assert pending.attempts == 1 and "store unreachable" in pending.last_error
    assert pending.key.endswith(f"{second.ingest_id}.wav") and pending.reason == "duplicate"
    stray = get_store().path(pending.key)
    assert stray.exists() and len(stored_objects()) == 2
    assert "ingest.upload_deleted" not in audit_actions(tenant_a)

    assert cleanup.sweep()["objects_deleted"] == 1
    assert not stray.exists() and not PendingObjectDeletion.unscoped.exists()
    first.refresh_from_db()
    assert stored_objects() == [get_store().path(first.recording.storage_key)]
    assert audit_actions(tenant_a, "ingest.upload_deleted") == ["ingest.upload_deleted"]
    assert cleanup.sweep()["objects_deleted"] == 0


def test_a_later_objection_leaves_no_copy_of_a_duplicate(
        push, wav, monitor_201, tenant_a, django_capture_on_commit_callbacks):
    first, second = twin_of(push, wav, "dup-obj")
    with mock.patch.object(LocalStore, "put_file", run_after_the_other(first, second)), \
            mock.patch.object(LocalStore, "purge", side_effect=OSError("store unreachable")), \
            django_capture_on_commit_callbacks(execute=True):
        run_ingest(second.ingest_id)
    with django_capture_on_commit_callbacks(execute=True):
        services.report_consent(actor=None, tenant=tenant_a, call_id="dup-obj",
                                outcome="objected", source="pbx", set_by="node:pbx-a")
    assert len(stored_objects()) == 1, "the duplicate's copy is still pending"
    cleanup.sweep()
    assert stored_objects() == [], "no copy of the objected call's audio is left"


def test_worker_dying_right_after_the_commit_leaves_the_deletion_to_the_sweeper(
        push, wav, monitor_201, django_capture_on_commit_callbacks):
    ingest = push_ingest(push, wav, call_id="dies-after-commit")
    # The upload happens, then something unexpected: quarantined internal_error; the worker
    # dies before any after-commit work runs.
    with database_fails(RuntimeError("bug")), \
            django_capture_on_commit_callbacks(execute=False):
        assert run_ingest(ingest.ingest_id) == "quarantined"
    assert len(stored_objects()) == 1
    assert PendingObjectDeletion.unscoped.filter(ingest=ingest).count() == 1
    cleanup.sweep()
    assert stored_objects() == [] and not PendingObjectDeletion.unscoped.exists()


def test_a_retry_that_stores_cancels_the_pending_deletion(
        push, wav, monitor_201, admin_a, django_capture_on_commit_callbacks):
    ingest = push_ingest(push, wav, call_id="retry-keeps")
    with database_fails(RuntimeError("bug")), \
            django_capture_on_commit_callbacks(execute=False):
        assert run_ingest(ingest.ingest_id) == "quarantined"
    assert PendingObjectDeletion.unscoped.count() == 1
    ingest.refresh_from_db()
    services.retry_ingest(actor=admin_a, ingest=ingest)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_ingest(ingest.ingest_id) == "stored"
    recording = Recording.unscoped.get(ingest=ingest)
    assert not PendingObjectDeletion.unscoped.exists()
    cleanup.sweep()
    assert stored_objects() == [get_store().path(recording.storage_key)]


def test_the_sweeper_never_deletes_what_a_stored_recording_names(
        push, wav, monitor_201, django_capture_on_commit_callbacks):
    ingest = push_ingest(push, wav, call_id="never-delete")
    with django_capture_on_commit_callbacks(execute=True):
        assert run_ingest(ingest.ingest_id) == "stored"
    recording = Recording.unscoped.get(ingest=ingest)
    PendingObjectDeletion.unscoped.create(tenant_id=ingest.tenant_id, key=recording.storage_key,
                                          reason="test")
    assert cleanup.finish_pending_deletions() == 1
    assert get_store().path(recording.storage_key).exists()
    assert not PendingObjectDeletion.unscoped.exists()


def test_a_database_error_while_deleting_keeps_the_row(push, wav, monitor_201,
                                                       django_capture_on_commit_callbacks):
    ingest = push_ingest(push, wav, call_id="db-down-delete")
    with database_fails(RuntimeError("bug")), \
            django_capture_on_commit_callbacks(execute=False):
        run_ingest(ingest.ingest_id)
    pending = PendingObjectDeletion.unscoped.get()
    with mock.patch("recordings.services.audit.record", side_effect=OperationalError("gone")):
        assert cleanup.delete_pending_object(pending.pk) is False
    assert PendingObjectDeletion.unscoped.filter(pk=pending.pk).exists()
    assert cleanup.delete_pending_object(pending.pk) is True
    assert stored_objects() == []


# --- the upload overlapped with the analysis (S3) --------------------------------------------
def bucket_keys(s3, prefix="tenants/"):
    listed = s3.list_objects_v2(Bucket=s3.bucket_name, Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


@pytest.mark.s3
def test_s3_upload_runs_while_the_audio_is_decoded(s3, push, wav, monitor_201,
                                                   django_capture_on_commit_callbacks):
    import time

    from recordings import audio

    ingest = push_ingest(push, wav, call_id="overlap")
    original = audio.analyse
    seen = {}

    def analyse(path, **kwargs):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not bucket_keys(s3):
            time.sleep(0.02)
        seen["during_analysis"] = bucket_keys(s3)
        return original(path, **kwargs)

    with mock.patch.object(audio, "analyse", analyse), \
            django_capture_on_commit_callbacks(execute=True):
        assert run_ingest(ingest.ingest_id) == "stored"
    recording = Recording.unscoped.get(ingest=ingest)
    assert seen["during_analysis"] == [recording.storage_key], "uploaded before decoding ended"
    head = s3.head_object(Bucket=s3.bucket_name, Key=recording.storage_key)
    assert head["Metadata"]["sha256"] == recording.sha256 and head["ContentType"] == "audio/wav"
    assert bucket_keys(s3) == [recording.storage_key]


@pytest.mark.s3
@pytest.mark.parametrize("below", [True, False], ids=["below_threshold", "at_threshold"])
def test_s3_only_files_of_the_overlap_threshold_upload_while_decoded(
        s3, settings, push, wav, monitor_201, below, django_capture_on_commit_callbacks):
    """A file smaller than INGEST_OVERLAP_MIN_BYTES is analysed first and uploaded after (the
    analysis of a short call costs less than the overlap's threads); one that large overlaps."""
    from recordings import audio

    size = wav.stat().st_size
    settings.INGEST_OVERLAP_MIN_BYTES = size + 1 if below else size
    ingest = push_ingest(push, wav, call_id=f"threshold-{below}")
    original = audio.analyse
    seen = {}

    def analyse(path, **kwargs):
        seen["before_analysis_ended"] = bucket_keys(s3)
        return original(path, **kwargs)

    with mock.patch.object(audio, "analyse", analyse), \
            mock.patch.object(audio, "media_type", wraps=audio.media_type) as sniffed, \
            django_capture_on_commit_callbacks(execute=True):
        assert run_ingest(ingest.ingest_id) == "stored"
    recording = Recording.unscoped.get(ingest=ingest)
    assert bucket_keys(s3) == [recording.storage_key]
    if below:
        assert seen["before_analysis_ended"] == [] and not sniffed.called, "upload came after"
    else:
        assert sniffed.called, "the early upload was started before the analysis"


@pytest.mark.s3
def test_s3_early_upload_of_audio_the_decoder_rejects_is_deleted(
        s3, push, sample_dir, monitor_201, tenant_a, django_capture_on_commit_callbacks):
    from tests import audio_samples

    ingest = push_ingest(push, audio_samples.header_only_wav(sample_dir), call_id="early-rej")
    with django_capture_on_commit_callbacks(execute=True):
        assert run_ingest(ingest.ingest_id) == "rejected"
    ingest.refresh_from_db()
    assert ingest.reason == "empty"
    # The early upload was stopped, or (if it had finished) deleted after the commit.
    assert bucket_keys(s3) == [], "nothing of it is left"
    assert not PendingObjectDeletion.unscoped.exists()


@pytest.mark.s3
def test_s3_early_upload_with_a_checksum_mismatch_is_deleted_even_if_s3_fails_once(
        s3, push, wav, monitor_201, django_capture_on_commit_callbacks):
    from botocore.exceptions import EndpointConnectionError

    from recordings import staging
    from recordings.storage import S3Store

    ingest = push_ingest(push, wav, call_id="early-sum")
    staged = staging.path(ingest.staged_path)
    data = bytearray(staged.read_bytes())
    data[-1] ^= 0xFF
    staged.write_bytes(bytes(data))
    down = EndpointConnectionError(endpoint_url="http://s3.invalid")
    with mock.patch.object(S3Store, "purge", side_effect=down), \
            django_capture_on_commit_callbacks(execute=True):
        assert run_ingest(ingest.ingest_id) == "quarantined"
    ingest.refresh_from_db()
    assert ingest.reason == "checksum_mismatch"
    # Stopped before it completed, or completed and left to the sweeper (S3 failed once).
    assert len(bucket_keys(s3)) == PendingObjectDeletion.unscoped.count()
    cleanup.sweep()
    assert bucket_keys(s3) == [] and not PendingObjectDeletion.unscoped.exists()
