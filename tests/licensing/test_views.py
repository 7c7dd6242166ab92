"""Customer-menu pages of licensing: render, roles (403), other tenants (404), the forms."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from licensing import selectors, services
from licensing.models import LicenseAssignment

from .conftest import events

pytestmark = pytest.mark.django_db

T = "/t/alpha/licenses"


@pytest.fixture
def licensed(tenant_a, agent_ext_a, supervisor_ext_a, monitor_pool, record_pool):
    return services.assign_license(actor=None, tenant=tenant_a, extension="201",
                                   license="monitor")


def test_overview_shows_pool_bars_and_users_for_admin(web, admin_a, licensed):
    response = web(admin_a).get(f"{T}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="used-monitor">1<' in html
    assert 'data-testid="available-monitor">1<' in html
    assert 'data-testid="revoke-201-monitor"' in html
    assert 'data-testid="assign-201-record"' in html
    assert "css/licensing.css" in html
    assert 'lang="de"' in html and "Lizenzen" in html


def test_overview_for_a_member_shows_pools_and_only_own_row_without_buttons(web, agent_a,
                                                                             licensed):
    html = web(agent_a).get(f"{T}/").content.decode()
    assert 'data-testid="used-monitor"' in html
    assert 'data-extension="201"' in html and 'data-extension="210"' not in html
    assert "data-testid=\"assign-" not in html and "data-testid=\"revoke-" not in html


def test_overview_warns_before_assigning_to_a_desk_phone(web, admin_a, licensed):
    html = web(admin_a).get(f"{T}/?lang=en").content.decode()
    # 210 uses a desk phone: Monitor would record, but not make him monitorable.
    assert "Can be monitored – not possible: Needs a softphone" in html


def test_assign_through_the_menu(web, admin_a, tenant_a, licensed):
    client = web(admin_a)
    response = client.post(f"{T}/assign/", {"extension": "201", "license": "record",
                                            "reason": "QA", "next": f"{T}/?q=20"})
    assert response.status_code == 302 and response["Location"] == f"{T}/?q=20"
    assignment = LicenseAssignment.unscoped.get(pbx_user__extension="201", license="record",
                                                revoked_at__isnull=True)
    assert assignment.assign_reason == "QA" and assignment.assigned_by == "alice"
    page = client.get(f"{T}/").content.decode()
    assert 'data-testid="used-record">1<' in page


def test_assign_refusal_is_a_message_not_an_error(web, admin_a, licensed):
    client = web(admin_a)
    response = client.post(f"{T}/assign/", {"extension": "201", "license": "monitor"},
                           follow=True)
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert any("201" in m for m in messages)


def test_assign_ignores_an_offsite_next(web, admin_a, licensed):
    response = web(admin_a).post(f"{T}/assign/", {"extension": "201", "license": "record",
                                                  "next": "https://evil.example/"})
    assert response["Location"] == f"{T}/"


def test_revoke_through_the_menu_with_reason(web, admin_a, tenant_a, licensed):
    response = web(admin_a).post(f"{T}/assignments/{licensed.pk}/revoke/", {"reason": "left"})
    assert response.status_code == 302
    licensed.refresh_from_db()
    assert licensed.revoke_reason == "left" and not licensed.is_active
    assert len(events(tenant_a, "license.revoked")) == 1


@pytest.mark.parametrize("persona", ["agent_a", "supervisor_a", "compliance_a"])
def test_only_admins_assign_and_revoke(request, web, persona, licensed):
    client = web(request.getfixturevalue(persona))
    assert client.post(f"{T}/assign/", {"extension": "201", "license": "record"}
                       ).status_code == 403
    assert client.post(f"{T}/assignments/{licensed.pk}/revoke/").status_code == 403
    assert client.get(f"{T}/import/").status_code == 403
    assert LicenseAssignment.unscoped.filter(revoked_at__isnull=True).count() == 1


def test_assign_and_revoke_are_post_only(web, admin_a, licensed):
    client = web(admin_a)
    assert client.get(f"{T}/assign/").status_code == 405
    assert client.get(f"{T}/assignments/{licensed.pk}/revoke/").status_code == 405


def test_other_tenants_admin_gets_404(web, admin_b, licensed):
    client = web(admin_b)
    for url in (f"{T}/", f"{T}/users/201/", f"{T}/matrix/", f"{T}/advisor/", f"{T}/import/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{T}/assignments/{licensed.pk}/revoke/").status_code == 404
    assert licensed.is_active


def test_revoking_another_tenants_assignment_by_id_is_404(web, admin_b, tenant_b, licensed):
    response = web(admin_b).post(f"/t/beta/licenses/assignments/{licensed.pk}/revoke/")
    assert response.status_code == 404
    assert LicenseAssignment.unscoped.get(pk=licensed.pk).is_active


def test_anonymous_is_sent_to_login(web, licensed):
    response = web().get(f"{T}/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_user_page_shows_policy_and_history(web, admin_a, tenant_a, licensed):
    services.revoke_license(actor=None, assignment=licensed, reason="Teamwechsel")
    services.assign_license(actor=None, tenant=tenant_a, extension="201", license="record",
                            reason="Schulung")
    html = web(admin_a).get(f"{T}/users/201/?lang=en").content.decode()
    assert 'data-testid="policy-summary"' in html
    assert "Teamwechsel" in html and "Schulung" in html
    assert "Needs a Monitor licence." in html
    assert 'data-flag="record_on_demand_client"' in html


def test_member_sees_own_user_page_only(web, agent_a, licensed):
    client = web(agent_a)
    assert client.get(f"{T}/users/201/").status_code == 200
    assert client.get(f"{T}/users/210/").status_code == 404


def test_user_page_unknown_extension_is_404(web, admin_a, licensed):
    assert web(admin_a).get(f"{T}/users/999/").status_code == 404


def test_matrix_lists_every_user_with_reasons(web, admin_a, compliance_a, supervisor_a,
                                              agent_a, tenant_a, licensed):
    services.assign_license(actor=None, tenant=tenant_a, extension="210", license="monitor")
    for user in (admin_a, compliance_a, supervisor_a):
        html = web(user).get(f"{T}/matrix/?lang=en").content.decode()
        assert 'data-extension="201"' in html and 'data-extension="210"' in html
        assert "Needs a softphone with a USB sound device, not a desk phone." in html
    assert web(agent_a).get(f"{T}/matrix/").status_code == 403


def test_matrix_problem_filter(web, admin_a, tenant_a, make_user, licensed):
    user = make_user("260", client_type="softphone_cti", record_all_calls=False)
    services.assign_license(actor=None, tenant=tenant_a, pbx_user=user, license="monitor")
    html = web(admin_a).get(f"{T}/matrix/?problems=1").content.decode()
    assert 'data-extension="260"' in html and 'data-extension="201"' not in html


def test_matrix_query_count_is_constant(web, admin_a, make_user, licensed,
                                        django_assert_max_num_queries):
    client = web(admin_a)
    client.get(f"{T}/matrix/")
    for n in range(20):
        make_user(str(600 + n))
    with django_assert_max_num_queries(16):
        assert client.get(f"{T}/matrix/").status_code == 200


def test_overview_query_count_is_constant(web, admin_a, make_user, licensed,
                                          django_assert_max_num_queries):
    client = web(admin_a)
    for n in range(20):
        make_user(str(700 + n))
    with django_assert_max_num_queries(20):
        assert client.get(f"{T}/").status_code == 200


def test_advisor_form_and_advice_for_a_user(web, agent_a, admin_a, licensed):
    assert web(agent_a).get(f"{T}/advisor/").status_code == 200
    html = web(admin_a).get(
        f"{T}/advisor/?capabilities=monitorable&extension=210&go=1&lang=en").content.decode()
    assert 'data-testid="advice"' in html
    assert 'data-code="assign_monitor"' in html
    assert 'data-code="set_client_softphone_usb"' in html
    assert 'data-code="switch_off_record_all_calls"' in html


def test_advisor_member_cannot_pick_another_user(web, agent_a, licensed):
    response = web(agent_a).get(f"{T}/advisor/?capabilities=monitorable&extension=210&go=1")
    assert response.status_code == 200
    assert "data-code=" not in response.content.decode()


def test_csv_upload_shows_a_result_per_row(web, admin_a, tenant_a, licensed):
    upload = SimpleUploadedFile(
        "l.csv", b"extension;license\n210;record\n201;monitor\n999;record\n",
        content_type="text/csv")
    response = web(admin_a).post(f"{T}/import/", {"file": upload})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-outcome="assigned"' in html
    assert 'data-outcome="already_assigned"' in html
    assert 'data-outcome="unknown_extension"' in html
    assert selectors.used_count(tenant=tenant_a, license="record") == 1


@pytest.mark.parametrize("content", [b"extension;license\n2\r10;record\n",
                                     b"extension;license\n" + b"2" * 200_000 + b";record\n"])
def test_a_file_the_csv_module_cannot_read_is_refused_in_german(web, admin_a, content):
    """A line break inside an unquoted field, or a field over the csv module's limit, escaped
    as ``csv.Error`` (a 500)."""
    upload = SimpleUploadedFile("l.csv", content, content_type="text/csv")
    response = web(admin_a).post(f"{T}/import/", {"file": upload, "dry_run": "on"})
    assert response.status_code == 200
    [error] = response.context["form"].errors["file"]
    assert "nicht als CSV gelesen werden" in error


def test_csv_upload_dry_run_changes_nothing(web, admin_a, tenant_a, licensed):
    upload = SimpleUploadedFile("l.csv", b"210,record\n", content_type="text/csv")
    html = web(admin_a).post(f"{T}/import/", {"file": upload, "dry_run": "on"}
                             ).content.decode()
    assert 'data-outcome="assigned"' in html
    assert selectors.used_count(tenant=tenant_a, license="record") == 0


def test_csv_upload_of_an_unreadable_file_is_a_form_error(web, admin_a, licensed):
    upload = SimpleUploadedFile("l.csv", b"extension,action\n201,assign\n")
    response = web(admin_a).post(f"{T}/import/", {"file": upload})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert 'data-testid="import-result"' not in response.content.decode()


def test_navigation_offers_licences(web, admin_a, agent_a, licensed):
    # One menu entry for the section; the matrix is a tab of the licences pages.
    html = web(admin_a).get(f"{T}/").content.decode()
    assert f'href="{T}/"' in html and f'href="{T}/matrix/"' in html
    html = web(agent_a).get(f"{T}/").content.decode()
    assert f'href="{T}/"' in html and f'href="{T}/matrix/"' not in html


def test_pages_in_english_on_request(web, admin_a, licensed):
    html = web(admin_a).get(f"{T}/?lang=en").content.decode()
    assert "Users and their licences" in html
