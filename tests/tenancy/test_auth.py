"""Sign-in for the menu and the API: success, failure, throttling, logout — all audited."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent


def _actions(tenant):
    return list(AuditEvent.unscoped.filter(tenant=tenant).values_list("action", flat=True))


@pytest.mark.django_db
def test_login_page_is_german_by_default(web):
    response = web().get(reverse("login"))
    assert response.status_code == 200
    assert response["Content-Language"] == "de"
    assert "Anmelden" in response.content.decode()


@pytest.mark.django_db
def test_login_reaches_the_tenant_menu_and_is_audited(web, admin_a, tenant_a, password):
    from tests.conftest import authenticator, totp_code

    device = authenticator(admin_a)  # an admin signs in with a second factor
    client = web()
    response = client.post(reverse("login"), {"username": "alice", "password": password},
                           follow=True)
    assert response.redirect_chain[-1][0].startswith("/account/2fa/verify/")
    response = client.post(response.redirect_chain[-1][0], {"token": totp_code(device)},
                           follow=True)
    assert response.redirect_chain[-1][0] == f"/t/{tenant_a.slug}/"
    assert tenant_a.name in response.content.decode()
    assert "auth.login" in _actions(tenant_a)


@pytest.mark.django_db
def test_failed_login_is_audited_with_the_client_address(web, admin_a, tenant_a):
    response = web().post(reverse("login"), {"username": "alice", "password": "wrong"},
                          REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200
    event = AuditEvent.unscoped.get(tenant=tenant_a, action="auth.login_failed")
    assert event.ip == "203.0.113.9" and event.actor_label == "alice"


@pytest.mark.django_db
def test_failed_login_of_unknown_account_goes_to_the_provider_chain(web):
    web().post(reverse("login"), {"username": "nobody", "password": "x"})
    assert AuditEvent.unscoped.filter(tenant=None, action="auth.login_failed").exists()


@pytest.mark.django_db
def test_repeated_failures_throttle_even_the_right_password(web, admin_a, tenant_a, password,
                                                            settings):
    client = web()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "alice", "password": password})
    assert response.status_code == 200  # the form again, not a redirect
    assert "_auth_user_id" not in client.session
    assert "auth.login_throttled" in _actions(tenant_a)


@pytest.mark.django_db
def test_logout_is_audited(web, admin_a, tenant_a, password):
    client = web()
    client.post(reverse("login"), {"username": "alice", "password": password})
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "auth.logout" in _actions(tenant_a)


@pytest.mark.django_db
def test_token_endpoint_issues_a_working_token(api, admin_a, tenant_a, password):
    response = api().post("/api/v1/auth/token/", {"username": "alice", "password": password},
                          format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(f"/api/v1/tenants/{tenant_a.slug}/pbx-users/").status_code == 200


@pytest.mark.django_db
def test_token_endpoint_errors_have_stable_codes(api, admin_a, settings):
    client = api()
    response = client.post("/api/v1/auth/token/", {"username": "alice", "password": "no"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_credentials"
    response = client.post("/api/v1/auth/token/", {"username": "alice"})
    assert response.status_code == 400 and response.json()["code"] == "required"
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post("/api/v1/auth/token/", {"username": "alice", "password": "no"})
    response = client.post("/api/v1/auth/token/", {"username": "alice", "password": "no"})
    assert response.status_code == 429 and response.json()["code"] == "login_throttled"


@pytest.mark.django_db
def test_account_in_two_tenants_chooses_and_switches(web, admin_a, tenant_a, tenant_b):
    from tests.factories import MembershipFactory

    MembershipFactory(tenant=tenant_b, user=admin_a, role="compliance")
    client = web(admin_a)
    home = client.get("/")
    assert home.status_code == 200
    body = home.content.decode()
    assert tenant_a.name in body and tenant_b.name in body
    page = client.get(f"/t/{tenant_b.slug}/").content.decode()
    assert 'id="tenant-switch"' in page


@pytest.mark.django_db
def test_suspended_tenant_is_not_reachable(web, admin_a, tenant_a):
    tenant_a.status = "suspended"
    tenant_a.save()
    assert web(admin_a).get(f"/t/{tenant_a.slug}/").status_code == 404


@pytest.mark.django_db
def test_pbx_node_token_authenticates_only_active_nodes(node_a):
    from rest_framework.exceptions import AuthenticationFailed
    from rest_framework.test import APIRequestFactory

    from tenancy.authentication import PbxNodeAuthentication

    def authenticate(token):
        request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}")
        return PbxNodeAuthentication().authenticate(request)

    node, _ = authenticate(node_a.plain_token)
    assert node.pk == node_a.pk and node.tenant_id == node_a.tenant_id
    with pytest.raises(AuthenticationFailed):
        authenticate("pbxn_wrong")
    node_a.is_active = False
    node_a.save()
    with pytest.raises(AuthenticationFailed):
        authenticate(node_a.plain_token)


def test_each_test_process_throttles_in_its_own_cache():
    # pytest-xdist workers must not count each other's failed logins (see tests/conftest.py).
    import os

    from django.core.cache import cache

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    assert cache._dir.endswith(f"{worker}-{os.getpid()}")
