"""Provider staff can open every admin list (with data from the demo) and fact records stay
read-only."""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse


@pytest.mark.django_db
def test_every_admin_changelist_opens_for_staff(web, django_user_model):
    call_command("seed_demo", "--quiet-logins", stdout=None)
    staff = django_user_model.objects.create_superuser("operator", "op@example.net", "pw-12345")
    client = web(staff)  # signed in with the second factor provider staff need
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        assert response.status_code == 200, url


def test_audit_and_recordings_are_read_only_in_the_admin():
    from audit.models import AuditEvent
    from recordings.models import Recording

    for model in (AuditEvent, Recording):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(None)
        assert not model_admin.has_change_permission(None)
        assert not model_admin.has_delete_permission(None)
