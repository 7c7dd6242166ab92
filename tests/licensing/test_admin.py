"""Provider staff: pools in the Django admin go through the service (validated, audited)."""

import pytest

from licensing import services
from licensing.models import LicenseAssignment, LicensePool
from tests.factories import UserFactory

from .conftest import events

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return UserFactory(username="operator", is_staff=True, is_superuser=True)


def test_admin_creates_and_changes_a_pool_through_the_service(web, staff, tenant_a):
    client = web(staff)
    response = client.post("/admin/licensing/licensepool/add/", {
        "tenant": tenant_a.pk, "license": "monitor", "quantity": 4, "valid_from": "",
        "valid_until": "2031-12-31"})
    assert response.status_code == 302, response.content.decode()[:2000]
    pool = LicensePool.unscoped.get(tenant=tenant_a, license="monitor")
    assert pool.quantity == 4
    response = client.post(f"/admin/licensing/licensepool/{pool.pk}/change/", {
        "quantity": 6, "valid_from": "", "valid_until": "2031-12-31"})
    assert response.status_code == 302
    assert LicensePool.unscoped.get(pk=pool.pk).quantity == 6
    changes = events(tenant_a, "license_pool.set")
    assert [e.actor_label for e in changes] == ["operator", "operator"]
    assert client.get("/admin/licensing/licensepool/").status_code == 200


def test_admin_refuses_a_quantity_below_the_licences_in_use(web, staff, tenant_a, agent_ext_a,
                                                            monitor_pool):
    services.assign_license(actor=None, tenant=tenant_a, extension="201", license="monitor")
    response = web(staff).post(f"/admin/licensing/licensepool/{monitor_pool.pk}/change/", {
        "quantity": 0, "valid_from": "", "valid_until": ""})
    assert response.status_code == 200  # the form again, with the error
    assert LicensePool.unscoped.get(pk=monitor_pool.pk).quantity == 2


def test_assignments_are_read_only_history_with_a_revoke_action(web, staff, tenant_a,
                                                                 agent_ext_a, monitor_pool):
    assignment = services.assign_license(actor=None, tenant=tenant_a, extension="201",
                                         license="monitor")
    client = web(staff)
    assert client.get("/admin/licensing/licenseassignment/").status_code == 200
    assert client.get("/admin/licensing/licenseassignment/add/").status_code == 403
    response = client.post("/admin/licensing/licenseassignment/", {
        "action": "revoke_selected", "_selected_action": [assignment.pk]})
    assert response.status_code == 302
    assert not LicenseAssignment.unscoped.get(pk=assignment.pk).is_active
    assert events(tenant_a, "license.revoked")[0].actor_label == "operator"
