"""Over real HTTP against the S3 endpoint (moto_server): the push contract end to end, the
store's ranges and version purge, and staging in the store for multi-host deployments."""

import base64
import hashlib
import time

import pytest
import requests

from recordings import storage
from recordings.models import Ingest
from tests import audio_samples

from .conftest import metadata

pytestmark = pytest.mark.s3


@pytest.mark.django_db(transaction=True)
def test_push_over_http_lands_encrypted_in_the_tenants_prefix(live_server, s3, node_a, tenant_a,
                                                              monitor_201, sample_dir):
    path = audio_samples.call_recording(sample_dir, 20)
    auth = {"Authorization": f"Bearer {node_a.plain_token}"}
    meta = metadata(call_id="http-1")
    with open(path, "rb") as fh:
        response = requests.post(f"{live_server.url}/api/pbx/v1/recordings/", data=meta,
                                 files={"audio": (path.name, fh, "audio/wav")}, headers=auth,
                                 timeout=60)
    assert response.status_code == 202, response.text
    ingest_id = response.json()["ingest_id"]
    status = {}
    for _ in range(100):
        status = requests.get(f"{live_server.url}/api/pbx/v1/ingests/{ingest_id}/",
                              headers=auth, timeout=30).json()
        if status["status"] in ("stored", "rejected", "quarantined"):
            break
        time.sleep(0.1)
    assert status["status"] == "stored", status
    with open(path, "rb") as fh:
        again = requests.post(f"{live_server.url}/api/pbx/v1/recordings/", data=meta,
                              files={"audio": (path.name, fh, "audio/wav")}, headers=auth,
                              timeout=60)
    assert again.json()["ingest_id"] == ingest_id

    ingest = Ingest.unscoped.select_related("recording").get(ingest_id=ingest_id)
    key = ingest.recording.storage_key
    assert key.startswith(f"tenants/{tenant_a.pk}/recordings/")
    head = s3.head_object(Bucket=s3.bucket_name, Key=key)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentType"] == "audio/wav"
    assert head["Metadata"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    # the received SHA-256 went with the PUT as the object's checksum (the store verifies it)
    checked = s3.head_object(Bucket=s3.bucket_name, Key=key, ChecksumMode="ENABLED")
    assert checked["ChecksumSHA256"] == base64.b64encode(
        hashlib.sha256(path.read_bytes()).digest()).decode()
    body = s3.get_object(Bucket=s3.bucket_name, Key=key)["Body"].read()
    assert body == path.read_bytes()
    listed = s3.list_objects_v2(Bucket=s3.bucket_name)["Contents"]
    assert [item["Key"] for item in listed] == [key], "nothing else in the bucket"


@pytest.mark.django_db
def test_get_range_reads_only_the_range(s3, sample_dir):
    store = storage.get_store()
    path = audio_samples.call_recording(sample_dir, 30)
    store.put_file("tenants/9/recordings/x.wav", path, content_type="audio/wav")
    data = path.read_bytes()
    middle = len(data) // 2
    part = store.get_range("tenants/9/recordings/x.wav", middle, middle + 65535)
    received = b"".join(part.chunks)
    assert part.length == 65536 and part.total == len(data)
    assert received == data[middle:middle + 65536]
    tail = store.get_range("tenants/9/recordings/x.wav", len(data) - 10)
    assert b"".join(tail.chunks) == data[-10:]
    with pytest.raises(storage.ObjectMissing):
        store.get_range("tenants/9/recordings/none.wav", 0, 1)


@pytest.mark.django_db
def test_purge_removes_every_version(s3, sample_dir):
    s3.put_bucket_versioning(Bucket=s3.bucket_name,
                             VersioningConfiguration={"Status": "Enabled"})
    store = storage.get_store()
    path = audio_samples.pcm_wav(sample_dir)
    store.put_file("k.wav", path)
    store.put_file("k.wav", path)
    store.put_file("k.wav.other", path)
    store.purge("k.wav")
    versions = s3.list_object_versions(Bucket=s3.bucket_name)
    left = [v["Key"] for v in versions.get("Versions", []) + versions.get("DeleteMarkers", [])]
    assert left == ["k.wav.other"]


@pytest.mark.django_db
def test_pushes_can_be_staged_in_the_store(s3, settings, push, monitor_201, wav,
                                           django_capture_on_commit_callbacks):
    settings.INGEST_STAGE_IN_STORE = True
    response = push(wav)
    ingest = Ingest.unscoped.get(ingest_id=response.json()["ingest_id"])
    assert ingest.staged_in == "store" and ingest.staged_path.startswith(
        f"staging/{ingest.tenant_id}/")
    assert s3.head_object(Bucket=s3.bucket_name, Key=ingest.staged_path)["ContentLength"] \
        == wav.stat().st_size
    from recordings.ingest.runner import run_ingest

    with django_capture_on_commit_callbacks(execute=True):
        assert run_ingest(ingest.ingest_id) == "stored"
    ingest.refresh_from_db()
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=s3.bucket_name)["Contents"]]
    assert keys == [ingest.recording.storage_key], "the staged object is gone"
    head = s3.head_object(Bucket=s3.bucket_name, Key=ingest.recording.storage_key)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["Metadata"]["sha256"] == ingest.sha256


