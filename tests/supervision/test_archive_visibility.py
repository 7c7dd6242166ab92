"""A supervisor's archive follows their grants: the recordings of the agents granted to them
now, besides their own, and nothing once the grant is revoked or outside its window."""

from datetime import timedelta

import pytest
from django.utils import timezone

from recordings.models import Recording
from supervision import services
from tests.recordings.archive_factory import make_recording

pytestmark = pytest.mark.django_db


def visible_ids(actor, tenant):
    return set(Recording.objects.for_actor(actor, tenant).values_list("pk", flat=True))


def listed_ids(api, actor, tenant):
    response = api(actor).get(f"/api/v1/tenants/{tenant.slug}/recordings/")
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


def test_supervisor_sees_granted_agents_recordings_until_the_grant_is_revoked(
    api, tenant_a, admin_a, supervisor_a, agent_ext_a, supervisor_ext_a
):
    agents = make_recording(tenant_a, extension="201")
    own = make_recording(tenant_a, extension="210")
    stranger = make_recording(tenant_a, extension="299")
    assert visible_ids(supervisor_a, tenant_a) == {own.pk}

    grant = services.create_grant(actor=admin_a, tenant=tenant_a, agent=agent_ext_a,
                                  supervisor=supervisor_ext_a, purpose="Qualitätssicherung")
    assert visible_ids(supervisor_a, tenant_a) == {own.pk, agents.pk}
    assert listed_ids(api, supervisor_a, tenant_a) == {own.pk, agents.pk}
    assert stranger.pk not in listed_ids(api, supervisor_a, tenant_a)

    services.revoke_grant(actor=admin_a, grant=grant, reason="Projekt beendet")
    assert visible_ids(supervisor_a, tenant_a) == {own.pk}


def test_a_grant_outside_its_window_shows_nothing_more(
    tenant_a, admin_a, supervisor_a, agent_ext_a, supervisor_ext_a
):
    agents = make_recording(tenant_a, extension="201")
    now = timezone.now()
    services.create_grant(actor=admin_a, tenant=tenant_a, agent=agent_ext_a,
                          supervisor=supervisor_ext_a, valid_from=now + timedelta(days=2),
                          valid_until=now + timedelta(days=9), purpose="Einarbeitung")
    assert agents.pk not in visible_ids(supervisor_a, tenant_a)
