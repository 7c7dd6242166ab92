"""The caller's consent: reported by the PBX, marked by people, enforced on the audio before
and after it is stored; tombstones and audit."""

import pytest
from django.utils import timezone

from recordings import cleanup, services
from recordings.models import Call, Ingest, Recording
from recordings.storage import LocalStore, get_store

from .conftest import audit_actions, tenant_api

pytestmark = pytest.mark.django_db


def consent_url(call_id):
    return f"/api/pbx/v1/calls/{call_id}/consent/"


def objection_url(tenant, call_id):
    return tenant_api(tenant, "call-objection", call_id=call_id)


def test_objection_before_the_recording_arrives_discards_it_at_ingest(
        pbx_api, node_a, ingest_file, wav, monitor_201, tenant_a):
    response = pbx_api(node_a).post(consent_url("obj-1"), {
        "outcome": "objected", "source": "routing", "extension": "201",
        "note": "pressed 2 in the legal notice"}, format="json")
    assert response.status_code == 200 and response.json()["consent"] == "objected"
    call = Call.unscoped.get(call_id="obj-1")
    assert call.consent_source == "routing" and call.consent_set_by == "node:pbx-a"

    ingest = ingest_file(wav, call_id="obj-1")
    assert ingest.status == "rejected" and ingest.reason == "caller_objected"
    tombstone = ingest.recording
    assert tombstone.audio_state == "discarded" and tombstone.storage_key == ""
    assert tombstone.discard_reason == "caller_objected"
    assert tombstone.discarded_by == "node:pbx-a" and tombstone.discarded_at
    assert tombstone.sha256 == ingest.sha256 and tombstone.consent == "objected"
    assert tombstone.peaks == []
    assert ingest.staged_path == "", "the received bytes are gone too"
    assert not any(p.is_file() for p in get_store().root.rglob("*"))
    assert audit_actions(tenant_a, "call.consent_changed", "recording.discarded") == [
        "call.consent_changed", "recording.discarded"]


def test_objection_in_the_push_metadata_discards_the_audio(ingest_file, wav, monitor_201):
    ingest = ingest_file(wav, consent="objected")
    assert ingest.reason == "caller_objected"
    assert ingest.recording.audio_state == "discarded"
    assert Call.unscoped.get().consent_source == "pbx"


def test_objection_after_storage_deletes_the_object(pbx_api, node_a, ingest_file, wav,
                                                    monitor_201, tenant_a,
                                                    django_capture_on_commit_callbacks):
    ingest = ingest_file(wav, call_id="obj-2")
    recording = ingest.recording
    path = get_store().path(recording.storage_key)
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = pbx_api(node_a).post(consent_url("obj-2"), {"outcome": "objected"},
                                        format="json")
    assert response.status_code == 200
    recording.refresh_from_db()
    assert not path.exists()
    assert recording.audio_state == "discarded" and recording.storage_deleted_at
    assert recording.consent == "objected" and recording.discarded_by == "node:pbx-a"
    assert recording.sha256 == ingest.sha256, "the tombstone keeps the checksum"
    assert audit_actions(tenant_a, "call.consent_changed", "recording.discarded") == [
        "call.consent_changed", "recording.discarded"]


def allow_agents(tenant):
    from recordings.archive.policy import update_policy

    update_policy(actor=None, tenant=tenant, agents_may_object=True)


