"""Accounts belong to people (issue 7.3): another tenant's account joins only by an
invitation the person accepts, and no reply tells whether a username exists."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from tenancy import services
from tenancy.models import Invitation, Membership
from tests.factories import MembershipFactory, PbxUserFactory, UserFactory

pytestmark = pytest.mark.django_db

CSRF_RE = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]+"')


def invitations_url(tenant, rest=""):
    return f"/t/{tenant.slug}/accounts/invitations/{rest}"


def invite(client, tenant, username, role="supervisor", **fields):
    return client.post(invitations_url(tenant), {"username": username, "role": role, **fields})


def without_csrf(response):
    return CSRF_RE.sub(rb'\1"', response.content)


def accept_url(invitation):
    return reverse("account:invitation-accept", kwargs={"invitation_id": invitation.pk})


def decline_url(invitation):
    return reverse("account:invitation-decline", kwargs={"invitation_id": invitation.pk})


def test_reply_is_the_same_whether_or_not_the_username_exists(web, admin_a, admin_b, tenant_a):
    client = web(admin_a)
    existing = invite(client, tenant_a, "bob")
    unknown = invite(client, tenant_a, "nobody-here")
    assert existing.status_code == unknown.status_code == 200
    assert without_csrf(existing) == without_csrf(unknown)
    assert b'data-testid="invitation-reply"' in existing.content
    # Both are on the admin's list by what was typed, with the same status.
    listing = client.get(invitations_url(tenant_a)).content.decode()
    assert "bob" in listing and "nobody-here" in listing
    # Only the existing one can ever be answered, and the trail holds what was typed only.
    assert Invitation.unscoped.get(username="bob").account == admin_b
    assert Invitation.unscoped.get(username="nobody-here").account is None
    events = AuditEvent.unscoped.filter(tenant=tenant_a, action="invitation.created")
    assert sorted(e.data["username"] for e in events) == ["bob", "nobody-here"]
    assert all(set(e.data) == {"username", "role", "extension", "expires_at"} for e in events)
    assert not Membership.unscoped.filter(tenant=tenant_a, user=admin_b).exists()


def test_new_account_with_a_name_this_tenant_never_had_answers_like_an_invitation(
    web, admin_a, tenant_a, tenant_b
):
    # The provider's CLI named an account "alpha.bert" for tenant B only.
    bert = UserFactory(username="alpha.bert")
    MembershipFactory(
        tenant=tenant_b,
        user=bert,
        role="member",
        pbx_user=PbxUserFactory(tenant=tenant_b, extension="301"),
    )
    client = web(admin_a)
    taken = client.post(
        f"/t/{tenant_a.slug}/accounts/new/",
        {"username": "bert", "first_name": "B", "last_name": "B", "role": "admin"},
    )
    invited = invite(client, tenant_a, "ghost", role="admin")
    # The same page apart from the address it was posted to (the language switcher's "next").
    assert without_csrf(taken).replace(b"/accounts/new/", b"/accounts/invitations/") == (
        without_csrf(invited)
    )
    assert not Membership.unscoped.filter(tenant=tenant_a, user=bert).exists()
    assert Invitation.unscoped.get(tenant=tenant_a, username="alpha.bert").account == bert


def test_new_accounts_are_named_in_the_tenants_namespace(web, admin_a, tenant_a, agent_ext_a):
    client = web(admin_a)
    form = client.get(f"/t/{tenant_a.slug}/accounts/new/").content.decode()
    assert "alpha." in form
    response = client.post(
        f"/t/{tenant_a.slug}/accounts/new/",
        {
            "username": "nina",
            "first_name": "Nina",
            "last_name": "Neu",
            "role": "member",
            "pbx_user": agent_ext_a.pk,
        },
    )
    assert response.status_code == 200 and response.context["password"]
    assert Membership.unscoped.get(tenant=tenant_a, user__username="alpha.nina")


def test_a_name_of_a_present_or_former_member_is_reported_taken(
    web, admin_a, agent_a, tenant_a, agent_ext_a
):
    client = web(admin_a)
    current = UserFactory(username="alpha.carl")
    MembershipFactory(tenant=tenant_a, user=current, role="compliance")
    response = client.post(
        f"/t/{tenant_a.slug}/accounts/new/",
        {"username": "carl", "first_name": "C", "last_name": "C", "role": "compliance"},
    )
    assert response.context["form"].errors["username"]
    assert b'data-testid="invitation-reply"' not in response.content
    with pytest.raises(services.ValidationError) as refused:
        services.add_account(actor=admin_a, tenant=tenant_a, name="carl", role="compliance")
    assert refused.value.error_dict["username"][0].code == "username_taken"
    # A former member: removed, but the tenant's trail knows the account.
    former = UserFactory(username="alpha.fritz")
    membership = MembershipFactory(tenant=tenant_a, user=former, role="compliance")
    services.remove_membership(actor=admin_a, membership=membership)
    response = client.post(
        f"/t/{tenant_a.slug}/accounts/new/",
        {"username": "fritz", "first_name": "F", "last_name": "F", "role": "compliance"},
    )
    assert "username" in response.context["form"].errors
    assert not Invitation.unscoped.filter(username="alpha.fritz").exists()


def test_the_invited_person_sees_and_accepts_the_invitation(
    web, admin_a, admin_b, tenant_a, supervisor_ext_a
):
    invite(web(admin_a), tenant_a, "bob", role="supervisor", pbx_user=supervisor_ext_a.pk)
    invitation = Invitation.unscoped.get(username="bob")
    client = web(admin_b)
    home = client.get(reverse("account:tokens")).content.decode()
    assert 'data-testid="invitation-banner"' in home
    page = client.get(reverse("account:invitations")).content.decode()
    assert tenant_a.name in page and accept_url(invitation) in page
    response = client.post(accept_url(invitation))
    assert response.status_code == 302 and response["Location"] == f"/t/{tenant_a.slug}/"
    membership = Membership.unscoped.get(tenant=tenant_a, user=admin_b)
    assert membership.role == "supervisor" and membership.pbx_user == supervisor_ext_a
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    actions = set(AuditEvent.unscoped.filter(tenant=tenant_a).values_list("action", flat=True))
    assert {"invitation.created", "membership.saved", "invitation.accepted"} <= actions
    assert (
        not AuditEvent.unscoped.filter(action__startswith="invitation.")
        .exclude(tenant=tenant_a)
        .exists()
    )
    assert client.get(f"/t/{tenant_a.slug}/").status_code == 200
    # Answered once: a second answer is refused and changes nothing.
    again = client.post(decline_url(invitation), follow=True)
    assert again.status_code == 200
    invitation.refresh_from_db()
    assert invitation.declined_at is None
    assert (
        'data-testid="invitation-banner"'
        not in client.get(reverse("account:tokens")).content.decode()
    )


def test_only_the_invited_account_may_accept(web, admin_a, admin_b, agent_a, tenant_a):
    invite(web(admin_a), tenant_a, "bob")
    invitation = Invitation.unscoped.get(username="bob")
    for other in (admin_a, agent_a):
        assert web(other).post(accept_url(invitation)).status_code == 404
        assert web(other).post(decline_url(invitation)).status_code == 404
    with pytest.raises(services.PermissionDenied):
        services.accept_invitation(actor=agent_a, invitation=invitation)
    assert not Membership.unscoped.filter(tenant=tenant_a, user=admin_b).exists()
    invitation.refresh_from_db()
    assert invitation.is_pending(timezone.now())


def test_declining_is_audited_in_the_inviting_tenant(web, admin_a, admin_b, tenant_a):
    invite(web(admin_a), tenant_a, "bob")
    invitation = Invitation.unscoped.get(username="bob")
    assert web(admin_b).post(decline_url(invitation)).status_code == 302
    invitation.refresh_from_db()
    assert invitation.declined_at is not None
    assert AuditEvent.unscoped.filter(tenant=tenant_a, action="invitation.declined").exists()
    assert not Membership.unscoped.filter(tenant=tenant_a, user=admin_b).exists()
    listing = web(admin_a).get(invitations_url(tenant_a)).content.decode()
    assert "abgelehnt" in listing


def test_another_tenants_admin_can_neither_see_nor_revoke(
    web, admin_a, admin_b, tenant_a, tenant_b
):
    invite(web(admin_a), tenant_a, "someone")
    invitation = Invitation.unscoped.get(username="someone")
    client = web(admin_b)
    assert client.get(invitations_url(tenant_a)).status_code == 404
    assert client.post(invitations_url(tenant_a, f"{invitation.pk}/revoke/")).status_code == 404
    assert client.post(invitations_url(tenant_b, f"{invitation.pk}/revoke/")).status_code == 404
    assert "someone" not in client.get(invitations_url(tenant_b)).content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_the_inviting_admin_revokes_and_the_person_can_no_longer_accept(
    web, admin_a, admin_b, tenant_a
):
    invite(web(admin_a), tenant_a, "bob")
    invitation = Invitation.unscoped.get(username="bob")
    response = web(admin_a).post(invitations_url(tenant_a, f"{invitation.pk}/revoke/"))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert AuditEvent.unscoped.filter(tenant=tenant_a, action="invitation.revoked").exists()
    assert web(admin_b).post(accept_url(invitation)).status_code == 302
    assert not Membership.unscoped.filter(tenant=tenant_a, user=admin_b).exists()


def test_an_expired_invitation_cannot_be_accepted(web, admin_a, admin_b, tenant_a):
    invite(web(admin_a), tenant_a, "bob")
    invitation = Invitation.unscoped.get(username="bob")
    validity = invitation.expires_at - invitation.created_at
    assert abs(validity - datetime.timedelta(days=14)) < datetime.timedelta(seconds=5)
    Invitation.unscoped.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    client = web(admin_b)
    assert accept_url(invitation) not in client.get(reverse("account:invitations")).content.decode()
    client.post(accept_url(invitation))
    assert not Membership.unscoped.filter(tenant=tenant_a, user=admin_b).exists()
    assert not AuditEvent.unscoped.filter(action="invitation.accepted").exists()
    listing = web(admin_a).get(invitations_url(tenant_a)).content.decode()
    assert "abgelaufen" in listing


def test_acceptance_checks_the_extension_again(
    web, admin_a, admin_b, agent_a, tenant_a, agent_ext_a
):
    # The extension was free when invited and is linked to anna's account by now.
    invitation = services.invite_account(
        actor=admin_a, tenant=tenant_a, username="bob", role="supervisor", pbx_user=None
    )
    Invitation.unscoped.filter(pk=invitation.pk).update(pbx_user=agent_ext_a)
    invitation.refresh_from_db()
    with pytest.raises(services.ValidationError):
        services.accept_invitation(actor=admin_b, invitation=invitation)
    assert not Membership.unscoped.filter(tenant=tenant_a, user=admin_b).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_a_member_is_not_resolved_again(admin_a, agent_a, tenant_a):
    invitation = services.invite_account(
        actor=admin_a, tenant=tenant_a, username="anna", role="admin"
    )
    assert invitation.account is None


def test_logins_after_acceptance_go_to_the_tenant_signed_in_to(
    web, admin_a, admin_b, tenant_a, tenant_b, password
):
    invite(web(admin_a), tenant_a, "bob", role="compliance")
    web(admin_b).post(accept_url(Invitation.unscoped.get(username="bob")))
    AuditEvent.unscoped.filter(action="auth.login").delete()
    web().post(
        reverse("login"), {"username": "bob", "password": password, "next": f"/t/{tenant_a.slug}/"}
    )
    assert AuditEvent.unscoped.filter(tenant=tenant_a, action="auth.login").count() == 1
    assert not AuditEvent.unscoped.filter(tenant=tenant_b, action="auth.login").exists()
    web().post(
        reverse("login"), {"username": "bob", "password": password, "next": f"/t/{tenant_b.slug}/"}
    )
    assert AuditEvent.unscoped.filter(tenant=tenant_b, action="auth.login").count() == 1


def test_an_invitation_of_a_suspended_tenant_cannot_be_accepted(web, admin_a, admin_b, tenant_a):
    invitation = services.invite_account(
        actor=admin_a, tenant=tenant_a, username="bob", role="supervisor"
    )
    tenant_a.status = "suspended"
    tenant_a.save(update_fields=["status"])
    client = web(admin_b)
    assert accept_url(invitation) not in client.get(reverse("account:invitations")).content.decode()
    client.post(accept_url(invitation))
    assert not Membership.unscoped.filter(tenant=tenant_a, user=admin_b).exists()
