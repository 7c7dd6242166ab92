"""Tenant admins manage who may use the menu, with which role and extension."""

import pytest
from django.contrib.auth import get_user_model

from audit.models import AuditEvent
from tenancy.models import Membership


def url(tenant, rest=""):
    return f"/t/{tenant.slug}/accounts/{rest}"


@pytest.mark.django_db
def test_admin_adds_a_new_account_with_a_one_time_password(web, admin_a, tenant_a, agent_ext_a):
    client = web(admin_a)
    response = client.post(url(tenant_a, "new/"), {
        "username": "neu.agent", "first_name": "Nina", "last_name": "Neu", "role": "member",
        "pbx_user": agent_ext_a.pk})
    body = response.content.decode()
    assert "Nina Neu (alpha.neu.agent)" in body
    membership = Membership.unscoped.get(tenant=tenant_a, user__username="alpha.neu.agent")
    assert membership.role == "member" and membership.pbx_user == agent_ext_a
    password = body.split('data-testid="one-time-password"')[0].rsplit('value="', 1)[1].split(
        '"')[0]
    assert membership.user.check_password(password)
    assert AuditEvent.unscoped.filter(tenant=tenant_a, action="membership.saved").exists()


@pytest.mark.django_db
def test_admin_changes_role_and_cannot_remove_the_last_admin(web, admin_a, agent_a, tenant_a):
    client = web(admin_a)
    agent_membership = Membership.unscoped.get(tenant=tenant_a, user=agent_a)
    response = client.post(url(tenant_a, f"{agent_membership.pk}/"), {"role": "supervisor"})
    assert response.status_code == 302
    agent_membership.refresh_from_db()
    assert agent_membership.role == "supervisor"
    own = Membership.unscoped.get(tenant=tenant_a, user=admin_a)
    client.post(url(tenant_a, f"{own.pk}/"), {"role": "member"})
    own.refresh_from_db()
    assert own.role == "admin"
    client.post(url(tenant_a, f"{own.pk}/"), {"remove": "1"})
    assert Membership.unscoped.filter(pk=own.pk).exists()
    client.post(url(tenant_a, f"{agent_membership.pk}/"), {"remove": "1"})
    assert not Membership.unscoped.filter(pk=agent_membership.pk).exists()
    assert get_user_model().objects.filter(pk=agent_a.pk).exists()
    assert AuditEvent.unscoped.filter(tenant=tenant_a, action="membership.removed").exists()


@pytest.mark.django_db
def test_only_admins_manage_accounts(web, compliance_a, tenant_a):
    assert web(compliance_a).get(url(tenant_a)).status_code == 403
