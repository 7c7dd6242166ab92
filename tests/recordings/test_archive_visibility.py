"""Who sees which recordings (issue 8 item 1), per role, across tenants, in one query."""

import pytest
from django.urls import reverse

from recordings import models as recording_models
from recordings.archive_settings import update_recording_settings
from recordings.models import Recording
from tests.conftest import _persona

from .conftest import audit_actions, tenant_api
from .test_customer_api import make_recording

pytestmark = pytest.mark.django_db


def visible_extensions(user, tenant):
    return sorted(Recording.objects.for_actor(user, tenant).values_list("extension", flat=True))


@pytest.fixture
def three(tenant_a, agent_ext_a, supervisor_ext_a):
    return [make_recording(tenant_a, ext) for ext in ("201", "210", "299")]


def test_admin_and_compliance_see_the_whole_tenant(three, admin_a, compliance_a, tenant_a):
    assert visible_extensions(admin_a, tenant_a) == ["201", "210", "299"]
    assert visible_extensions(compliance_a, tenant_a) == ["201", "210", "299"]


def test_member_sees_own_extension_only(three, agent_a, tenant_a):
    assert visible_extensions(agent_a, tenant_a) == ["201"]


def test_supervisor_sees_own_until_supervision_or_the_tenant_option(
    three, supervisor_a, admin_a, tenant_a
):
    assert visible_extensions(supervisor_a, tenant_a) == ["210"]
    update_recording_settings(actor=admin_a, tenant=tenant_a, changes={"supervisors_see_all": True})
    assert visible_extensions(supervisor_a, tenant_a) == ["201", "210", "299"]
    assert audit_actions(tenant_a, "recordings.settings_changed") == ["recordings.settings_changed"]


def test_supervisor_sees_supervised_extensions_in_one_query(
    three, supervisor_a, tenant_a, monkeypatch, django_assert_num_queries
):
    calls = []

    def grants(membership):
        calls.append(membership.pk)
        return ["201"]

    monkeypatch.setattr(recording_models, "SUPERVISED_EXTENSION_SOURCES", [grants])
    supervisor_a._hostedpbx_memberships = None
    visible_extensions(supervisor_a, tenant_a)  # memberships cached on the user
    with django_assert_num_queries(1):
        assert visible_extensions(supervisor_a, tenant_a) == ["201", "210"]
    assert len(set(calls)) == 1


def test_tenant_option_of_one_tenant_does_not_widen_another(
    tenant_a, tenant_b, admin_b, agent_ext_a, supervisor_ext_a
):
    from tests.factories import PbxUserFactory

    b_ext = PbxUserFactory(tenant=tenant_b, extension="210", display_name="Bea")
    user = _persona(tenant_a, "zweifach", "supervisor", supervisor_ext_a)
    from tests.factories import MembershipFactory

    MembershipFactory(tenant=tenant_b, user=user, role="supervisor", pbx_user=b_ext)
    make_recording(tenant_a, "201")
    make_recording(tenant_a, "210")
    make_recording(tenant_b, "299")
    update_recording_settings(actor=admin_b, tenant=tenant_b, changes={"supervisors_see_all": True})
    assert visible_extensions(user, tenant_a) == ["210"]
    assert visible_extensions(user, tenant_b) == ["299"]


@pytest.mark.parametrize(
    "persona,status",
    [("admin_a", 200), ("compliance_a", 200), ("supervisor_a", 404), ("agent_a", 200)],
)
def test_detail_audio_and_api_follow_visibility(
    request, persona, status, api, web, tenant_a, agent_ext_a, supervisor_ext_a
):
    user = request.getfixturevalue(persona)
    own_201 = make_recording(tenant_a, "201")
    page = web(user).get(
        reverse("recordings:detail", kwargs={"tenant_slug": "alpha", "recording_id": own_201.pk})
    )
    assert page.status_code == status
    detail = api(user).get(tenant_api(tenant_a, "recording-detail", recording_id=own_201.pk))
    assert detail.status_code == status
    audio = api(user).head(tenant_api(tenant_a, "recording-audio", recording_id=own_201.pk))
    assert audio.status_code in ((404,) if status == 404 else (200, 404))


def test_other_tenant_answers_404_everywhere(api, web, admin_b, tenant_a, agent_ext_a):
    recording = make_recording(tenant_a, "201")
    kwargs = {"tenant_slug": "alpha", "recording_id": recording.pk}
    for name in ("recordings:detail", "recordings:audio"):
        assert web(admin_b).get(reverse(name, kwargs=kwargs)).status_code == 404
    for name in ("recording-detail", "recording-audio"):
        assert api(admin_b).get(reverse(name, kwargs=kwargs)).status_code == 404
    assert web(admin_b).get("/t/alpha/recordings/csv/").status_code == 404
    assert api(admin_b).get("/api/v1/tenants/alpha/recordings/csv/").status_code == 404


def test_settings_page_admins_change_others_read_audited(web, admin_a, compliance_a, agent_a,
                                                         tenant_a):
    page = web(compliance_a).get("/t/alpha/recordings/settings/")
    assert page.status_code == 200
    assert 'name="phone_region"' in page.content.decode() and "disabled" in page.content.decode()
    assert web(compliance_a).post("/t/alpha/recordings/settings/", {}).status_code == 403
    assert web(agent_a).post("/t/alpha/recordings/settings/", {}).status_code == 403
    client = web(admin_a)
    assert client.get("/t/alpha/recordings/settings/").status_code == 200
    response = client.post(
        "/t/alpha/recordings/settings/", {"access_reason_required": "on", "phone_region": "at"}
    )
    assert response.status_code == 302
    from recordings.selectors import settings_for

    saved = settings_for(tenant_a)
    assert saved.access_reason_required and saved.phone_region == "AT"
    assert not saved.supervisors_see_all
    bad = client.post("/t/alpha/recordings/settings/", {"phone_region": "XX"})
    assert bad.status_code == 200 and settings_for(tenant_a).phone_region == "AT"
