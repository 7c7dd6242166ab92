"""Accounts belong to people (issue 7.3), admin invariants under concurrency (7.4), the
account pages (issue 12.3) and the one-time password's path (7.7)."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from audit.models import AuditEvent
from tenancy import services
from tenancy.models import Membership, PasswordChangeRequired
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(tenant, rest=""):
    return f"/t/{tenant.slug}/accounts/{rest}"


def new_account(client, tenant, **fields):
    data = {
        "username": "neu.agent",
        "first_name": "Nina",
        "last_name": "Neu",
        "role": "member",
        **fields,
    }
    return client.post(url(tenant, "new/"), data)


def test_another_tenants_account_cannot_be_attached(web, admin_a, tenant_a, tenant_b):
    # New menu accounts are named "<slug>.<name>": typing "bob" names "alpha.bob", never
    # tenant B's "bob". Provider staff made an "alpha.bob" for tenant B only (the CLI names
    # freely); alice's "new account" does not attach it but answers like an invitation.
    other = UserFactory(username="alpha.bob")
    MembershipFactory(tenant=tenant_b, user=other, role="admin")
    response = new_account(web(admin_a), tenant_a, username="bob", role="admin")
    assert response.status_code == 200
    assert not Membership.unscoped.filter(tenant=tenant_a, user=other).exists()
    assert 'data-testid="invitation-reply"' in response.content.decode()
    assert "password" not in response.context
    assert get_user_model().objects.filter(username__iexact="alpha.bob").count() == 1


def test_logins_are_audited_in_the_tenant_signed_in_to(web, admin_a, tenant_a, tenant_b, password):
    MembershipFactory(tenant=tenant_b, user=admin_a, role="admin")
    client = web()
    client.post(
        reverse("login"),
        {"username": "alice", "password": password, "next": f"/t/{tenant_b.slug}/"},
    )
    assert AuditEvent.unscoped.filter(tenant=tenant_b, action="auth.login").count() == 1
    assert not AuditEvent.unscoped.filter(tenant=tenant_a, action="auth.login").exists()


def test_new_account_password_is_shown_once_and_never_in_a_cookie(
    web, admin_a, tenant_a, agent_ext_a
):
    client = web(admin_a)
    response = new_account(client, tenant_a, pbx_user=agent_ext_a.pk)
    assert response.status_code == 200
    password = response.context["password"]
    body = response.content.decode()
    assert password in body and "data-copy" in body
    assert all(password not in morsel.value for morsel in response.cookies.values())
    assert all(password not in morsel.value for morsel in client.cookies.values())
    membership = Membership.unscoped.get(tenant=tenant_a, user__username="alpha.neu.agent")
    assert membership.user.check_password(password)
    assert PasswordChangeRequired.objects.filter(user=membership.user).exists()
    # The list shows the name.
    listing = client.get(url(tenant_a)).content.decode()
    assert "Nina Neu" in listing


def test_default_role_is_the_least_privileged_and_an_agent_needs_an_extension(
    web, admin_a, tenant_a
):
    form = web(admin_a).get(url(tenant_a, "new/")).context["form"]
    assert form["role"].value() == "member"
    response = new_account(web(admin_a), tenant_a, role="member")
    assert "pbx_user" in response.context["form"].errors
    assert not Membership.unscoped.filter(user__username="alpha.neu.agent").exists()


def test_removal_asks_and_names_the_person(web, admin_a, agent_a, tenant_a):
    agent_a.first_name, agent_a.last_name = "Anna", "Agentin"
    agent_a.save()
    membership = Membership.unscoped.get(tenant=tenant_a, user=agent_a)
    page = web(admin_a).get(url(tenant_a, f"{membership.pk}/")).content.decode()
    assert 'data-confirm="Anna Agentin (anna) aus diesem Mandanten entfernen?"' in page
    response = web(admin_a).post(url(tenant_a, f"{membership.pk}/"), {"remove": "1"}, follow=True)
    assert "Anna Agentin (anna)" in response.content.decode()


def test_one_time_password_must_be_changed_at_first_login(web, admin_a, tenant_a, agent_ext_a):
    password = new_account(web(admin_a), tenant_a, pbx_user=agent_ext_a.pk).context["password"]
    client = web()
    response = client.post(
        reverse("login"), {"username": "alpha.neu.agent", "password": password}, follow=True
    )
    assert response.redirect_chain[-1][0].startswith(reverse("account:password-change"))
    assert client.get(f"/t/{tenant_a.slug}/").status_code == 302
    api = client.get(f"/api/v1/tenants/{tenant_a.slug}/pbx-users/")
    assert api.status_code == 403 and api.json()["code"] == "password_change_required"
    weak = client.post(
        reverse("account:password-change"),
        {"old_password": password, "new_password1": "1234", "new_password2": "1234"},
    )
    assert weak.status_code == 200 and weak.context["form"].errors
    done = client.post(
        reverse("account:password-change"),
        {
            "old_password": password,
            "new_password1": "Gr\u00fcne Wiese 2027!",
            "new_password2": "Gr\u00fcne Wiese 2027!",
        },
    )
    assert done.status_code == 302
    assert client.get(f"/t/{tenant_a.slug}/").status_code == 200
    assert AuditEvent.unscoped.filter(tenant=tenant_a, action="account.password_changed").exists()


def test_admin_resets_a_password_audited(web, admin_a, agent_a, tenant_a, password):
    membership = Membership.unscoped.get(tenant=tenant_a, user=agent_a)
    response = web(admin_a).post(url(tenant_a, f"{membership.pk}/"), {"reset_password": "1"})
    new = response.context["password"]
    agent_a.refresh_from_db()
    assert agent_a.check_password(new) and not agent_a.check_password(password)
    assert PasswordChangeRequired.objects.filter(user=agent_a).exists()
    assert AuditEvent.unscoped.filter(tenant=tenant_a, action="account.password_reset").exists()


def test_an_account_of_other_tenants_too_keeps_its_password(web, admin_a, admin_b, tenant_a,
                                                            tenant_b, password):
    """An account that is also tenant B's admin (an accepted invitation, or the provider put
    it into both) is not reset by tenant A's admin: a reset would open tenant B to whoever
    knows the new password. Tenant B's own accounts are reset as before."""
    MembershipFactory(tenant=tenant_a, user=admin_b, role="supervisor")
    shared = Membership.unscoped.get(tenant=tenant_a, user=admin_b)
    client = web(admin_a)
    page = client.get(url(tenant_a, f"{shared.pk}/")).content.decode()
    assert 'data-testid="sign-in-not-resettable"' in page and 'name="reset_password"' not in page
    response = client.post(url(tenant_a, f"{shared.pk}/"), {"reset_password": "1"})
    assert response.status_code == 302
    admin_b.refresh_from_db()
    assert admin_b.check_password(password)
    assert not PasswordChangeRequired.objects.filter(user=admin_b).exists()
    assert not AuditEvent.unscoped.filter(action="account.password_reset").exists()
    with pytest.raises(ValidationError) as refused:
        services.reset_password(actor=admin_a, membership=shared)
    assert refused.value.code == "account_in_other_tenants"
    # Once the account belongs to tenant A alone, tenant A's admin resets it.
    Membership.unscoped.filter(tenant=tenant_b, user=admin_b).delete()
    assert 'name="reset_password"' in client.get(url(tenant_a, f"{shared.pk}/")).content.decode()
    assert services.reset_password(actor=admin_a, membership=shared)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_removing_each_other_leave_one(tenant_a):
    one, two = UserFactory(username="one"), UserFactory(username="two")
    m1 = MembershipFactory(tenant=tenant_a, user=one, role="admin")
    m2 = MembershipFactory(tenant=tenant_a, user=two, role="admin")
    barrier = threading.Barrier(2)
    errors = []

    def remove(actor, membership):
        try:
            barrier.wait()
            services.remove_membership(actor=actor, membership=membership)
        except Exception as exc:  # the loser is refused with LastAdminError
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=remove, args=(one, m2)),
        threading.Thread(target=remove, args=(two, m1)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Membership.unscoped.filter(tenant=tenant_a, role="admin").count() == 1
    assert len(errors) == 1 and isinstance(errors[0], services.LastAdminError)


def test_no_api_token_before_the_one_time_password_is_changed(web, api, admin_a, tenant_a,
                                                               agent_ext_a):
    password = new_account(web(admin_a), tenant_a, pbx_user=agent_ext_a.pk).context["password"]
    response = api().post("/api/v1/auth/token/",
                          {"username": "alpha.neu.agent", "password": password})
    assert response.status_code == 403
    assert response.json()["code"] == "password_change_required"
