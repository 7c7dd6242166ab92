"""Every access to recordings is audited: the API list and detail, and the menu's list."""

import pytest

from audit.models import AuditEvent
from recordings.models import Recording
from tests.recordings import isolation_samples


def events(tenant, action):
    return list(AuditEvent.unscoped.filter(tenant=tenant, action=action).order_by("seq"))


@pytest.mark.django_db
def test_api_list_and_detail_are_audited(api, admin_a, tenant_a, node_a):
    sample = isolation_samples.build(tenant=tenant_a, node=node_a, admin=admin_a)
    client = api(admin_a)
    base = f"/api/v1/tenants/{tenant_a.slug}/recordings/"
    assert client.get(base, {"extension": "201"}).status_code == 200
    listed = events(tenant_a, "recording.listed")
    assert len(listed) == 1
    assert sample["recording_id"] in listed[0].data["recording_ids"]
    assert listed[0].data["filters"] == {"extension": "201"}
    assert client.get(f"{base}{sample['recording_id']}/").status_code == 200
    viewed = events(tenant_a, "recording.viewed")
    assert [e.object_id for e in viewed] == [str(sample["recording_id"])]
    assert viewed[0].actor_label == admin_a.username


@pytest.mark.django_db
def test_menu_list_is_audited_with_the_rows_shown(web, admin_a, tenant_a, node_a):
    isolation_samples.build(tenant=tenant_a, node=node_a, admin=admin_a)
    shown = list(Recording.unscoped.filter(tenant=tenant_a).values_list("pk", flat=True))
    assert web(admin_a).get(f"/t/{tenant_a.slug}/recordings/").status_code == 200
    listed = events(tenant_a, "recording.listed")
    assert len(listed) == 1 and sorted(listed[0].data["recording_ids"]) == sorted(shown)
