"""Portal accounts through the customer API (``/api/v1/tenants/<slug>/accounts/``): the same
services and promises as the web pages — admins only, new accounts in the tenant's namespace
with a one-time password shown once, a foreign name invited instead of attached, at least one
administrator kept, every change audited, other tenants' memberships 404."""

import pytest

from audit.models import AuditEvent
from tenancy.models import Invitation, Membership, PasswordChangeRequired
from tests.factories import MembershipFactory, PbxUserFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(tenant, rest=""):
    return f"/api/v1/tenants/{tenant.slug}/accounts/{rest}"


NEW = {"name": "erik", "first_name": "Erik", "last_name": "Engel", "role": "supervisor"}


def test_admin_lists_the_tenants_accounts(api, admin_a, compliance_a, agent_a, admin_b,
                                          tenant_a):
    body = api(admin_a).get(url(tenant_a)).json()
    rows = {row["username"]: row for row in body["results"]}
    assert set(rows) == {"alice", "anna", "carla"}  # bob is tenant B's
    assert rows["anna"]["role"] == "member" and rows["anna"]["extension"] == "201"
    assert set(rows["anna"]) == {"id", "username", "name", "role", "extension", "last_login",
                                 "created_at"}


def test_a_new_account_gets_a_one_time_password_once(api, admin_a, tenant_a):
    client = api(admin_a)
    response = client.post(url(tenant_a), NEW, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["username"] == "alpha.erik" and body["name"] == "Erik Engel"
    assert body["role"] == "supervisor" and len(body["password"]) >= 12
    assert response["Cache-Control"] == "no-store"
    membership = Membership.unscoped.get(pk=body["id"])
    assert membership.user.check_password(body["password"])
    assert PasswordChangeRequired.objects.filter(user=membership.user).exists()
    assert "password" not in client.get(url(tenant_a, f"{body['id']}/")).json()
    event = AuditEvent.unscoped.get(tenant=tenant_a, action="membership.saved",
                                    object_id=str(membership.pk))
    assert event.data["account_created"] is True and body["password"] not in str(event.data)
    # The same name again: this tenant knows the account, so it is refused, not invited.
    again = client.post(url(tenant_a), NEW, format="json")
    assert again.status_code == 400 and again.json()["code"] == "username_taken"
    assert again.json()["errors"]["name"][0]["code"] == "username_taken"


def test_a_name_of_an_account_this_tenant_never_had_is_invited(api, admin_a, tenant_a,
                                                               tenant_b):
    outsider = UserFactory(username="alpha.zoe")
    response = api(admin_a).post(url(tenant_a), {**NEW, "name": "zoe"}, format="json")
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "pending" and "password" not in response.json()
    assert Invitation.unscoped.get(pk=response.json()["id"]).account == outsider
    assert not Membership.unscoped.filter(tenant=tenant_a, user=outsider).exists()


def test_role_and_extension_change_and_the_last_admin_stays(api, admin_a, agent_a, tenant_a,
                                                            agent_ext_a):
    client = api(admin_a)
    anna = Membership.unscoped.get(tenant=tenant_a, user=agent_a)
    other = PbxUserFactory(tenant=tenant_a, extension="233")
    moved = client.patch(url(tenant_a, f"{anna.pk}/"), {"extension": "233"}, format="json")
    assert moved.status_code == 200 and moved.json()["extension"] == "233"
    anna.refresh_from_db()
    assert anna.pbx_user == other and anna.role == "member"
    promoted = client.patch(url(tenant_a, f"{anna.pk}/"),
                            {"role": "supervisor", "extension": None}, format="json")
    assert promoted.status_code == 200, promoted.json()
    assert promoted.json()["role"] == "supervisor" and promoted.json()["extension"] is None
    assert AuditEvent.unscoped.filter(tenant=tenant_a, action="membership.saved",
                                      object_id=str(anna.pk)).count() == 2
    refused = {
        "extension_required": {"role": "member", "extension": ""},
        "unknown_extension": {"extension": "999"},
        "invalid_choice": {"role": "owner"},
        "unknown_field": {"username": "x"},
    }
    for code, data in refused.items():
        answer = client.patch(url(tenant_a, f"{anna.pk}/"), data, format="json")
        assert answer.status_code == 400 and answer.json()["code"] == code, (code, answer.json())
    alice = Membership.unscoped.get(tenant=tenant_a, user=admin_a)
    demote = client.patch(url(tenant_a, f"{alice.pk}/"), {"role": "compliance"}, format="json")
    assert demote.status_code == 409 and demote.json()["code"] == "last_admin"
    leave = client.delete(url(tenant_a, f"{alice.pk}/"))
    assert leave.status_code == 409 and leave.json()["code"] == "last_admin"
    assert client.put(url(tenant_a, f"{anna.pk}/"), {"role": "member"},
                      format="json").status_code == 405
    alice.refresh_from_db()
    assert alice.role == "admin"


def test_removing_an_account_leaves_the_account(api, admin_a, agent_a, tenant_a):
    anna = Membership.unscoped.get(tenant=tenant_a, user=agent_a)
    assert api(admin_a).delete(url(tenant_a, f"{anna.pk}/")).status_code == 204
    assert not Membership.unscoped.filter(pk=anna.pk).exists()
    agent_a.refresh_from_db()
    assert agent_a.is_active
    assert AuditEvent.unscoped.filter(tenant=tenant_a, action="membership.removed",
                                      data__username="anna").count() == 1


def test_only_admins_and_only_their_tenant(api, admin_a, compliance_a, supervisor_a, agent_a,
                                           admin_b, tenant_a, tenant_b):
    anna = Membership.unscoped.get(tenant=tenant_a, user=agent_a)
    for person in (compliance_a, supervisor_a, agent_a):
        client = api(person)
        for response in (client.get(url(tenant_a)), client.get(url(tenant_a, f"{anna.pk}/")),
                         client.post(url(tenant_a), NEW, format="json"),
                         client.patch(url(tenant_a, f"{anna.pk}/"), {"role": "admin"},
                                      format="json"),
                         client.delete(url(tenant_a, f"{anna.pk}/"))):
            assert response.status_code == 403, (person, response.json())
            assert response.json()["code"] == "role_not_permitted"
    other = api(admin_b)
    assert other.get(url(tenant_b, f"{anna.pk}/")).status_code == 404
    assert other.patch(url(tenant_b, f"{anna.pk}/"), {"role": "admin"},
                       format="json").status_code == 404
    assert other.delete(url(tenant_b, f"{anna.pk}/")).status_code == 404
    anna.refresh_from_db()
    assert anna.role == "member"



def test_a_name_too_long_for_an_account_is_refused(api, web):
    """``<tenant slug>.<name>`` must fit an account's 150 characters: the service refuses it
    (400 ``max_length``, the menu's form error) instead of the database failing."""
    tenant = TenantFactory(slug="s" * 50)
    admin = UserFactory(username="long-admin")
    MembershipFactory(tenant=tenant, user=admin, role="admin")
    answer = api(admin).post(url(tenant), {**NEW, "name": "n" * 100}, format="json")
    assert answer.status_code == 400, answer.json()
    assert answer.json()["errors"]["name"][0]["code"] == "max_length"
    page = web(admin).post(f"/t/{tenant.slug}/accounts/new/",
                           {"username": "n" * 100, "first_name": "N", "last_name": "N",
                            "role": "admin"})
    assert page.status_code == 200
    assert page.context["form"].errors["username"] == ["Dieser Name ist zu lang."]  # German menu
    fits = api(admin).post(url(tenant), {**NEW, "name": "n" * 99}, format="json")
    assert fits.status_code == 201 and len(fits.json()["username"]) == 150
    assert Membership.unscoped.filter(tenant=tenant).count() == 2


def test_admin_resets_a_members_password_and_second_factor(api, admin_a, agent_a, compliance_a,
                                                           admin_b, tenant_a, tenant_b):
    """The account page's two resets through the API: the same services, the same refusals
    (409 with the service's code), audited, other tenants' memberships 404."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.conftest import authenticator

    client = api(admin_a)
    anna = Membership.unscoped.get(tenant=tenant_a, user=agent_a)
    response = client.post(url(tenant_a, f"{anna.pk}/reset-password/"))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["username"] == "anna" and len(body["password"]) >= 12
    assert response["Cache-Control"] == "no-store"
    agent_a.refresh_from_db()
    assert agent_a.check_password(body["password"])
    assert PasswordChangeRequired.objects.filter(user=agent_a).exists()
    assert AuditEvent.unscoped.filter(action="account.password_reset",
                                      tenant=tenant_a).count() == 1

    carla = Membership.unscoped.get(tenant=tenant_a, user=compliance_a)
    authenticator(compliance_a)
    response = client.post(url(tenant_a, f"{carla.pk}/reset-two-factor/"))
    assert response.status_code == 200, response.json()
    assert response.json() == {"id": carla.pk, "devices_removed": 1}
    assert not TOTPDevice.objects.filter(user=compliance_a).exists()
    assert AuditEvent.unscoped.filter(action="twofactor.reset", tenant=tenant_a).count() == 1

    own = Membership.unscoped.get(tenant=tenant_a, user=admin_a)
    refused = client.post(url(tenant_a, f"{own.pk}/reset-two-factor/"))
    assert refused.status_code == 409 and refused.json()["code"] == "reset_own_two_factor"

    # An account that is tenant B's too: neither reset, and nothing changed.
    MembershipFactory(tenant=tenant_b, user=agent_a, role="member")
    for action in ("reset-password", "reset-two-factor"):
        refused = client.post(url(tenant_a, f"{anna.pk}/{action}/"))
        assert refused.status_code == 409, action
        assert refused.json()["code"] == "account_in_other_tenants"
    assert agent_a.check_password(body["password"])

    # Roles and tenants: another role 403, another tenant's membership 404.
    assert api(compliance_a).post(url(tenant_a, f"{anna.pk}/reset-password/")).status_code == 403
    theirs = Membership.unscoped.get(tenant=tenant_b, user=admin_b)
    for action in ("reset-password", "reset-two-factor"):
        assert client.post(url(tenant_a, f"{theirs.pk}/{action}/")).status_code == 404
