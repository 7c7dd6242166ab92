"""Objected audio never reaches storage (issue 13, item 4), proven on a bucket whose default
Object Lock retention forbids deleting anything that was put: if a byte of an objected call
reached it, it could never be removed."""

import pytest
from django.utils import timezone

from recordings import consent, storage
from recordings.models import Ingest
from recordings.storage import S3Store

from .conftest import audit_actions, versions

pytestmark = [pytest.mark.s3, pytest.mark.django_db]


def rejected_keeping_nothing(ingest, bucket, capture):
    """Run the ingest: rejected for the caller's objection, no audio ever stored, no version
    of any object and no open multipart upload left in the locked bucket."""
    from recordings.ingest.runner import run_ingest

    with capture(execute=True):
        assert run_ingest(ingest.ingest_id) == "rejected"
    ingest.refresh_from_db()
    assert ingest.reason == "caller_objected" and ingest.reason_detail == "audio=never_stored"
    assert versions(bucket) == [], "no byte of the objected call stayed"
    uploads = bucket.list_multipart_uploads(Bucket=bucket.bucket_name)
    assert uploads.get("Uploads", []) == [], "the multipart upload was aborted"


def pushed(push, path, call_id):
    return Ingest.unscoped.get(ingest_id=push(path, call_id=call_id).json()["ingest_id"])


def test_the_bucket_really_refuses_deletion(locked_bucket, push, wav, monitor_201,
                                            django_capture_on_commit_callbacks):
    from recordings.ingest.runner import run_ingest

    ingest = pushed(push, wav, "lock-kept")
    with django_capture_on_commit_callbacks(execute=True):
        assert run_ingest(ingest.ingest_id) == "stored"
    key = Ingest.unscoped.get(pk=ingest.pk).recording.storage_key
    with pytest.raises(Exception):
        storage.get_store().purge(key)
    assert versions(locked_bucket), "what was put stays: nothing may be put against an objection"


def test_an_objection_before_the_upload_puts_nothing(locked_bucket, push, wav, monitor_201,
                                                     tenant_a,
                                                     django_capture_on_commit_callbacks):
    from recordings.ingest.runner import run_ingest

    ingest = pushed(push, wav, "lock-before")
    consent.report_consent(actor=None, tenant=tenant_a, call_id="lock-before",
                           outcome="objected", source="pbx", set_by="node:pbx-a")
    with django_capture_on_commit_callbacks(execute=True):
        assert run_ingest(ingest.ingest_id) == "rejected"
    ingest.refresh_from_db()
    assert ingest.reason == "caller_objected" and ingest.reason_detail == "audio=never_stored"
    assert ingest.recording.storage_key == "" and ingest.recording.storage_deleted_at
    assert versions(locked_bucket) == []


@pytest.mark.parametrize("multipart", [False, True], ids=["single_put", "multipart"])
def test_an_objection_during_the_upload_aborts_it(locked_bucket, push, sample_dir, monitor_201,
                                                  tenant_a, monkeypatch, multipart, settings,
                                                  django_capture_on_commit_callbacks):
    """The upload after the analysis (no early upload): the objection arrives between two
    chunks."""
    from recordings.ingest.steps import upload
    from tests import audio_samples

    settings.INGEST_OVERLAP_UPLOAD = False

    # 11 MB of PCM: two parts of 5 MiB and a rest when multipart.
    path = audio_samples.pcm_wav(sample_dir, seconds=720, name="long.wav")
    if multipart:
        monkeypatch.setattr(storage, "MULTIPART_THRESHOLD", 5 * 1024 * 1024)
        monkeypatch.setattr(storage, "MULTIPART_CHUNKSIZE", 5 * 1024 * 1024)
    monkeypatch.setattr(upload, "CHECK_EVERY", 0)
    ingest = pushed(push, path, "lock-during")
    original = S3Store.put_file
    progress_seen = []

    def put_file(self, key, path, *, progress=None, **kwargs):
        def objecting_progress(sent):
            progress_seen.append(sent)
            if sum(progress_seen) > 1024 * 1024 and not consent.objected(ingest_call(ingest)):
                # The caller objects while the bytes go up.
                consent.report_consent(actor=None, tenant=tenant_a, call_id="lock-during",
                                       outcome="objected", source="pbx",
                                       set_by="node:pbx-a", at=timezone.now())
            progress(sent)

        return original(self, key, path, progress=objecting_progress, **kwargs)

    monkeypatch.setattr(S3Store, "put_file", put_file)
    rejected_keeping_nothing(ingest, locked_bucket, django_capture_on_commit_callbacks)
    assert progress_seen, "the upload had started"
    assert "recording.discarded" in audit_actions(tenant_a)


