"""Retention: the daily purge makes tombstones of recordings past the tenant's retention
(per kind), never of held ones; manual deletion with a reason by admins and compliance
officers; the archive settings (audited)."""

import pytest
from django.urls import reverse

from recordings.archive import retention
from recordings.archive.policy import policy_for, retention_days, update_policy
from recordings.archive.tasks import purge_retention
from recordings.models import Recording

from .archive_factory import make_recording, stored
from .conftest import audit_actions

pytestmark = pytest.mark.django_db


def test_retention_days_per_kind_override_the_default(tenant_a):
    policy = policy_for(tenant_a)
    assert retention_days(policy, "auto") is None  # kept until deleted by default
    policy.retention_days = 90
    policy.retention_client_days = 10
    assert retention_days(policy, "auto") == 90
    assert retention_days(policy, "client") == 10


def test_policy_change_is_audited_with_before_and_after(tenant_a, admin_a):
    update_policy(actor=admin_a, tenant=tenant_a, retention_days=30)
    update_policy(actor=admin_a, tenant=tenant_a, retention_days=30)  # no change, no event
    from audit.models import AuditEvent

    events = AuditEvent.unscoped.filter(tenant=tenant_a, action="recordings.settings_changed")
    assert events.count() == 1
    assert events.get().data["before"] == {"retention_days": None}
    assert events.get().data["after"] == {"retention_days": 30}


def test_purge_tombstones_expired_and_a_hold_blocks_it(
    tenant_a, admin_a, django_capture_on_commit_callbacks
):
    update_policy(actor=admin_a, tenant=tenant_a, retention_days=30, retention_client_days=60)
    old = make_recording(tenant_a, days_ago=40)
    young = make_recording(tenant_a, days_ago=10)
    held = make_recording(tenant_a, days_ago=400, legal_hold=True)
    client_kept = make_recording(tenant_a, days_ago=40, kind="client")
    with django_capture_on_commit_callbacks(execute=True):
        result = purge_retention.delay().get()
    assert result == {str(tenant_a.pk): 1}

    old.refresh_from_db()
    assert old.audio_state == "discarded" and old.discard_reason == "retention"
    assert Recording.unscoped.filter(pk=old.pk).exists()  # the tombstone stays
    assert not stored(old)
    for kept in (young, held, client_kept):
        kept.refresh_from_db()
        assert kept.audio_state == "stored" and stored(kept), kept
    assert "recording.retention_purged" in audit_actions(tenant_a)


def test_purge_without_policy_keeps_everything(tenant_a, django_capture_on_commit_callbacks):
    recording = make_recording(tenant_a, days_ago=4000)
    with django_capture_on_commit_callbacks(execute=True):
        assert retention.purge_all() == {}
    recording.refresh_from_db()
    assert recording.audio_state == "stored"


def _delete_url(tenant, recording, reason=None):
    url = reverse(
        "recording-detail", kwargs={"tenant_slug": tenant.slug, "recording_id": recording.pk}
    )
    return url + (f"?reason={reason}" if reason else "")


def test_manual_deletion_needs_a_reason_and_is_audited(
    tenant_a, compliance_a, api, django_capture_on_commit_callbacks
):
    recording = make_recording(tenant_a)
    client = api(compliance_a)
    response = client.delete(_delete_url(tenant_a, recording))
    assert response.status_code == 400 and response.json()["code"] == "reason_required"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(_delete_url(tenant_a, recording, "Wrong number dialled"))
    assert response.status_code == 204
    recording.refresh_from_db()
    assert recording.audio_state == "discarded" and recording.discard_reason == "deleted"
    assert recording.discarded_by == "carla"
    assert not stored(recording)
    from audit.models import AuditEvent

    event = AuditEvent.unscoped.get(tenant=tenant_a, action="recording.deleted")
    assert event.data["reason"] == "Wrong number dialled"
    again = client.delete(_delete_url(tenant_a, recording, "again"))
    assert again.status_code == 409 and again.json()["code"] == "already_discarded"


def test_reason_in_the_body_is_accepted(tenant_a, admin_a, api):
    recording = make_recording(tenant_a)
    response = api(admin_a).delete(
        _delete_url(tenant_a, recording), {"reason": "test call"}, format="json"
    )
    assert response.status_code == 204


def test_held_recording_cannot_be_deleted(tenant_a, admin_a, api):
    recording = make_recording(tenant_a, legal_hold=True)
    response = api(admin_a).delete(_delete_url(tenant_a, recording, "cleanup"))
    assert response.status_code == 409
    assert response.json()["code"] == "legal_hold"
    recording.refresh_from_db()
    assert recording.audio_state == "stored" and stored(recording)


@pytest.mark.parametrize("persona", ["agent_a", "supervisor_a"])
def test_agents_and_supervisors_cannot_delete(request, tenant_a, api, persona):
    user = request.getfixturevalue(persona)
    recording = make_recording(tenant_a)  # extension 201: the agent's own
    response = api(user).delete(_delete_url(tenant_a, recording, "mine"))
    assert response.status_code == 403
    assert response.json()["code"] == "role_not_permitted"


def test_other_tenant_cannot_delete(tenant_a, admin_b, api):
    recording = make_recording(tenant_a)
    response = api(admin_b).delete(_delete_url(tenant_a, recording, "x"))
    assert response.status_code == 404


def test_archive_policy_api_admin_changes_others_read(tenant_a, admin_a, agent_a, api):
    url = reverse("archive-policy", kwargs={"tenant_slug": tenant_a.slug})
    assert api(agent_a).get(url).status_code == 200
    assert api(agent_a).patch(url, {"retention_days": 5}, format="json").status_code == 403
    response = api(admin_a).patch(
        url, {"retention_days": 365, "retention_auto_days": 30}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["retention_auto_days"] == 30
    assert policy_for(tenant_a).retention_days == 365
