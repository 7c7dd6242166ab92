"""Sessions, grants and hooks beyond the scenario."""

import pytest

from licensing import services as licensing
from licensing.selectors import policy_for
from supervision import selectors, services
from supervision.models import MonitoringSession

from .conftest import audit_actions

pytestmark = pytest.mark.django_db


def test_revoking_the_agents_monitor_licence_ends_live_sessions(
    pbx, granted, tenant_a, monitored_agent, admin_a, django_capture_on_commit_callbacks
):
    session_id = pbx.authorize("210", "201*24*1#").json()["session_id"]
    with django_capture_on_commit_callbacks(execute=True):
        licensing.revoke_license_of(
            actor=admin_a, tenant=tenant_a, pbx_user=monitored_agent, license="monitor"
        )
    session = MonitoringSession.unscoped.get(pk=session_id)
    assert (session.status, session.end_reason) == ("ended", "license_revoked")
    assert audit_actions(tenant_a)[-1][0] == "supervision.session_ended"


def test_events_of_unknown_supervisors_and_bad_keys(pbx, granted):
    session_id = pbx.authorize("210", "201*24*1#").json()["session_id"]
    response = pbx.event(session_id, "211", "key", "2")
    assert (response.status_code, response.json()["code"]) == (409, "not_in_session")
    response = pbx.event(session_id, "210", "key", "x")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_key")
    response = pbx.event(session_id, "210", "key")
    assert (response.status_code, response.json()["code"]) == (400, "required")
    response = pbx.event(session_id, "210", "dance")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_choice")
    assert pbx.event(999999, "210", "leave").status_code == 404


def test_join_event_decides_again_and_audits_the_refusal(pbx, granted, tenant_a):
    session_id = pbx.authorize("210", "201*24*1#").json()["session_id"]
    assert pbx.event(session_id, "211", "join").json()["supervisors"] == ["210", "211"]
    assert pbx.event(session_id, "211", "join").json()["supervisors"] == ["210", "211"]
    services.revoke_grant(actor=None, grant=granted[1])
    response = pbx.event(session_id, "211", "join")
    assert response.status_code == 409
    assert response.json()["code"] == "join_refused"
    assert response.json()["reason"] == "not_permitted"
    assert audit_actions(tenant_a)[-1][0] == "supervision.refused"


def test_repeated_key_is_in_the_history_but_not_audited(pbx, granted, tenant_a):
    session_id = pbx.authorize("210", "201*24*1#").json()["session_id"]
    before = len(audit_actions(tenant_a))
    assert pbx.event(session_id, "210", "key", "1").json()["mode"] == 1
    assert len(audit_actions(tenant_a)) == before
    kinds = list(
        MonitoringSession.unscoped.get(pk=session_id).events.values_list("kind", flat=True)
    )
    assert kinds[-1] == "key_repeated"


def test_without_a_call_id_the_session_is_the_agents(pbx, granted):
    first = pbx.authorize("210", "201*24*1#", call_id=None).json()
    second = pbx.authorize("211", "201*24*1#", call_id=None).json()
    assert first["session_id"] == second["session_id"]


def test_supervised_extensions_and_the_policy_source(
    granted, tenant_a, supervisor_ext_a, monitored_agent
):
    assert selectors.supervised_extensions(tenant=tenant_a, supervisor="210") == {"201"}
    assert selectors.supervised_extensions(tenant=tenant_a, supervisor=supervisor_ext_a) == {"201"}
    assert selectors.supervised_extensions(tenant=tenant_a, supervisor="201") == set()
    assert policy_for(pbx_user=monitored_agent).supervisors == ("210", "211")
    services.revoke_grant(actor=None, grant=granted[0])
    assert selectors.supervised_extensions(tenant=tenant_a, supervisor="210") == set()


def test_settings_changes_are_audited_with_before_and_after(tenant_a, admin_a):
    services.update_settings(actor=admin_a, tenant=tenant_a, agent_tone=True)
    services.update_settings(actor=admin_a, tenant=tenant_a, agent_tone=True)
    events = [d for a, d in audit_actions(tenant_a) if a == "supervision.settings_changed"]
    assert len(events) == 1
    assert events[0]["before"]["agent_tone"] is False and events[0]["after"]["agent_tone"]
    with pytest.raises(ValueError):
        services.update_settings(actor=admin_a, tenant=tenant_a, max_supervisors=0)


def test_bulk_grant_reports_each_agent(
    tenant_a, supervisor_ext_a, monitored_agent, second_supervisor
):
    outcomes = services.bulk_grant(
        actor=None, tenant=tenant_a, supervisor="210", agents=["201", "211", "201", "299", "210"]
    )
    assert [(o.extension, o.code) for o in outcomes] == [
        ("201", "granted"),
        ("211", "granted"),
        ("299", "unknown_extension"),
        ("210", "self_monitoring"),
    ]
    again = services.bulk_grant(actor=None, tenant=tenant_a, supervisor="210", agents=["201"])
    assert again[0].code == "already_granted"


def test_sessions_the_pbx_never_ended_are_ended_after_hours(pbx, granted, tenant_a):
    import datetime

    from django.utils import timezone

    old = pbx.authorize("210", "201*24*1#", call_id="c-old").json()["session_id"]
    fresh = pbx.authorize("211", "201*24*1#", call_id="c-new").json()["session_id"]
    MonitoringSession.unscoped.filter(pk=old).update(
        started_at=timezone.now() - datetime.timedelta(hours=13)
    )
    assert services.end_stale_sessions(max_age=datetime.timedelta(hours=12)) == 1
    assert services.end_stale_sessions(max_age=datetime.timedelta(hours=12)) == 0
    assert MonitoringSession.unscoped.get(pk=old).end_reason == "stale"
    assert MonitoringSession.unscoped.get(pk=fresh).status == "live"


def test_supervised_extensions_of_a_membership(
    granted, tenant_a, supervisor_a, admin_a, django_assert_num_queries
):
    from hostedpbx.scoping import membership_for

    membership = membership_for(supervisor_a, tenant_a)
    with django_assert_num_queries(1):
        assert selectors.supervised_extensions_of_membership(membership) == {"201"}
    assert selectors.supervised_extensions_of_membership(membership_for(admin_a, tenant_a)) == set()
