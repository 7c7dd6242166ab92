"""Fixtures of the supervision tests (personas come from tests/conftest.py).

``monitored_agent`` is Anna (201, softphone USB) with a Monitor licence in effect; the
supervisors are Sven (210, persona ``supervisor_a``) and Sabine (211).
"""

import pytest

from licensing import services as licensing
from supervision import services
from tests.factories import PbxUserFactory


@pytest.fixture
def monitor_pool(tenant_a):
    return licensing.set_license_pool(actor=None, tenant=tenant_a, license="monitor", quantity=5)


@pytest.fixture
def monitored_agent(tenant_a, agent_ext_a, monitor_pool):
    licensing.assign_license(actor=None, tenant=tenant_a, pbx_user=agent_ext_a, license="monitor")
    return agent_ext_a


@pytest.fixture
def second_supervisor(tenant_a):
    return PbxUserFactory(
        tenant=tenant_a,
        extension="211",
        display_name="Sabine Supervisorin",
        client_type="deskphone",
    )


@pytest.fixture
def granted(tenant_a, monitored_agent, supervisor_ext_a, second_supervisor):
    """Both supervisors may monitor Anna (open-ended grants)."""
    return [
        services.create_grant(
            actor=None, tenant=tenant_a, agent=monitored_agent, supervisor=sup, purpose="Coaching"
        )
        for sup in (supervisor_ext_a, second_supervisor)
    ]


@pytest.fixture
def pbx(node_a, pbx_api):
    """``pbx.authorize(sup, dialed, call_id)`` and ``pbx.event(session_id, sup, event, key)``
    through the PBX API; each returns the response."""
    client = pbx_api(node_a)

    class Pbx:
        def authorize(self, supervisor, dialed, call_id="call-1"):
            body = {"supervisor": supervisor, "dialed": dialed}
            if call_id is not None:
                body["call_id"] = call_id
            return client.post("/api/pbx/v1/supervision/authorize/", body, format="json")

        def event(self, session_id, supervisor, event, key=None):
            body = {"supervisor": supervisor, "event": event}
            if key is not None:
                body["key"] = key
            return client.post(
                f"/api/pbx/v1/supervision/sessions/{session_id}/events/", body, format="json"
            )

        def end_call(self, call_id, ended_at="2026-01-01T10:00:00+01:00"):
            return client.post(
                f"/api/pbx/v1/calls/{call_id}/end/", {"ended_at": ended_at}, format="json"
            )

        def consent(self, call_id, outcome):
            return client.post(
                f"/api/pbx/v1/calls/{call_id}/consent/", {"outcome": outcome}, format="json"
            )

    return Pbx()


def audit_actions(tenant, prefix="supervision."):
    from audit.models import AuditEvent

    return [
        (e.action, e.data)
        for e in AuditEvent.unscoped.filter(tenant=tenant, action__startswith=prefix).order_by(
            "seq"
        )
    ]
