"""The supervision pages of the customer menu."""

import pytest

from hostedpbx.parts import collect_panels
from supervision import services
from supervision.models import SupervisionGrant

from .conftest import audit_actions

pytestmark = pytest.mark.django_db
BASE = "/t/alpha/supervision/"


def test_admin_allows_a_supervisor_on_the_agent_page(
    web, admin_a, monitored_agent, supervisor_ext_a, tenant_a
):
    client = web(admin_a)
    page = client.get(f"{BASE}agents/201/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "201*24*1#" in text and "Supervisor zulassen" in text  # German by default
    response = client.post(
        f"{BASE}grants/add/",
        {
            "agent": "201",
            "supervisor": "210",
            "purpose": "Einarbeitung",
            "next": f"{BASE}agents/201/",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"{BASE}agents/201/"
    grant = SupervisionGrant.unscoped.get(agent=monitored_agent)
    assert (grant.supervisor.extension, grant.purpose) == ("210", "Einarbeitung")
    assert "Einarbeitung" in client.get(f"{BASE}supervisors/210/").content.decode()


def test_bulk_grants_several_agents_to_one_supervisor(
    web, admin_a, tenant_a, monitored_agent, supervisor_ext_a, second_supervisor
):
    response = web(admin_a).post(
        f"{BASE}grants/bulk/", {"supervisor": "210", "agents": ["201", "211"], "purpose": "QS"}
    )
    assert response.status_code == 200
    assert response.content.decode().count('data-outcome="granted"') == 2
    assert SupervisionGrant.unscoped.filter(supervisor=supervisor_ext_a).count() == 2


def test_edit_and_revoke_a_grant(web, admin_a, granted):
    client = web(admin_a)
    grant = granted[0]
    assert client.get(f"{BASE}grants/{grant.pk}/").status_code == 200
    response = client.post(
        f"{BASE}grants/{grant.pk}/",
        {"valid_from": "2020-01-01T08:00", "valid_until": "2099-01-01T08:00", "purpose": "Neu"},
    )
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.purpose == "Neu" and grant.valid_from.year == 2020
    response = client.post(f"{BASE}grants/{grant.pk}/revoke/", {"reason": "fertig"})
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoke_reason == "fertig"


def test_supervisors_read_but_cannot_change(web, supervisor_a, granted):
    client = web(supervisor_a)
    assert client.get(BASE).status_code == 200
    assert client.get(f"{BASE}grants/").status_code == 200
    assert (
        client.post(f"{BASE}grants/add/", {"agent": "201", "supervisor": "211"}).status_code == 403
    )
    assert client.post(f"{BASE}grants/{granted[0].pk}/", {"purpose": "x"}).status_code == 403
    assert client.get(f"{BASE}settings/").status_code == 403
    # Sabine's grant is not Sven's business.
    assert client.get(f"{BASE}grants/{granted[1].pk}/").status_code == 404


def test_agents_cannot_open_the_staff_pages(web, agent_a):
    assert web(agent_a).get(BASE).status_code == 403


def test_live_page_and_its_data(web, pbx, granted, compliance_a):
    session_id = pbx.authorize("211", "201*24*1#", call_id="c-9").json()["session_id"]
    pbx.event(session_id, "211", "key", "3")
    client = web(compliance_a)
    page = client.get(BASE).content.decode()
    assert 'id="live-table"' in page and "supervision-live.js" in page and "<script>" not in page
    data = client.get(f"{BASE}live.json").json()
    assert data["sessions"][0]["id"] == session_id
    assert (data["sessions"][0]["mode"], data["sessions"][0]["supervisors"]) == (3, ["211"])
    detail = client.get(f"{BASE}sessions/{session_id}/").content.decode()
    assert "Modusverlauf" in detail and 'data-percent="' in detail
    pbx.event(session_id, "211", "leave")
    detail = client.get(f"{BASE}sessions/{session_id}/").content.decode()
    assert "der letzte Supervisor ist ausgestiegen" in detail and "last_left" not in detail
    history = client.get(f"{BASE}sessions/?agent=201").content.decode()
    assert f'data-session="{session_id}"' in history


def test_settings_page_changes_and_audits(web, admin_a, tenant_a):
    client = web(admin_a)
    assert client.get(f"{BASE}settings/").status_code == 200
    response = client.post(f"{BASE}settings/", {"agent_tone": "on", "max_supervisors": "3"})
    assert response.status_code == 302
    row = services.settings_for(tenant_a)
    assert row.agent_tone and row.max_supervisors == 3 and not row.agents_see_summary
    assert audit_actions(tenant_a)[-1][0] == "supervision.settings_changed"


def test_agents_summary_only_when_the_tenant_allows(web, pbx, granted, agent_a, tenant_a):
    session_id = pbx.authorize("210", "201*24*1#", call_id="c-1").json()["session_id"]
    pbx.event(session_id, "210", "key", "2")
    pbx.event(session_id, "210", "leave")
    client = web(agent_a)
    page = client.get(f"{BASE}mine/").content.decode()
    assert "zeigt diese Übersicht nicht" in page
    services.update_settings(actor=None, tenant=tenant_a, agents_see_summary=True)
    page = client.get(f"{BASE}mine/").content.decode()
    assert 'data-percent="' in page and "210" not in page.split("<main")[-1]


def test_pbx_user_panel(tenant_a, admin_a, granted, monitored_agent):
    from hostedpbx.scoping import membership_for

    panels = collect_panels(
        "pbx_user_panels",
        actor=admin_a,
        tenant=tenant_a,
        membership=membership_for(admin_a, tenant_a),
        pbx_user=monitored_agent,
    )
    panel = next(p for p in panels if p.template == "supervision/_pbx_user_panel.html")
    assert [g.supervisor.extension for g in panel.context["as_agent"]] == ["210", "211"]
    from django.template.loader import render_to_string

    html = render_to_string(panel.template, panel.context)
    assert "201*24*1#" in html and f"{BASE}grants/{granted[0].pk}/" in html


def test_pages_in_english_on_request(web, admin_a, granted):
    client = web(admin_a)
    page = client.get(f"{BASE}grants/?lang=en").content.decode()
    assert "Who may listen to whom" in page and "Wer darf" not in page


def test_lists_use_a_constant_number_of_queries(
    web, api, pbx, admin_a, granted, tenant_a, django_assert_max_num_queries
):
    from tests.factories import PbxUserFactory

    for n in range(5):
        sup = PbxUserFactory(tenant=tenant_a, extension=str(230 + n))
        services.create_grant(actor=None, tenant=tenant_a, agent="201", supervisor=sup)
        session_id = pbx.authorize(sup.extension, "201*24*1#", call_id=f"q-{n}").json()[
            "session_id"
        ]
        pbx.event(session_id, sup.extension, "key", "2")
    client, api_client = web(admin_a), api(admin_a)
    with django_assert_max_num_queries(12):
        assert client.get(f"{BASE}live.json").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(f"{BASE}sessions/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(f"{BASE}grants/").status_code == 200
    with django_assert_max_num_queries(10):
        assert api_client.get("/api/v1/tenants/alpha/monitoring-sessions/").status_code == 200
    with django_assert_max_num_queries(10):
        assert api_client.get("/api/v1/tenants/alpha/supervision-grants/").status_code == 200
