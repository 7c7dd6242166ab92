"""Item 8: a scripted multi-supervisor scenario through the PBX API, told again by the audit
trail and the session history."""

import pytest

from audit.chain import verify
from supervision import services
from supervision.models import MonitoringSession

from .conftest import audit_actions

pytestmark = pytest.mark.django_db


def test_two_supervisors_modes_leave_revoke_and_call_end(pbx, granted, tenant_a, admin_a):
    grant_sabine = granted[1]

    # 1. Two supervisors join and talk among themselves in mode 1.
    first = pbx.authorize("210", "201*24*1#", call_id="c-42").json()
    second = pbx.authorize("211", "201*24*1#", call_id="c-42").json()
    assert first["allowed"] and second["allowed"]
    session_id = first["session_id"]
    assert second["session_id"] == session_id
    assert second["mode"] == 1 and second["supervisors"] == ["210", "211"]
    assert second["hears"] == {
        "agent": ["caller"],
        "caller": ["agent"],
        "210": ["agent", "caller", "211"],
        "211": ["agent", "caller", "210"],
    }

    # 2. One switches to 3, and both are in 3.
    state = pbx.event(session_id, "211", "key", "3").json()
    assert state["mode"] == 3 and state["supervisors"] == ["210", "211"]
    assert state["hears"]["caller"] == ["agent", "210", "211"]
    assert state["hears"]["agent"] == ["caller", "210", "211"]
    assert state["agent_tone"] is False  # the tenant option is off
    # A key other than 1-3 is recorded and changes nothing.
    assert pbx.event(session_id, "210", "key", "5").json()["mode"] == 3

    # 3. One leaves, the grant of the other is revoked mid-call, and the call ends.
    state = pbx.event(session_id, "210", "leave").json()
    assert state["status"] == "live" and state["supervisors"] == ["211"]
    services.revoke_grant(actor=admin_a, grant=grant_sabine, reason="Coaching finished")
    session = MonitoringSession.unscoped.get(pk=session_id)
    assert session.status == "ended" and session.end_reason == "grant_revoked"
    assert pbx.end_call("c-42").status_code == 200
    assert pbx.event(session_id, "211", "key", "1").json()["code"] == "session_ended"

    # 4. The audit events and the session history tell exactly that story.
    story = [
        (action, data.get("supervisor"), data.get("reason") or data.get("after"))
        for action, data in audit_actions(tenant_a)
        if action != "supervision.grant_created"
    ]
    assert story == [
        ("supervision.session_started", None, None),
        ("supervision.supervisor_joined", "210", None),
        ("supervision.authorized", "210", None),
        ("supervision.supervisor_joined", "211", None),
        ("supervision.authorized", "211", None),
        ("supervision.mode_changed", "211", 3),
        ("supervision.supervisor_left", "210", "hung_up"),
        ("supervision.grant_revoked", "211", "Coaching finished"),
        ("supervision.supervisor_left", "211", "grant_revoked"),
        ("supervision.session_ended", None, "grant_revoked"),
    ]
    history = [
        (e.seq, e.kind, e.supervisor_extension, e.key, e.mode_before, e.mode_after, e.reason)
        for e in session.events.order_by("seq")
    ]
    assert history == [
        (1, "started", "", "", None, 1, ""),
        (2, "joined", "210", "", None, 1, ""),
        (3, "joined", "211", "", None, 1, ""),
        (4, "mode_changed", "211", "3", 1, 3, ""),
        (5, "key_ignored", "210", "5", 3, 3, ""),
        (6, "left", "210", "", None, None, "hung_up"),
        (7, "left", "211", "", None, None, "grant_revoked"),
        (8, "ended", "", "", 3, None, "grant_revoked"),
    ]
    assert verify(tenant_a).ok


def test_the_call_ending_ends_a_live_session(pbx, granted, tenant_a):
    session_id = pbx.authorize("210", "201*24*1#", call_id="c-7").json()["session_id"]
    pbx.authorize("211", "201*24*1#", call_id="c-7")
    assert pbx.end_call("c-7").status_code == 200
    session = MonitoringSession.unscoped.get(pk=session_id)
    assert (session.status, session.end_reason) == ("ended", "call_ended")
    assert [(e.kind, e.supervisor_extension, e.reason) for e in session.events.order_by("seq")][
        -3:
    ] == [("left", "210", "call_ended"), ("left", "211", "call_ended"), ("ended", "", "call_ended")]
    # A new call of the agent gets a new session.
    assert pbx.authorize("210", "201*24*1#", call_id="c-8").json()["session_id"] != session_id


def test_agent_tone_is_requested_when_the_option_is_on(pbx, granted, tenant_a):
    services.update_settings(actor=None, tenant=tenant_a, agent_tone=True)
    session_id = pbx.authorize("210", "201*24*1#").json()["session_id"]
    assert pbx.event(session_id, "210", "key", "2").json()["agent_tone"] is True
    assert pbx.event(session_id, "210", "key", "3").json()["agent_tone"] is False
    assert pbx.event(session_id, "210", "key", "1").json()["agent_tone"] is False
    assert pbx.event(session_id, "210", "key", "3").json()["agent_tone"] is True


def test_a_mid_call_objection_ends_the_listen_in_at_the_next_event(pbx, granted, tenant_a):
    session_id = pbx.authorize("210", "201*24*1#", call_id="c-obj").json()["session_id"]
    pbx.authorize("211", "201*24*1#", call_id="c-obj")
    assert pbx.consent("c-obj", "objected").status_code == 200
    state = pbx.event(session_id, "210", "key", "3").json()
    assert (state["status"], state["supervisors"], state["mode"]) == ("ended", [], 1)
    session = MonitoringSession.unscoped.get(pk=session_id)
    assert session.end_reason == "caller_objected"
    assert [(e.kind, e.supervisor_extension, e.reason) for e in session.events.order_by("seq")][
        -3:
    ] == [
        ("left", "210", "caller_objected"),
        ("left", "211", "caller_objected"),
        ("ended", "", "caller_objected"),
    ]
    assert not session.events.filter(kind="mode_changed").exists()
    response = pbx.event(session_id, "211", "join")
    assert response.json()["code"] == "session_ended"