def test_agent_marks_objection_on_own_call(api, agent_a, tenant_a, ingest_file, wav,
                                           monitor_201, django_capture_on_commit_callbacks):
    allow_agents(tenant_a)
    recording = ingest_file(wav, call_id="obj-3").recording
    with django_capture_on_commit_callbacks(execute=True):
        response = api(agent_a).post(objection_url(tenant_a, "obj-3"),
                                     {"reason": "Kunde hat widersprochen"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["changed"] and body["recordings_discarded"] == 1
    assert body["call"]["consent_source"] == "agent" and body["call"]["consent_set_by"] == "anna"
    recording.refresh_from_db()
    assert recording.audio_state == "discarded"
    assert not get_store().path(recording.storage_key).exists()
    again = api(agent_a).post(objection_url(tenant_a, "obj-3"), {"reason": "again"},
                              format="json").json()
    assert again["changed"] is False


def test_objection_needs_a_reason(api, admin_a, tenant_a, ingest_file, wav):
    ingest_file(wav, call_id="obj-r")
    response = api(admin_a).post(objection_url(tenant_a, "obj-r"), format="json")
    assert response.status_code == 400 and response.json()["code"] == "reason_required"
    assert Call.unscoped.get(call_id="obj-r").consent == "unknown"


def test_agents_may_not_object_unless_the_tenant_allows_it(api, agent_a, tenant_a,
                                                           ingest_file, wav):
    ingest_file(wav, call_id="obj-d")
    response = api(agent_a).post(objection_url(tenant_a, "obj-d"), {"reason": "x"},
                                 format="json")
    assert response.status_code == 403 and response.json()["code"] == "role_not_permitted"
    assert Call.unscoped.get(call_id="obj-d").consent == "unknown"


def test_agent_cannot_object_on_another_extensions_call(api, agent_a, tenant_a, ingest_file,
                                                        wav, supervisor_ext_a):
    allow_agents(tenant_a)
    ingest_file(wav, call_id="obj-4", extension="210")
    response = api(agent_a).post(objection_url(tenant_a, "obj-4"), {"reason": "x"},
                                 format="json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert Call.unscoped.get(call_id="obj-4").consent == "unknown"


def test_supervisor_objects_only_on_own_calls(api, supervisor_a, tenant_a, ingest_file, wav,
                                              sample_dir, agent_ext_a):
    from tests import audio_samples

    allow_agents(tenant_a)
    ingest_file(wav, call_id="obj-5", extension="201")
    ingest_file(audio_samples.mulaw_wav(sample_dir), call_id="obj-6", extension="210")
    client = api(supervisor_a)
    # Not their call: answered like a call they cannot see.
    assert client.post(objection_url(tenant_a, "obj-5"), {"reason": "x"}).status_code == 404
    assert client.post(objection_url(tenant_a, "obj-6"), {"reason": "x"}).status_code == 200


def test_admin_and_compliance_object_on_any_call(api, admin_a, compliance_a, tenant_a,
                                                 ingest_file, wav, sample_dir, agent_ext_a):
    from tests import audio_samples

    ingest_file(wav, call_id="obj-7")
    ingest_file(audio_samples.mulaw_wav(sample_dir), call_id="obj-8")
    first = api(admin_a).post(objection_url(tenant_a, "obj-7"), {"reason": "per e-mail"}).json()
    assert first["call"]["consent_source"] == "admin"
    assert api(compliance_a).post(objection_url(tenant_a, "obj-8"),
                                  {"reason": "x"}).status_code == 200


def test_objection_is_final(pbx_api, node_a):
    client = pbx_api(node_a)
    assert client.post(consent_url("fin"), {"outcome": "objected"}, format="json"
                       ).status_code == 200
    again = client.post(consent_url("fin"), {"outcome": "objected"}, format="json")
    assert again.status_code == 200
    refused = client.post(consent_url("fin"), {"outcome": "consented"}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "consent_final"


def test_consent_report_validates_and_404s_for_unknown_calls_when_invalid(pbx_api, node_a):
    client = pbx_api(node_a)
    unknown = client.post(consent_url("nobody"), {"outcome": "perhaps"}, format="json")
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    # Still 404, but the node learns what its report got wrong.
    assert unknown.json()["errors"]["outcome"][0]["code"] == "invalid_choice"
    assert not Call.unscoped.exists()
    client.post(consent_url("known"), {"outcome": "notified", "extension": "201",
                                       "started_at": "2026-11-25T10:00:00+01:00"},
                format="json")
    bad = client.post(consent_url("known"), {"outcome": "perhaps"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_choice"
    naive = client.post(consent_url("known"), {"outcome": "consented",
                                               "at": "2026-11-25T10:00:00"}, format="json")
    assert naive.status_code == 400 and naive.json()["code"] == "naive_datetime"
    call = Call.unscoped.get(call_id="known")
    assert call.extension == "201" and call.started_at.isoformat().startswith("2026-11-25T09")


def test_end_of_call_is_recorded(pbx_api, node_a):
    client = pbx_api(node_a)
    missing = client.post("/api/pbx/v1/calls/e-1/end/", {}, format="json")
    assert missing.status_code == 404
    ended = client.post("/api/pbx/v1/calls/e-1/end/", {
        "ended_at": "2026-11-25T10:05:00+01:00", "remote_number": "0171 1234567",
        "direction": "inbound"}, format="json")
    assert ended.status_code == 200
    call = Call.unscoped.get(call_id="e-1")
    assert call.ended_at.isoformat() == "2026-11-25T09:05:00+00:00"
    assert call.remote_number == "+491711234567" and call.remote_number_raw == "0171 1234567"
    assert client.post("/api/pbx/v1/calls/e-1/end/", {}, format="json").status_code == 400


def test_legal_hold_defers_the_discard(pbx_api, node_a, ingest_file, wav, monitor_201, tenant_a,
                                       django_capture_on_commit_callbacks):
    recording = ingest_file(wav, call_id="hold").recording
    Recording.unscoped.filter(pk=recording.pk).update(legal_hold=True)
    with django_capture_on_commit_callbacks(execute=True):
        pbx_api(node_a).post(consent_url("hold"), {"outcome": "objected"}, format="json")
    recording.refresh_from_db()
    assert recording.audio_state == "stored" and recording.discard_pending
    assert get_store().path(recording.storage_key).exists()
    assert "recording.discard_deferred" in audit_actions(tenant_a)


def test_quarantined_audio_of_an_objected_call_becomes_a_tombstone(
        pbx_api, node_a, ingest_file, wav, django_capture_on_commit_callbacks):
    ingest = ingest_file(wav, call_id="q-obj", extension="277")
    assert ingest.status == "quarantined"
    with django_capture_on_commit_callbacks(execute=True):
        pbx_api(node_a).post(consent_url("q-obj"), {"outcome": "objected"}, format="json")
    ingest.refresh_from_db()
    assert ingest.status == "rejected" and ingest.reason == "caller_objected"
    assert ingest.recording.audio_state == "discarded" and ingest.staged_path == ""


def test_failed_deletion_is_finished_by_the_sweeper(pbx_api, node_a, ingest_file, wav,
                                                    monitor_201,
                                                    django_capture_on_commit_callbacks):
    from unittest import mock

    recording = ingest_file(wav, call_id="retry-del").recording
    with mock.patch.object(LocalStore, "purge", side_effect=OSError("disk gone")), \
            django_capture_on_commit_callbacks(execute=True):
        pbx_api(node_a).post(consent_url("retry-del"), {"outcome": "objected"}, format="json")
    recording.refresh_from_db()
    assert recording.audio_state == "discarded" and recording.storage_deleted_at is None
    assert get_store().path(recording.storage_key).exists()
    assert cleanup.finish_discards() == 1
    recording.refresh_from_db()
    assert recording.storage_deleted_at and not get_store().path(recording.storage_key).exists()


def test_objection_while_uploading_ends_in_a_tombstone(push, wav, monitor_201, tenant_a,
                                                       django_capture_on_commit_callbacks):
    from unittest import mock

    from recordings.ingest.runner import run_ingest

    ingest = Ingest.unscoped.get(ingest_id=push(wav, call_id="race-obj").json()["ingest_id"])
    original = LocalStore.put_file

    def upload_then_objection(self, key, path, **kwargs):
        original(self, key, path, **kwargs)
        services.report_consent(actor=None, tenant=tenant_a, call_id="race-obj",
                                outcome="objected", source="pbx", set_by="node:pbx-a",
                                at=timezone.now())

    with mock.patch.object(LocalStore, "put_file", upload_then_objection), \
            django_capture_on_commit_callbacks(execute=True):
        assert run_ingest(ingest.ingest_id) == "rejected"
    ingest.refresh_from_db()
    assert ingest.reason == "caller_objected"
    assert not any(p.is_file() for p in get_store().root.rglob("*")), "uploaded object removed"


def test_audio_uploaded_by_a_dead_attempt_is_deleted_when_the_caller_objected(
        push, wav, monitor_201, tenant_a, django_capture_on_commit_callbacks):

    from django.db import OperationalError

    from recordings.ingest import runner

    from .seams import database_fails

    ingest = Ingest.unscoped.get(ingest_id=push(wav, call_id="dead-obj").json()["ingest_id"])
    # The first attempt uploads, then dies before its final transaction.
    with database_fails(OperationalError("worker gone")), \
            pytest.raises(runner.TransientIngestError):
        runner.run_ingest(ingest.ingest_id)
    uploaded = [p for p in get_store().root.rglob("*") if p.is_file()]
    assert len(uploaded) == 1
    services.report_consent(actor=None, tenant=tenant_a, call_id="dead-obj", outcome="objected",
                            source="pbx", set_by="node:pbx-a")
    with django_capture_on_commit_callbacks(execute=True):
        assert runner.run_ingest(ingest.ingest_id) == "rejected"
    tombstone = Ingest.unscoped.get(pk=ingest.pk).recording
    assert tombstone.audio_state == "discarded" and tombstone.storage_deleted_at
    assert not uploaded[0].exists(), "the dead attempt's upload is gone"


def test_an_objection_after_the_last_byte_never_reads_not_kept_while_bytes_remain(
        push, wav, monitor_201, tenant_a, django_capture_on_commit_callbacks, settings):
    from unittest import mock

    from django.utils import translation

    from recordings.ingest.runner import run_ingest
    from recordings.ingest_texts import explain

    from .seams import after_upload

    ingest = Ingest.unscoped.get(ingest_id=push(wav, call_id="late-obj").json()["ingest_id"])

    def objection():
        services.report_consent(actor=None, tenant=tenant_a, call_id="late-obj",
                                outcome="objected", source="pbx", set_by="node:pbx-a")

    # The store refuses the deletion (as a bucket with Object Lock would).
    with mock.patch.object(LocalStore, "put_file", after_upload(LocalStore, ingest, objection)), \
            mock.patch.object(LocalStore, "purge", side_effect=OSError("retention")), \
            django_capture_on_commit_callbacks(execute=True):
        assert run_ingest(ingest.ingest_id) == "rejected"
    ingest.refresh_from_db()
    assert ingest.reason == "caller_objected" and ingest.reason_detail == "audio=deleting"
    assert ingest.recording.storage_key and ingest.recording.storage_deleted_at is None
    with translation.override("en"):
        assert "is being deleted" in explain(ingest)
    with translation.override("de"):
        assert "wird gerade gelöscht" in explain(ingest)


def test_reason_details_are_rendered_from_codes_in_the_readers_language():
    from django.utils import translation

    from recordings.ingest_texts import explain

    rejected = Ingest(status="rejected", reason="invalid_metadata",
                      reason_detail="started_at: datetime_out_of_range; kind: required")
    with translation.override("de"):
        text = explain(rejected)
    assert "Beginn des Gesprächs: außerhalb des zulässigen Bereichs" in text
    assert "Art: fehlt" in text and "datetime_out_of_range" not in text
    with translation.override("en"):
        assert "start of the call: out of range" in explain(rejected)
