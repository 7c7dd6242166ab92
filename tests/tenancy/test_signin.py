"""Sign-in hardening (issue 7.7, 12.6): growing delays per username and address, the right
password from a new address, the admin's login, the proxy's client address, messages."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from audit.models import AuditEvent
from tenancy.models import Membership

pytestmark = pytest.mark.django_db


def login(client, username, password, ip="198.51.100.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_failures_from_one_address_do_not_lock_the_person_out(web, admin_a, password, settings):
    attacker = web()
    for _ in range(settings.LOGIN_FAILURE_LIMIT + 3):
        login(attacker, "alice", "wrong", ip="203.0.113.66")
    assert "_auth_user_id" not in attacker.session
    refused = login(attacker, "alice", password, ip="203.0.113.66")
    assert refused.status_code == 200  # the attacker's address waits, even with the password
    alice = web()
    response = login(alice, "alice", password, ip="198.51.100.20")
    assert response.status_code == 302 and "_auth_user_id" in alice.session


def test_delays_grow_with_each_further_failure(settings):
    from tenancy import auth

    settings.LOGIN_BACKOFF_BASE, settings.LOGIN_BACKOFF_MAX = 10, 1000
    waits = []
    for _ in range(settings.LOGIN_FAILURE_LIMIT + 3):
        auth.register_failure("alice", "203.0.113.5")
        waits.append(auth.is_throttled("alice", "203.0.113.5"))
    limit = settings.LOGIN_FAILURE_LIMIT
    assert waits[: limit - 1] == [0] * (limit - 1)
    assert waits[limit - 1 :] == [10, 20, 40, 80]
    assert auth.is_throttled("alice", "198.51.100.1") == 0


def test_wrong_password_message_names_both(web, admin_a):
    body = login(web(), "alice", "wrong").content.decode()
    assert "Benutzername oder Passwort ist falsch" in body


def test_admin_login_is_throttled_and_audited(web, django_user_model, settings):
    django_user_model.objects.create_superuser("operator", "op@example.net", "Op-secret-2027")
    client = web()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "operator", "password": "wrong"})
    assert (
        AuditEvent.unscoped.filter(action="auth.login_failed", data__channel="admin").count()
        == settings.LOGIN_FAILURE_LIMIT
    )
    response = client.post("/admin/login/", {"username": "operator", "password": "Op-secret-2027"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert AuditEvent.unscoped.filter(action="auth.login_throttled").exists()
    fresh = web()
    ok = fresh.post(
        "/admin/login/",
        {"username": "operator", "password": "Op-secret-2027"},
        REMOTE_ADDR="198.51.100.30",
    )
    assert ok.status_code == 302 and "_auth_user_id" in fresh.session


def test_client_address_comes_from_the_trusted_proxy_only(web, admin_a, tenant_a, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    login(web(), "alice", "wrong", ip="10.1.2.3")
    web().post(
        reverse("login"),
        {"username": "alice", "password": "wrong"},
        REMOTE_ADDR="10.1.2.3",
        HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.50",
    )
    web().post(
        reverse("login"),
        {"username": "alice", "password": "wrong"},
        REMOTE_ADDR="198.51.100.9",
        HTTP_X_FORWARDED_FOR="192.0.2.99",
    )
    ips = list(
        AuditEvent.unscoped.filter(tenant=tenant_a, action="auth.login_failed")
        .order_by("seq")
        .values_list("ip", flat=True)
    )
    assert ips == ["10.1.2.3", "203.0.113.50", "198.51.100.9"]


def test_logout_confirms_on_a_page(web, admin_a, password):
    client = web()
    login(client, "alice", password)
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("logged-out")
    assert "Sie sind abgemeldet" in response.content.decode()


def test_cli_passwords_follow_djangos_validators(tenant_a):
    with pytest.raises(CommandError):
        call_command(
            "create_portal_user", tenant_a.slug, "kurz", "--role", "member", "--password", "1234"
        )
    assert not Membership.unscoped.filter(user__username="kurz").exists()
