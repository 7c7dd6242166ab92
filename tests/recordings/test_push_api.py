"""The PBX push contract: POST recordings/ (202, idempotent, 400 per field, 413) and
GET ingests/<id>/."""

import hashlib
from unittest import mock

import pytest

from recordings import services, staging
from recordings.models import Ingest

from .conftest import PUSH_URL, metadata

pytestmark = pytest.mark.django_db


def test_push_answers_202_with_ingest_id_and_stages_the_bytes_durably(push, wav, settings):
    response = push(wav, call_id="c-1")
    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"ingest_id", "status"} and body["status"] == "queued"
    ingest = Ingest.unscoped.get(ingest_id=body["ingest_id"])
    assert ingest.source == "push" and ingest.call_id == "c-1" and ingest.node.name == "pbx-a"
    assert ingest.sha256 == hashlib.sha256(wav.read_bytes()).hexdigest()
    assert ingest.size == wav.stat().st_size
    staged = staging.path(ingest.staged_path)
    assert staged.read_bytes() == wav.read_bytes()
    assert ingest.staged_path.startswith(f"{ingest.tenant_id}/")


def test_push_enqueues_after_commit(push, wav, django_capture_on_commit_callbacks):
    with mock.patch("recordings.tasks.process_ingest.apply_async") as send:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = push(wav)
        assert not send.called
        assert len(callbacks) == 1
        callbacks[0]()
    send.assert_called_once()
    assert send.call_args.kwargs["args"][0] == response.json()["ingest_id"]


def test_same_call_and_audio_again_returns_the_same_ingest_id(push, wav, settings):
    first = push(wav, call_id="c-2").json()
    second = push(wav, call_id="c-2")
    assert second.status_code == 202
    assert second.json()["ingest_id"] == first["ingest_id"]
    assert Ingest.unscoped.count() == 1
    from pathlib import Path

    assert not list(Path(settings.FILE_UPLOAD_TEMP_DIR).iterdir()), "the repeat's upload is gone"


def test_same_audio_for_another_call_is_another_ingest(push, wav):
    first = push(wav, call_id="c-3").json()
    second = push(wav, call_id="c-4").json()
    assert first["ingest_id"] != second["ingest_id"]


def test_concurrent_identical_pushes_end_in_one_ingest(tenant_a, node_a, wav, tmp_path):
    meta = {"call_id": "race", "extension": "201", "direction": "inbound",
            "started_at": "2026-11-25T10:00:00+01:00", "kind": "auto", "remote_number": ""}
    digest = hashlib.sha256(wav.read_bytes()).hexdigest()

    def received_copy(name):
        path = tmp_path / name
        path.write_bytes(wav.read_bytes())
        return path

    winner, created = services.receive_audio(
        tenant=tenant_a, source="push", metadata=meta, temp_path=received_copy("a.wav"),
        sha256=digest, size=wav.stat().st_size, node=node_a, enqueue=False)
    assert created
    # A local push does not look before its insert: the second one is staged, hits the
    # constraint, and its staged copy goes (the same path as two pushes racing).
    loser, created = services.receive_audio(
        tenant=tenant_a, source="push", metadata=meta, temp_path=received_copy("b.wav"),
        sha256=digest, size=wav.stat().st_size, node=node_a, enqueue=False)
    assert not created and loser.pk == winner.pk
    staged = [p for p in staging.root().rglob("*") if p.is_file()]
    assert staged == [staging.path(winner.staged_path)], "the loser's staged copy is removed"


@pytest.mark.parametrize("field,value,code", [
    ("call_id", None, "required"),
    ("call_id", "bad id/with slash", "invalid_call_id"),
    ("extension", None, "required"),
    ("extension", "2a", "invalid_extension"),
    ("direction", None, "required"),
    ("direction", "sideways", "invalid_choice"),
    ("remote_number", "<script>", "invalid_number"),
    ("started_at", None, "required"),
    ("started_at", "yesterday", "invalid_datetime"),
    ("started_at", "2026-11-25T10:00:00", "naive_datetime"),
    ("kind", None, "required"),
    ("kind", "secret", "invalid_choice"),
    ("consent", "maybe", "invalid_choice"),
])
def test_bad_metadata_answers_400_with_a_stable_code_per_field(push, wav, field, value, code):
    response = push(wav, **{field: value})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert body["errors"][field][0]["code"] == code
    assert Ingest.unscoped.count() == 0
    assert not any(p.is_file() for p in staging.root().rglob("*"))


def test_missing_audio_answers_400_required(push):
    response = push(None)
    assert response.status_code == 400
    assert response.json()["errors"]["audio"][0]["code"] == "required"


def test_every_bad_field_is_reported_at_once(push):
    response = push(None, extension="x", kind="nope")
    errors = response.json()["errors"]
    assert {"extension", "kind", "audio"} <= set(errors)


def test_upload_over_the_limit_is_refused_while_streaming(push, wav, settings):
    settings.INGEST_MAX_UPLOAD_BYTES = 1000
    response = push(wav)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert Ingest.unscoped.count() == 0


def test_declared_length_over_the_limit_is_refused_before_reading(push, sample_dir, settings):
    from tests import audio_samples

    big = audio_samples.pcm_wav(sample_dir, rate=48000, channels=2, seconds=8)
    assert big.stat().st_size > 1024 * 1024 + 1000
    settings.INGEST_MAX_UPLOAD_BYTES = 1000
    with mock.patch("recordings.api.receiving.LimitedHashingUploadHandler.receive_data_chunk"
                    ) as streamed:
        response = push(big)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not streamed.called


