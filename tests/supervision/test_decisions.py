"""The decision table, reason by reason, in the documented order: first as the pure function,
then through the PBX API against real licences, grants and calls."""

import datetime

import pytest
from django.utils import timezone

from licensing import services as licensing
from supervision import services
from supervision.choices import REASON_ORDER, Reason
from supervision.decisions import Facts, decide

from .conftest import audit_actions

ALLOWED = {
    "agent_extension": "201",
    "supervisor_extension": "210",
    "agent_exists": True,
    "monitorable_codes": (),
    "grant_valid": True,
    "caller_objected": False,
    "supervisors_in_session": 0,
    "max_supervisors": 4,
}

# How to break each check, in the documented order.
BREAK = {
    Reason.MALFORMED_CODE: {"agent_extension": None},
    Reason.UNKNOWN_AGENT: {"agent_exists": False},
    Reason.SELF_MONITORING: {"supervisor_extension": "201"},
    Reason.AGENT_NOT_LICENSED: {"monitorable_codes": ("no_monitor_license", "client_deskphone")},
    Reason.AGENT_CLIENT_NOT_ELIGIBLE: {"monitorable_codes": ("client_softphone_cti",)},
    Reason.NOT_PERMITTED: {"grant_valid": False},
    Reason.CALLER_OBJECTED: {"caller_objected": True},
    Reason.SESSION_FULL: {"supervisors_in_session": 4},
}


def test_the_documented_order():
    assert REASON_ORDER == (
        "malformed_code",
        "unknown_agent",
        "self_monitoring",
        "agent_not_licensed",
        "agent_client_not_eligible",
        "not_permitted",
        "caller_objected",
        "session_full",
    )
    assert list(BREAK) == list(REASON_ORDER)


def test_everything_in_order_is_allowed():
    assert decide(Facts(**ALLOWED)).as_dict() == {"allowed": True}


@pytest.mark.parametrize("reason", REASON_ORDER)
def test_each_check_alone_refuses_with_its_reason(reason):
    decision = decide(Facts(**{**ALLOWED, **BREAK[reason]}))
    assert decision.as_dict() == {"allowed": False, "reason": reason}


@pytest.mark.parametrize("index", range(len(REASON_ORDER)))
def test_the_earliest_failing_check_wins(index):
    broken = dict(ALLOWED)
    codes = []
    for reason in REASON_ORDER[index:]:
        broken.update(BREAK[reason])
        codes.extend(BREAK[reason].get("monitorable_codes", ()))
    if codes:
        broken["monitorable_codes"] = tuple(codes)
    assert decide(Facts(**broken)).reason == REASON_ORDER[index]


@pytest.mark.parametrize(
    "codes", [("user_inactive",), ("monitor_license_lapsed",), ("no_monitor_license",)]
)
def test_every_licence_reason_of_the_policy_is_agent_not_licensed(codes):
    assert (
        decide(Facts(**{**ALLOWED, "monitorable_codes": codes})).reason == Reason.AGENT_NOT_LICENSED
    )


def test_a_supervisor_already_in_a_full_session_is_not_refused():
    facts = Facts(**{**ALLOWED, "supervisors_in_session": 4, "already_in_session": True})
    assert decide(facts).allowed


# --- through the PBX API ----------------------------------------------------------------------


def refused(response):
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["allowed"] is False
    return body["reason"]


@pytest.mark.django_db
def test_api_allows_a_granted_supervisor(pbx, granted, tenant_a):
    body = pbx.authorize("210", "201*24*1#").json()
    assert body["allowed"] is True and body["mode"] == 1 and body["supervisors"] == ["210"]
    assert isinstance(body["session_id"], int)
    assert body["hears"]["210"] == ["agent", "caller"]
    actions = [a for a, _ in audit_actions(tenant_a)]
    assert actions[-3:] == [
        "supervision.session_started",
        "supervision.supervisor_joined",
        "supervision.authorized",
    ]


@pytest.mark.django_db
def test_api_1_malformed_code(pbx, granted):
    assert refused(pbx.authorize("210", "201*24*2#")) == "malformed_code"


@pytest.mark.django_db
def test_api_2_unknown_agent(pbx, granted):
    assert refused(pbx.authorize("210", "299*24*1#")) == "unknown_agent"


@pytest.mark.django_db
def test_api_3_self_monitoring(pbx, granted):
    assert refused(pbx.authorize("201", "201*24*1#")) == "self_monitoring"


@pytest.mark.django_db
def test_api_4_no_monitor_licence(pbx, granted, tenant_a, monitored_agent):
    licensing.revoke_license_of(
        actor=None, tenant=tenant_a, pbx_user=monitored_agent, license="monitor"
    )
    assert refused(pbx.authorize("210", "201*24*1#")) == "agent_not_licensed"


