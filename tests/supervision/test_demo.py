import pytest
from django.core.management import call_command

from supervision.models import MonitoringSession, SupervisionGrant
from supervision.selectors import mode_timeline

pytestmark = pytest.mark.django_db


def test_demo_has_grants_in_both_tenants_and_a_past_session_with_a_timeline():
    call_command("seed_demo", "--quiet-logins", stdout=None)
    call_command("seed_demo", "--quiet-logins", stdout=None)  # idempotent
    tenants = set(SupervisionGrant.unscoped.values_list("tenant__slug", flat=True))
    assert tenants == {"muster", "nordlicht"}
    session = MonitoringSession.unscoped.get(call_id="demo-monitoring-1")
    assert session.status == "ended"
    segments = mode_timeline(session)
    assert [s.mode for s in segments] == [1, 2, 3, 1]
    assert [round(s.seconds / 60) for s in segments] == [2, 1, 2, 3]
