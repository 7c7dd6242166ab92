"""Legal hold on one recording and by filter (with a count confirmation), its history and
case reference, the deferred objection, and S3 Object Lock holds (moto, Object-Lock bucket)."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from recordings.archive import holds
from recordings.archive.objectlock import object_legal_hold
from recordings.models import LegalHold
from recordings.services import object_to_call

from .archive_factory import make_recording, stored

pytestmark = pytest.mark.django_db


def _url(tenant, recording):
    return reverse(
        "recording-legal-hold", kwargs={"tenant_slug": tenant.slug, "recording_id": recording.pk}
    )


def _bulk_url(tenant):
    return reverse("recording-legal-hold-bulk", kwargs={"tenant_slug": tenant.slug})


def test_compliance_sets_and_lifts_a_hold_with_case_reference(tenant_a, compliance_a, api):
    recording = make_recording(tenant_a)
    client = api(compliance_a)
    missing = client.post(_url(tenant_a, recording), {}, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "case_reference_required"

    response = client.post(
        _url(tenant_a, recording), {"case_reference": "AZ 4 O 123/26"}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {
        "recording_id": recording.pk,
        "legal_hold": True,
        "changed": True,
        "case_reference": "AZ 4 O 123/26",
    }
    again = client.post(_url(tenant_a, recording), {"case_reference": "other"}, format="json")
    assert again.json()["changed"] is False

    lifted = client.delete(_url(tenant_a, recording) + "?reason=case closed")
    assert lifted.status_code == 200 and lifted.json()["legal_hold"] is False
    hold = LegalHold.unscoped.get(recording=recording)
    assert hold.case_reference == "AZ 4 O 123/26" and hold.lifted_at is not None
    assert hold.lift_reason == "case closed" and hold.set_by == compliance_a
    actions = list(
        AuditEvent.unscoped.filter(tenant=tenant_a, object_id=str(recording.pk),
                                   action__startswith="recording.").values_list(
            "action", flat=True
        )
    )
    assert actions == ["recording.legal_hold_set", "recording.legal_hold_lifted"]


@pytest.mark.parametrize("persona", ["agent_a", "supervisor_a"])
def test_agents_and_supervisors_cannot_hold(request, tenant_a, api, persona):
    recording = make_recording(tenant_a)
    response = api(request.getfixturevalue(persona)).post(
        _url(tenant_a, recording), {"case_reference": "x"}, format="json"
    )
    assert response.status_code == 403
    recording.refresh_from_db()
    assert not recording.legal_hold


def test_other_tenant_gets_404(tenant_a, admin_b, api):
    recording = make_recording(tenant_a)
    response = api(admin_b).post(_url(tenant_a, recording), {"case_reference": "x"}, format="json")
    assert response.status_code == 404


def test_bulk_hold_by_filter_with_count_confirmation(tenant_a, admin_a, api):
    matching = [make_recording(tenant_a, extension="201") for _ in range(3)]
    other = make_recording(tenant_a, extension="202")
    client = api(admin_a)
    count = client.get(_bulk_url(tenant_a) + "?extension=201")
    assert count.json() == {"count": 3, "held": 0}

    body = {"filters": {"extension": "201"}, "case_reference": "Case 7", "expected_count": 2}
    stale = client.post(_bulk_url(tenant_a), body, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "count_changed"
    assert not LegalHold.unscoped.exists()

    body["expected_count"] = 3
    response = client.post(_bulk_url(tenant_a), body, format="json")
    assert response.status_code == 200 and response.json() == {"matched": 3, "changed": 3}
    for recording in matching:
        recording.refresh_from_db()
        assert recording.legal_hold
    other.refresh_from_db()
    assert not other.legal_hold
    assert AuditEvent.unscoped.filter(action="recording.legal_hold_bulk_set").count() == 1

    unfiltered = client.post(
        _bulk_url(tenant_a), {"case_reference": "x", "expected_count": 4}, format="json"
    )
    assert unfiltered.status_code == 400 and unfiltered.json()["code"] == "filter_required"

    lifted = client.delete(
        _bulk_url(tenant_a), {"filters": {"extension": "201"}, "expected_count": 3}, format="json"
    )
    assert lifted.json() == {"matched": 3, "changed": 3}


def test_objection_on_held_call_is_carried_out_when_the_hold_is_lifted(
    tenant_a, admin_a, django_capture_on_commit_callbacks
):
    from hostedpbx.scoping import membership_for

    recording = make_recording(tenant_a)
    holds.set_legal_hold(actor=admin_a, recording=recording, case_reference="C-1")
    with django_capture_on_commit_callbacks(execute=True):
        object_to_call(
            actor=admin_a,
            membership=membership_for(admin_a, tenant_a),
            call=recording.call,
            note="caller said no",
        )
    recording.refresh_from_db()
    assert recording.discard_pending and recording.audio_state == "stored" and stored(recording)
    with django_capture_on_commit_callbacks(execute=True):
        holds.lift_legal_hold(actor=admin_a, recording=recording, reason="released")
    recording.refresh_from_db()
    assert recording.audio_state == "discarded" and not stored(recording)


@pytest.mark.s3
def test_object_lock_bucket_gets_the_objects_legal_hold(settings, s3, tenant_a, compliance_a, api):
    import uuid

    bucket = f"lock-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(
        Bucket=bucket,
        ObjectLockEnabledForBucket=True,
        CreateBucketConfiguration={"LocationConstraint": settings.S3_REGION},
    )
    settings.S3_BUCKET = bucket
    recording = make_recording(tenant_a)
    assert object_legal_hold(recording.storage_key) == "OFF"

    client = api(compliance_a)
    client.post(_url(tenant_a, recording), {"case_reference": "C-9"}, format="json")
    assert object_legal_hold(recording.storage_key) == "ON"
    event = AuditEvent.unscoped.get(action="recording.legal_hold_set")
    assert event.data["object_lock"] is True
    # The storage itself now refuses to delete the held object's version.
    version = s3.head_object(Bucket=bucket, Key=recording.storage_key)["VersionId"]
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError):
        s3.delete_object(Bucket=bucket, Key=recording.storage_key, VersionId=version)

    client.delete(_url(tenant_a, recording))
    assert object_legal_hold(recording.storage_key) == "OFF"


@pytest.mark.s3
def test_bucket_without_object_lock_keeps_the_hold_in_the_database(s3, tenant_a, admin_a):
    recording = make_recording(tenant_a)
    assert holds.set_legal_hold(actor=admin_a, recording=recording, case_reference="C")
    assert object_legal_hold(recording.storage_key) == ""
    assert AuditEvent.unscoped.get(action="recording.legal_hold_set").data["object_lock"] is False