@pytest.mark.django_db
def test_api_4_monitor_pool_expired(pbx, granted, tenant_a):
    yesterday = timezone.localdate() - datetime.timedelta(days=2)
    licensing.set_license_pool(
        actor=None,
        tenant=tenant_a,
        license="monitor",
        quantity=5,
        valid_from=yesterday - datetime.timedelta(days=30),
        valid_until=yesterday,
    )
    assert refused(pbx.authorize("210", "201*24*1#")) == "agent_not_licensed"


@pytest.mark.django_db
@pytest.mark.parametrize("client_type", ["softphone_cti", "deskphone"])
def test_api_5_agent_client_not_eligible(pbx, granted, monitored_agent, client_type):
    monitored_agent.client_type = client_type
    monitored_agent.save()
    assert refused(pbx.authorize("210", "201*24*1#")) == "agent_client_not_eligible"


@pytest.mark.django_db
def test_api_6_supervisor_without_grant(pbx, monitored_agent, tenant_a):
    assert refused(pbx.authorize("210", "201*24*1#")) == "not_permitted"
    assert refused(pbx.authorize("999", "201*24*1#")) == "not_permitted"  # unknown supervisor


@pytest.mark.django_db
@pytest.mark.parametrize("window", ["future", "past"])
def test_api_6_grant_outside_its_window(pbx, monitored_agent, supervisor_ext_a, tenant_a, window):
    now = timezone.now()
    hour = datetime.timedelta(hours=1)
    valid_from, valid_until = (
        (now + hour, now + 2 * hour) if window == "future" else (now - 2 * hour, now - hour)
    )
    services.create_grant(
        actor=None,
        tenant=tenant_a,
        agent="201",
        supervisor="210",
        valid_from=valid_from,
        valid_until=valid_until,
    )
    assert refused(pbx.authorize("210", "201*24*1#")) == "not_permitted"


@pytest.mark.django_db
def test_api_6_revoked_grant(pbx, granted):
    services.revoke_grant(actor=None, grant=granted[0])
    assert refused(pbx.authorize("210", "201*24*1#")) == "not_permitted"


@pytest.mark.django_db
def test_api_7_caller_objected(pbx, granted):
    assert pbx.consent("call-1", "objected").status_code == 200
    assert refused(pbx.authorize("210", "201*24*1#", call_id="call-1")) == "caller_objected"
    assert pbx.authorize("210", "201*24*1#", call_id="call-2").json()["allowed"] is True


@pytest.mark.django_db
def test_api_8_session_full(pbx, granted, tenant_a):
    services.update_settings(actor=None, tenant=tenant_a, max_supervisors=1)
    assert pbx.authorize("210", "201*24*1#").json()["allowed"] is True
    assert refused(pbx.authorize("211", "201*24*1#")) == "session_full"
    # The one inside may ask again (the PBX retried) and is still allowed.
    assert pbx.authorize("210", "201*24*1#").json()["allowed"] is True


@pytest.mark.django_db
def test_every_refusal_is_audited_with_its_reason(pbx, granted, tenant_a):
    refused(pbx.authorize("210", "201*24*9#"))
    refused(pbx.authorize("201", "201*24*1#"))
    events = [(a, d) for a, d in audit_actions(tenant_a) if a == "supervision.refused"]
    assert [(d["reason"], d["supervisor"], d["dialed"]) for _, d in events] == [
        ("malformed_code", "210", "201*24*9#"),
        ("self_monitoring", "201", "201*24*1#"),
    ]


@pytest.mark.django_db
def test_bad_request_bodies_answer_400_with_a_code(pbx, granted, node_a, pbx_api):
    client = pbx_api(node_a)
    response = client.post(
        "/api/pbx/v1/supervision/authorize/", {"dialed": "201*24*1#"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "required"
    response = client.post(
        "/api/pbx/v1/supervision/authorize/",
        {"supervisor": "abc", "dialed": "201*24*1#"},
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid"


@pytest.mark.django_db
@pytest.mark.parametrize("dialed", ["", " 201*24*1#", "201*24*1", "9" * 600, 201])
def test_api_anything_dialled_that_is_not_the_code_is_malformed(pbx, granted, dialed):
    assert refused(pbx.authorize("210", dialed)) == "malformed_code"


@pytest.mark.django_db
def test_api_6_deactivated_supervisor(pbx, granted, supervisor_ext_a):
    supervisor_ext_a.is_active = False
    supervisor_ext_a.save()
    assert refused(pbx.authorize("210", "201*24*1#")) == "not_permitted"


@pytest.mark.django_db
def test_api_7_objection_also_removes_those_already_listening(pbx, granted):
    from supervision.models import MonitoringSession

    session_id = pbx.authorize("210", "201*24*1#", call_id="c-3").json()["session_id"]
    pbx.consent("c-3", "objected")
    assert refused(pbx.authorize("211", "201*24*1#", call_id="c-3")) == "caller_objected"
    assert MonitoringSession.unscoped.get(pk=session_id).end_reason == "caller_objected"
