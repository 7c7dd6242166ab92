"""Personal API tokens (issue 7.8): named, expiring, listed, revoked by their owner; shown
once; audited; untouched by logging out of the web."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from tenancy.models import ApiToken

pytestmark = pytest.mark.django_db


def create(client, name="Report script", expires_in="30"):
    return client.post(reverse("account:tokens"), {"name": name, "expires_in": expires_in})


def token_client(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_token_is_shown_once_named_expiring_and_works(web, admin_a, tenant_a):
    client = web(admin_a)
    response = create(client)
    key = response.context["new_key"]
    token = ApiToken.objects.get(user=admin_a)
    assert token.name == "Report script" and token.key_hash != key
    assert token.expires_at - timezone.now() > datetime.timedelta(days=29)
    assert key not in client.get(reverse("account:tokens")).content.decode()
    assert token_client(key).get(f"/api/v1/tenants/{tenant_a.slug}/pbx-users/").status_code == 200
    assert AuditEvent.unscoped.filter(tenant=tenant_a, action="api_token.created").exists()


def test_revoked_or_expired_tokens_are_refused(web, admin_a, tenant_a):
    client = web(admin_a)
    key = create(client).context["new_key"]
    token = ApiToken.objects.get(user=admin_a)
    client.post(reverse("account:token-revoke", kwargs={"token_id": token.pk}))
    response = token_client(key).get(f"/api/v1/tenants/{tenant_a.slug}/pbx-users/")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"
    assert AuditEvent.unscoped.filter(tenant=tenant_a, action="api_token.revoked").exists()
    other = create(client, name="kurz").context["new_key"]
    ApiToken.objects.filter(name="kurz").update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert token_client(other).get(f"/api/v1/tenants/{tenant_a.slug}/pbx-users/").status_code == 401


def test_only_the_owner_revokes_a_token(web, admin_a, admin_b):
    create(web(admin_a))
    token = ApiToken.objects.get(user=admin_a)
    response = web(admin_b).post(reverse("account:token-revoke", kwargs={"token_id": token.pk}))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert "Report script" not in web(admin_b).get(reverse("account:tokens")).content.decode()


def test_web_logout_leaves_tokens_alone(web, admin_a, tenant_a):
    client = web(admin_a)
    key = create(client).context["new_key"]
    client.post(reverse("logout"))
    assert token_client(key).get(f"/api/v1/tenants/{tenant_a.slug}/pbx-users/").status_code == 200
