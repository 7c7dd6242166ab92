"""The Django admin saves through the services (issue 7.5): same checks, hooks and audit."""

# ruff: noqa: F811  (fixtures imported from tests/recordings/conftest.py)
import pytest

from audit.models import AuditEvent
from tenancy.models import Membership
from tests.factories import PbxUserFactory, UserFactory
from tests.recordings.conftest import (  # noqa: F401
    eager,
    ingest_dirs,
    ingest_file,
    push,
    sample_dir,
    wav,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(django_user_model, web):
    user = django_user_model.objects.create_superuser(
        "operator", "op@example.net", "Op-secret-2027"
    )
    return web(user)


def test_admin_created_pbx_user_releases_its_quarantined_recordings(
    staff, tenant_a, ingest_file, wav, django_capture_on_commit_callbacks
):
    ingest = ingest_file(wav, extension="250")
    assert ingest.status == "quarantined"
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            "/admin/tenancy/pbxuser/add/",
            {
                "tenant": tenant_a.pk,
                "extension": "250",
                "display_name": "Neu Angelegt",
                "client_type": "softphone_usb",
                "record_all_calls": "on",
                "is_active": "on",
            },
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    ingest.refresh_from_db()
    assert ingest.status == "stored" and ingest.recording.extension == "250"
    assert AuditEvent.unscoped.filter(tenant=tenant_a, action="pbx_user.created").exists()


def test_admin_refuses_a_membership_with_another_tenants_extension(staff, tenant_a, tenant_b):
    foreign = PbxUserFactory(tenant=tenant_b, extension="501")
    person = UserFactory(username="paula")
    response = staff.post(
        "/admin/tenancy/membership/add/",
        {"tenant": tenant_a.pk, "user": person.pk, "role": "member", "pbx_user": foreign.pk},
    )
    assert response.status_code == 200
    assert "pbx_user" in response.context["adminform"].form.errors
    assert not Membership.unscoped.filter(user=person).exists()


def test_admin_cannot_remove_the_last_admin(staff, admin_a, tenant_a):
    membership = Membership.unscoped.get(tenant=tenant_a, user=admin_a)
    response = staff.post(
        f"/admin/tenancy/membership/{membership.pk}/change/",
        {"tenant": tenant_a.pk, "user": admin_a.pk, "role": "compliance", "pbx_user": ""},
    )
    assert response.status_code == 200
    assert "letzte" in response.content.decode() or "mindestens einen Administrator" in (
        response.content.decode()
    )
    membership.refresh_from_db()
    assert membership.role == "admin"