@pytest.mark.parametrize("multipart", [False, True], ids=["single_put", "multipart"])
def test_an_objection_during_an_early_upload_stops_it(locked_bucket, push, sample_dir,
                                                      monitor_201, tenant_a, monkeypatch,
                                                      multipart, settings,
                                                      django_capture_on_commit_callbacks):
    """The upload overlapping the analysis: the worker reads the consent while both run; the
    objection arrives after the first chunk went up."""
    from recordings.ingest.steps import upload
    from tests import audio_samples

    settings.INGEST_OVERLAP_UPLOAD = True
    path = audio_samples.pcm_wav(sample_dir, seconds=720, name="long.wav")
    if multipart:
        monkeypatch.setattr(storage, "MULTIPART_THRESHOLD", 5 * 1024 * 1024)
        monkeypatch.setattr(storage, "MULTIPART_CHUNKSIZE", 5 * 1024 * 1024)
    monkeypatch.setattr(upload, "CHECK_EVERY", 0.01)
    ingest = pushed(push, path, "lock-early")
    original = upload.objected_now
    started = []

    def objection_arrives_while_uploading(job):
        transfer = job.transfer
        if transfer is not None and transfer.thread.is_alive() and not started:
            started.append(True)
            consent.report_consent(actor=None, tenant=tenant_a, call_id="lock-early",
                                   outcome="objected", source="pbx", set_by="node:pbx-a")
        return original(job)

    monkeypatch.setattr(upload, "objected_now", objection_arrives_while_uploading)
    # Hold the bytes until the worker has seen the objection: on loopback a single PUT can
    # otherwise finish between two consent checks, and the call would then (rightly) read
    # "being deleted" instead of testing the abort.
    send_chunk = upload.Transfer.progress

    def progress_after_the_objection_is_seen(self, sent=0):
        self.abort.wait(timeout=10)
        return send_chunk(self, sent)

    monkeypatch.setattr(upload.Transfer, "progress", progress_after_the_objection_is_seen)
    rejected_keeping_nothing(ingest, locked_bucket, django_capture_on_commit_callbacks)
    assert started, "the objection came while the early upload ran"


def ingest_call(ingest):
    from recordings.models import Call

    return Call.unscoped.get(tenant_id=ingest.tenant_id, call_id="lock-during").pk


@pytest.mark.parametrize("early", [True, False], ids=["early_upload", "late_upload"])
@pytest.mark.parametrize("multipart", [False, True], ids=["single_put", "multipart"])
def test_an_objection_after_the_last_bytes_were_read_still_stops_the_upload(
        locked_bucket, push, sample_dir, monitor_201, tenant_a, monkeypatch, multipart, early,
        settings, django_capture_on_commit_callbacks):
    """The narrowest moment: every byte has been read from the staged file and the last ones
    are about to go to the connection (a single PUT), or the last part before the multipart
    upload is completed. The consent is read once more there, so the object never appears."""
    from recordings.ingest.steps import upload
    from tests import audio_samples

    settings.INGEST_OVERLAP_UPLOAD = early
    path = audio_samples.pcm_wav(sample_dir, seconds=720, name="long.wav")
    if multipart:
        monkeypatch.setattr(storage, "MULTIPART_THRESHOLD", 5 * 1024 * 1024)
        monkeypatch.setattr(storage, "MULTIPART_CHUNKSIZE", 5 * 1024 * 1024)
    else:
        monkeypatch.setattr(storage, "MULTIPART_THRESHOLD", 64 * 1024 * 1024)
    ingest = pushed(push, path, "lock-last")
    objected = []

    def object_now():
        if not objected:
            objected.append(True)
            consent.report_consent(actor=None, tenant=tenant_a, call_id="lock-last",
                                   outcome="objected", source="pbx", set_by="node:pbx-a")

    if early:
        # The transfer thread has no database: the objection is recorded by the worker's
        # thread as soon as it sees that the last bytes were read (and before its check).
        original_objected_now = upload.objected_now

        def objected_now(job):
            if job.transfer is not None and job.transfer.last_pending.is_set():
                object_now()
            return original_objected_now(job)

        monkeypatch.setattr(upload, "objected_now", objected_now)
    else:
        original_confirm = upload.ObjectionGuard.confirm_last

        def confirm_last(self):
            object_now()
            return original_confirm(self)

        monkeypatch.setattr(upload.ObjectionGuard, "confirm_last", confirm_last)
    rejected_keeping_nothing(ingest, locked_bucket, django_capture_on_commit_callbacks)
    assert objected, "the objection came after the last bytes were read"


def test_an_upload_without_objection_waits_for_one_consent_read_only(
        locked_bucket, push, wav, monitor_201, monkeypatch, settings,
        django_capture_on_commit_callbacks):
    """The check before the last bytes costs one read of the consent, not a wait of
    ``CHECK_EVERY``: the early transfer is answered as soon as it asks."""
    import time

    from recordings.ingest.runner import run_ingest
    from recordings.ingest.steps import upload

    settings.INGEST_OVERLAP_UPLOAD = True
    monkeypatch.setattr(upload, "CHECK_EVERY", 5.0)
    ingest = pushed(push, wav, "lock-fast")
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        assert run_ingest(ingest.ingest_id) == "stored"
    assert time.monotonic() - started < 4.0
    assert versions(locked_bucket)