def test_small_uploads_are_streamed_to_disk_too(push, wav):
    from django.core.files.uploadhandler import TemporaryFileUploadHandler

    seen = []
    original = TemporaryFileUploadHandler.file_complete

    def spy(self, size):
        seen.append(size)
        return original(self, size)

    with mock.patch.object(TemporaryFileUploadHandler, "file_complete", spy):
        assert push(wav).status_code == 202
    assert seen == [wav.stat().st_size]


def test_ingest_status_reports_status_reason_and_recording(push, wav, pbx_api, node_a,
                                                          monitor_201, eager,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ingest_id = push(wav).json()["ingest_id"]
    body = pbx_api(node_a).get(f"/api/pbx/v1/ingests/{ingest_id}/").json()
    assert body["status"] == "stored" and body["reason"] == ""
    assert body["recording_id"] == Ingest.unscoped.get().recording_id


def test_another_tenants_node_cannot_see_the_ingest(push, wav, pbx_api, node_b):
    ingest_id = push(wav).json()["ingest_id"]
    response = pbx_api(node_b).get(f"/api/pbx/v1/ingests/{ingest_id}/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_push_needs_a_node_token(api, admin_a, wav):
    with open(wav, "rb") as fh:
        response = api(admin_a).post(PUSH_URL, {**metadata(), "audio": fh}, format="multipart")
    assert response.status_code in (401, 403)


# --- the form parser (recordings.api.receiving.AudioFormParser) ---------------------------
BOUNDARY = "----hostedpbx-test-boundary"


def raw_form(fields: dict, files=(), boundary=BOUNDARY, end=True) -> bytes:
    """A multipart body built by hand: ``files`` are ``(field, file name, bytes)``."""
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n".encode())
    for name, file_name, content in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                     f'filename="{file_name}"\r\nContent-Type: audio/wav\r\n\r\n'.encode()
                     + content + b"\r\n")
    if end:
        parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)


def post_raw(pbx_api, node, body: bytes, content_type=f"multipart/form-data; boundary={BOUNDARY}"):
    return pbx_api(node).generic("POST", PUSH_URL, body, content_type)


@pytest.mark.parametrize("chunk", [7, 4096, 1024 * 1024])
def test_the_form_is_split_right_whatever_the_read_size(pbx_api, node_a, wav, chunk,
                                                        monkeypatch):
    """Reads of 7 bytes cut the boundary, the part headers and the audio anywhere."""
    monkeypatch.setattr("recordings.api.receiving.CHUNK_BYTES", chunk)
    content = wav.read_bytes()
    response = post_raw(pbx_api, node_a, raw_form(metadata(call_id="split-1"),
                                                  [("audio", "call.wav", content)]))
    assert response.status_code == 202, response.content
    ingest = Ingest.unscoped.get(ingest_id=response.json()["ingest_id"])
    assert ingest.sha256 == hashlib.sha256(content).hexdigest()
    assert (ingest.size, ingest.call_id, ingest.original_name) == (
        len(content), "split-1", "call.wav")


def test_a_file_name_keeps_only_its_last_component(pbx_api, node_a, wav):
    response = post_raw(pbx_api, node_a, raw_form(
        metadata(), [("audio", "../../etc/x&amp;y.wav", wav.read_bytes())]))
    assert response.status_code == 202, response.content
    assert Ingest.unscoped.get().original_name == "x&y.wav"


def test_a_file_part_without_a_usable_name_counts_as_no_file(pbx_api, node_a, wav):
    response = post_raw(pbx_api, node_a, raw_form(metadata(), [("audio", "..", b"RIFF")]))
    assert response.status_code == 400
    assert response.json()["errors"]["audio"][0]["code"] == "required"


def test_two_audio_files_are_refused(pbx_api, node_a, wav):
    content = wav.read_bytes()
    response = post_raw(pbx_api, node_a, raw_form(
        metadata(), [("audio", "a.wav", content), ("audio", "b.wav", content)]))
    assert response.status_code == 400
    assert response.json()["errors"]["audio"][0]["code"] == "multiple_files"
    assert Ingest.unscoped.count() == 0


@pytest.mark.parametrize("body, content_type", [
    (raw_form(metadata(), [("audio", "a.wav", b"RIFF" * 100)], end=False), None),
    (b"no multipart here", None),
    (raw_form(metadata()), "multipart/form-data"),
], ids=["truncated", "garbage", "no-boundary"])
def test_a_malformed_form_answers_400_parse_error_and_leaves_nothing(
        pbx_api, node_a, body, content_type, settings):
    from pathlib import Path

    response = post_raw(pbx_api, node_a, body, *([content_type] if content_type else []))
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert Ingest.unscoped.count() == 0
    assert not list(Path(settings.FILE_UPLOAD_TEMP_DIR).iterdir()), "no temporary file left"


def test_too_many_fields_answer_400(pbx_api, node_a, wav, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 8
    fields = {**metadata(), **{f"extra{i}": "x" for i in range(8)}}
    response = post_raw(pbx_api, node_a, raw_form(fields, [("audio", "a.wav",
                                                               wav.read_bytes())]))
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert Ingest.unscoped.count() == 0