@pytest.mark.django_db
def test_a_rerun_does_not_upload_an_object_that_is_there(s3, push, monitor_201, wav,
                                                         django_capture_on_commit_callbacks):
    from unittest import mock

    from django.db import OperationalError

    from recordings.ingest import runner

    from .seams import database_fails

    ingest = Ingest.unscoped.get(ingest_id=push(wav).json()["ingest_id"])
    with database_fails(OperationalError("gone")), \
            pytest.raises(runner.TransientIngestError):
        runner.run_ingest(ingest.ingest_id)
    with mock.patch.object(storage.S3Store, "put_file") as upload, \
            django_capture_on_commit_callbacks(execute=True):
        assert runner.run_ingest(ingest.ingest_id) == "stored"
    assert not upload.called


@pytest.mark.django_db
def test_objection_after_storage_deletes_the_s3_object(s3, push, pbx_api, node_a, monitor_201,
                                                       wav, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ingest_id = push(wav, call_id="s3-obj").json()["ingest_id"]
    key = Ingest.unscoped.get(ingest_id=ingest_id).recording.storage_key
    assert s3.head_object(Bucket=s3.bucket_name, Key=key)
    with django_capture_on_commit_callbacks(execute=True):
        pbx_api(node_a).post("/api/pbx/v1/calls/s3-obj/consent/", {"outcome": "objected"},
                             format="json")
    assert "Contents" not in s3.list_objects_v2(Bucket=s3.bucket_name)


def test_client_is_built_once_per_process_and_configuration(settings):
    settings.S3_ENDPOINT_URL = "http://127.0.0.1:1"
    first = storage.s3_client()
    assert storage.s3_client() is first
    settings.S3_ENDPOINT_URL = "http://127.0.0.1:2"
    assert storage.s3_client() is not first


@pytest.mark.django_db
def test_a_put_with_a_checksum_is_not_hashed_again_by_the_client(s3, sample_dir):
    # no payload signature (UNSIGNED-PAYLOAD) and no CRC32: the SHA-256 sent is the check
    store = storage.get_store()
    path = audio_samples.call_recording(sample_dir, 2)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    sent = []
    store.client.meta.events.register(
        "before-send.s3.PutObject", lambda request, **_: sent.append(dict(request.headers)))
    try:
        store.put_file("k.wav", path, sha256=sha)
    finally:
        store.client.meta.events.unregister("before-send.s3.PutObject")
    headers = {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in sent[0].items()}
    assert headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"
    assert headers["x-amz-checksum-sha256"] == base64.b64encode(bytes.fromhex(sha)).decode()
    assert "x-amz-checksum-crc32" not in headers
    assert "x-amz-checksum-sha256" in headers["authorization"].lower(), "the checksum is signed"


@pytest.mark.django_db
def test_a_store_that_refuses_the_checksum_raises_checksum_mismatch(s3, sample_dir):
    from botocore.stub import Stubber

    store = storage.get_store()
    path = audio_samples.call_recording(sample_dir, 2)
    with Stubber(store.client) as stub:
        stub.add_client_error("put_object", service_error_code="BadDigest",
                              service_message="The SHA256 you specified did not match.",
                              http_status_code=400)
        with pytest.raises(storage.ChecksumMismatch):
            store.put_file("k.wav", path, sha256="00" * 32)


@pytest.mark.django_db
@pytest.mark.parametrize("store_verifies", [True, False])
def test_a_push_is_hashed_once_when_the_store_verifies_the_checksum(
        s3, settings, push, monitor_201, wav, store_verifies, django_capture_on_commit_callbacks):
    # hashed while it was received; the PUT carries that SHA-256 and a verifying store checks
    # it, so the worker does not read the staged file again to hash it
    from unittest import mock

    from recordings.ingest.runner import run_ingest

    settings.S3_VERIFIES_CHECKSUMS = store_verifies
    response = push(wav, call_id=f"once-{store_verifies}")
    ingest = Ingest.unscoped.get(ingest_id=response.json()["ingest_id"])
    with mock.patch("recordings.audio.sha256_file",
                    side_effect=AssertionError("hashed again")) as hashed, \
            django_capture_on_commit_callbacks(execute=True):
        status = run_ingest(ingest.ingest_id)
    assert hashed.called is not store_verifies
    if not store_verifies:
        assert status == "quarantined", "the worker had to hash (and the hash failed)"
        return
    assert status == "stored"
    ingest.refresh_from_db()
    key = ingest.recording.storage_key
    checked = s3.head_object(Bucket=s3.bucket_name, Key=key, ChecksumMode="ENABLED")
    assert checked["ChecksumSHA256"] == base64.b64encode(bytes.fromhex(ingest.sha256)).decode()
    assert ingest.recording.sha256 == hashlib.sha256(wav.read_bytes()).hexdigest()
