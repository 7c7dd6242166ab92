"""The pulled sources: spool folder and S3 inbox, each object claimed exactly once."""

import json
import os
import threading
import time
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection

from recordings import staging
from recordings.ingest.runner import run_ingest
from recordings.ingest.sources import inbox, spool
from recordings.models import Ingest, Recording
from tests import audio_samples

from .conftest import audit_actions, metadata


def drop_in_spool(settings, sample_dir, tenant="alpha", node="pbx-a", name="call-1.wav",
                  sidecar=None, **overrides):
    folder = Path(settings.INGEST_SPOOL_DIR) / tenant / node / "2026-11-25"
    folder.mkdir(parents=True, exist_ok=True)
    audio = folder / name
    audio.write_bytes(audio_samples.pcm_wav(sample_dir, seconds=2).read_bytes())
    body = sidecar if sidecar is not None else json.dumps(metadata(**overrides))
    (folder / f"{name}.json").write_text(body)
    # File times come from the kernel's clock; set them from ours (faketime moves only ours).
    now = time.time()
    for path in (audio, folder / f"{name}.json"):
        os.utime(path, (now, now))
    return audio


@pytest.mark.django_db
def test_spool_file_is_claimed_once_stored_and_removed(settings, sample_dir, node_a,
                                                       monitor_201,
                                                       django_capture_on_commit_callbacks):
    audio = drop_in_spool(settings, sample_dir, call_id="spool-1")
    with django_capture_on_commit_callbacks(execute=True):
        assert spool.scan_spool() == 1
    assert spool.scan_spool() == 0
    ingest = Ingest.unscoped.get()
    assert ingest.source == "spool" and ingest.node == node_a
    assert ingest.source_path == "alpha/pbx-a/2026-11-25/call-1.wav"
    assert ingest.status == "stored" and ingest.recording.pbx_call_id == "spool-1"
    assert not audio.exists() and not Path(f"{audio}.json").exists()
    assert ingest.staged_path == ""


