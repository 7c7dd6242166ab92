"""The customer API: ``supervision-grants/`` and ``monitoring-sessions/``."""

import datetime

import pytest
from django.utils import timezone

from supervision import services
from supervision.models import SupervisionGrant

from .conftest import audit_actions

pytestmark = pytest.mark.django_db
URL = "/api/v1/tenants/alpha/supervision-grants/"
SESSIONS = "/api/v1/tenants/alpha/monitoring-sessions/"


def test_admin_grants_a_supervisor(api, admin_a, monitored_agent, supervisor_ext_a, tenant_a):
    until = (timezone.now() + datetime.timedelta(days=30)).replace(microsecond=0)
    response = api(admin_a).post(
        URL,
        {
            "agent": "201",
            "supervisor": "210",
            "valid_until": until.isoformat(),
            "purpose": "Einarbeitung",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["agent"], body["supervisor"], body["purpose"]) == ("201", "210", "Einarbeitung")
    assert body["active"] and body["valid_now"]
    assert audit_actions(tenant_a)[-1][0] == "supervision.grant_created"
    # The effective policy now names the supervisor (no longer "no supervisor allowed").
    policy = api(admin_a).get("/api/v1/tenants/alpha/pbx-users/201/policy/").json()
    assert policy["supervisors"] == ["210"]


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"agent": "201", "supervisor": "201"}, 400, "self_monitoring"),
        ({"agent": "201", "supervisor": "299"}, 400, "unknown_extension"),
        ({"agent": "299", "supervisor": "210"}, 400, "unknown_extension"),
        ({"agent": "201"}, 400, "required"),
        (
            {
                "agent": "201",
                "supervisor": "210",
                "valid_from": "2030-01-02T00:00:00+01:00",
                "valid_until": "2030-01-01T00:00:00+01:00",
            },
            400,
            "invalid_window",
        ),
    ],
)
def test_refusals_have_codes(api, admin_a, monitored_agent, supervisor_ext_a, body, status, code):
    response = api(admin_a).post(URL, body, format="json")
    assert (response.status_code, response.json()["code"]) == (status, code)


def test_a_second_open_grant_for_the_pair_is_a_conflict(api, admin_a, granted):
    response = api(admin_a).post(URL, {"agent": "201", "supervisor": "210"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "already_granted")


def test_patch_changes_the_window_and_delete_revokes(api, admin_a, granted, tenant_a):
    grant = granted[0]
    client = api(admin_a)
    response = client.patch(f"{URL}{grant.pk}/", {"purpose": "Qualität"}, format="json")
    assert response.status_code == 200 and response.json()["purpose"] == "Qualität"
    assert client.delete(f"{URL}{grant.pk}/?reason=done").status_code == 204
    assert client.delete(f"{URL}{grant.pk}/").json()["code"] == "already_revoked"
    assert [g["id"] for g in client.get(URL).json()["results"]] == [granted[1].pk]
    assert grant.pk in [g["id"] for g in client.get(URL + "?active=false").json()["results"]]
    actions = [a for a, _ in audit_actions(tenant_a)]
    assert actions[-2:] == ["supervision.grant_changed", "supervision.grant_revoked"]


def test_supervisors_see_their_grants_agents_who_may_monitor_them(
    api, granted, supervisor_a, agent_a
):
    sup = api(supervisor_a).get(URL).json()["results"]
    assert [(g["agent"], g["supervisor"]) for g in sup] == [("201", "210")]
    agent = api(agent_a).get(URL).json()["results"]
    assert sorted(g["supervisor"] for g in agent) == ["210", "211"]
    assert (
        api(supervisor_a)
        .post(URL, {"agent": "201", "supervisor": "211"}, format="json")
        .status_code
        == 403
    )


def test_sessions_are_read_only_and_scoped(
    api, pbx, granted, admin_a, compliance_a, supervisor_a, agent_a, tenant_a
):
    session_id = pbx.authorize("211", "201*24*1#").json()["session_id"]
    pbx.event(session_id, "211", "key", "2")
    assert [s["id"] for s in api(compliance_a).get(SESSIONS).json()["results"]] == [session_id]
    detail = api(admin_a).get(f"{SESSIONS}{session_id}/").json()
    assert [e["kind"] for e in detail["events"]] == ["started", "joined", "mode_changed"]
    assert detail["participants"][0]["supervisor"] == "211"
    # Sven (210) was not in it; the agent sees nothing until the tenant allows it.
    assert api(supervisor_a).get(SESSIONS).json()["results"] == []
    assert api(supervisor_a).get(f"{SESSIONS}{session_id}/").status_code == 404
    assert api(agent_a).get(SESSIONS).json()["results"] == []
    services.update_settings(actor=None, tenant=tenant_a, agents_see_summary=True)
    assert [s["id"] for s in api(agent_a).get(SESSIONS).json()["results"]] == [session_id]
    assert api(admin_a).post(SESSIONS, {}, format="json").status_code == 405


def test_grant_changed_to_a_past_window_ends_the_live_participation(pbx, granted, admin_a):
    session_id = pbx.authorize("210", "201*24*1#").json()["session_id"]
    past = timezone.now() - datetime.timedelta(hours=1)
    services.update_grant(
        actor=admin_a,
        grant=granted[0],
        valid_until=past,
        valid_from=past - datetime.timedelta(hours=1),
    )
    assert pbx.event(session_id, "210", "key", "2").json()["code"] == "session_ended"
    assert SupervisionGrant.unscoped.get(pk=granted[0].pk).is_active