@pytest.mark.django_db
def test_two_scanners_claim_a_file_once(settings, sample_dir, tenant_a, node_a):
    drop_in_spool(settings, sample_dir)
    root = spool.spool_root()
    node_dir = root / "alpha" / "pbx-a"
    seen_by_first = list(spool._spool_files(root, node_dir, 0, 1e12))
    seen_by_second = list(spool._spool_files(root, node_dir, 0, 1e12))
    assert spool._claim_spool_file(tenant_a, node_a, seen_by_first[0])
    assert not spool._claim_spool_file(tenant_a, node_a, seen_by_second[0])
    assert Ingest.unscoped.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_spool_scans_from_threads_claim_each_file_once(settings, sample_dir, tenant_a,
                                                                  node_a):
    for number in range(6):
        drop_in_spool(settings, sample_dir, name=f"call-{number}.wav")
    results, barrier = [], threading.Barrier(3)

    def scan():
        barrier.wait()
        try:
            results.append(spool.scan_spool())
        finally:
            connection.close()

    with mock.patch("recordings.ingest.sources.enqueue_on_commit"):
        threads = [threading.Thread(target=scan) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sum(results) == 6
    assert Ingest.unscoped.count() == 6
    assert len({i.source_ref for i in Ingest.unscoped.all()}) == 6


@pytest.mark.django_db
def test_invalid_sidecar_is_rejected_visibly(settings, sample_dir, node_a, tenant_a,
                                             django_capture_on_commit_callbacks):
    drop_in_spool(settings, sample_dir, sidecar='{"call_id": "x", "extension": "abc"}')
    drop_in_spool(settings, sample_dir, name="broken.wav", sidecar="{not json")
    with django_capture_on_commit_callbacks(execute=True):
        assert spool.scan_spool() == 2
    ingests = list(Ingest.unscoped.order_by("original_name"))
    assert [(i.status, i.reason) for i in ingests] == [("rejected", "invalid_metadata")] * 2
    assert "extension: invalid_extension" in ingests[1].reason_detail
    assert "invalid_json" in ingests[0].reason_detail
    assert all(staging.path(i.staged_path).exists() for i in ingests)
    assert audit_actions(tenant_a, "recording.rejected") == ["recording.rejected"] * 2


@pytest.mark.django_db
def test_files_of_unknown_tenants_or_nodes_and_incomplete_pairs_stay(settings, sample_dir,
                                                                     node_a):
    stranger = drop_in_spool(settings, sample_dir, tenant="nobody")
    other_node = drop_in_spool(settings, sample_dir, node="pbx-unknown")
    lonely = Path(settings.INGEST_SPOOL_DIR) / "alpha" / "pbx-a" / "no-sidecar.wav"
    lonely.parent.mkdir(parents=True, exist_ok=True)
    lonely.write_bytes(b"RIFF")
    partial = lonely.with_name("upload.wav.part")
    partial.write_bytes(b"RIFF")
    assert spool.scan_spool() == 0
    assert stranger.exists() and other_node.exists() and lonely.exists() and partial.exists()


@pytest.mark.django_db
def test_fresh_files_wait_for_the_settle_time(settings, sample_dir, node_a):
    settings.INGEST_SPOOL_SETTLE_SECONDS = 3600
    drop_in_spool(settings, sample_dir)
    assert spool.scan_spool() == 0


@pytest.mark.django_db
def test_pipeline_finishes_a_claim_whose_scanner_died(settings, sample_dir, node_a, monitor_201,
                                                      django_capture_on_commit_callbacks):
    audio = drop_in_spool(settings, sample_dir)
    with mock.patch("recordings.ingest.sources.spool.finish_spool_claim"), \
            mock.patch("recordings.ingest.sources.enqueue_on_commit"):
        assert spool.scan_spool() == 1
    assert audio.exists(), "the scanner died before moving the file"
    assert spool.scan_spool() == 0, "claimed already"
    ingest = Ingest.unscoped.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert run_ingest(ingest.ingest_id) == "stored"
    assert not audio.exists()


@pytest.mark.django_db
def test_same_audio_pushed_and_spooled_is_stored_once(settings, sample_dir, push, monitor_201,
                                                      django_capture_on_commit_callbacks):
    audio = drop_in_spool(settings, sample_dir, call_id="both")
    with django_capture_on_commit_callbacks(execute=True):
        pushed = push(audio, call_id="both").json()
        spool.scan_spool()
    spooled = Ingest.unscoped.get(source="spool")
    assert spooled.status == "stored" and spooled.reason == "duplicate"
    assert spooled.recording_id == Ingest.unscoped.get(ingest_id=pushed["ingest_id"]
                                                       ).recording_id
    assert Recording.unscoped.count() == 1


# --- S3 inbox -------------------------------------------------------------------------------
def put_in_inbox(s3, sample_dir, key="inbox/alpha/pbx-a/2026/call-9.wav", sidecar=None,
                 **overrides):
    audio = audio_samples.pcm_wav(sample_dir, seconds=2)
    s3.put_object(Bucket=s3.bucket_name, Key=key, Body=audio.read_bytes())
    body = sidecar if sidecar is not None else json.dumps(metadata(**overrides))
    s3.put_object(Bucket=s3.bucket_name, Key=f"{key}.json", Body=body.encode())
    return audio


def keys(s3, prefix=""):
    listed = s3.list_objects_v2(Bucket=s3.bucket_name, Prefix=prefix)
    return sorted(item["Key"] for item in listed.get("Contents", []))


@pytest.mark.s3
@pytest.mark.django_db
def test_inbox_object_is_claimed_once_stored_and_removed(s3, sample_dir, node_a, monitor_201,
                                                         django_capture_on_commit_callbacks):
    audio = put_in_inbox(s3, sample_dir, call_id="inbox-1")
    with django_capture_on_commit_callbacks(execute=True):
        assert inbox.scan_inbox() == 1
    assert inbox.scan_inbox() == 0
    ingest = Ingest.unscoped.get()
    assert ingest.source == "s3_inbox" and ingest.status == "stored"
    assert keys(s3, "inbox/") == []
    recording = ingest.recording
    head = s3.head_object(Bucket=s3.bucket_name, Key=recording.storage_key)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["Metadata"]["sha256"] == recording.sha256
    body = s3.get_object(Bucket=s3.bucket_name, Key=recording.storage_key)["Body"].read()
    assert body == audio.read_bytes()


@pytest.mark.s3
@pytest.mark.django_db
def test_two_inbox_scanners_claim_once(s3, sample_dir, tenant_a, node_a):
    from recordings.storage import get_store

    put_in_inbox(s3, sample_dir)
    store = get_store()
    key = "inbox/alpha/pbx-a/2026/call-9.wav"
    info = store.head(key)
    ref = f"{key}@{info.etag}@{info.last_modified.isoformat()}"
    with mock.patch("recordings.ingest.sources.inbox._delete_sidecar"):
        assert inbox._claim_inbox_object(store, tenant_a, node_a, key, ref)
        assert not inbox._claim_inbox_object(store, tenant_a, node_a, key, ref)
    assert Ingest.unscoped.count() == 1
    # The sidecar survived (as if the winner died): the next scan removes it, claims nothing.
    assert inbox.scan_inbox() == 0
    assert keys(s3, "inbox/") == [key]


@pytest.mark.s3
@pytest.mark.django_db
def test_inbox_objects_outside_the_layout_stay(s3, sample_dir, node_a):
    put_in_inbox(s3, sample_dir, key="inbox/stray.wav")
    put_in_inbox(s3, sample_dir, key="inbox/nobody/pbx-a/x.wav")
    assert inbox.scan_inbox() == 0
    assert len(keys(s3, "inbox/")) == 4
