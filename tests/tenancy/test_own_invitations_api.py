"""The invited person's side through the API (``/api/v1/me/invitations/``): the same services
as the menu's invitations page — their own open invitations only, accept makes the
membership, decline ends it, both audited in the inviting tenant; someone else's answers 404,
one no longer open 409."""

import pytest

from audit.models import AuditEvent
from tenancy import services
from tenancy.models import Invitation, Membership

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/invitations/"


def invite(admin, tenant, username, **kwargs):
    return services.invite_account(actor=admin, tenant=tenant, username=username,
                                   role=kwargs.pop("role", "supervisor"), **kwargs)


def test_the_invited_person_lists_and_accepts(api, admin_a, admin_b, tenant_a,
                                              supervisor_ext_a):
    invitation = invite(admin_a, tenant_a, "bob", role="supervisor", pbx_user=supervisor_ext_a)
    client = api(admin_b)
    rows = client.get(URL).json()["results"]
    assert [row["id"] for row in rows] == [invitation.pk]
    assert rows[0]["tenant"] == tenant_a.slug and rows[0]["tenant_name"] == tenant_a.name
    assert rows[0]["role"] == "supervisor"
    assert rows[0]["extension"] == supervisor_ext_a.extension
    assert rows[0]["invited_by"] == "alice"

    response = client.post(f"{URL}{invitation.pk}/accept/")
    assert response.status_code == 200, response.json()
    membership = Membership.unscoped.get(tenant=tenant_a, user=admin_b)
    assert response.json() == {"tenant": tenant_a.slug, "membership_id": membership.pk,
                               "role": "supervisor"}
    actions = set(AuditEvent.unscoped.filter(tenant=tenant_a).values_list("action", flat=True))
    assert {"invitation.created", "membership.saved", "invitation.accepted"} <= actions
    assert client.get(URL).json()["results"] == []
    again = client.post(f"{URL}{invitation.pk}/accept/")
    assert again.status_code == 409 and again.json()["code"] == "not_pending"
    # The new membership opens the tenant's API to the person.
    assert client.get(f"/api/v1/tenants/{tenant_a.slug}/recordings/").status_code == 200


def test_declining_and_someone_elses_invitation(api, admin_a, admin_b, agent_a, tenant_a):
    invitation = invite(admin_a, tenant_a, "bob")
    for other in (admin_a, agent_a):
        assert api(other).get(URL).json()["results"] == []
        for answer in ("accept", "decline"):
            response = api(other).post(f"{URL}{invitation.pk}/{answer}/")
            assert response.status_code == 404 and response.json()["code"] == "not_found"
    invitation.refresh_from_db()
    assert invitation.is_pending(invitation.created_at)

    assert api(admin_b).post(f"{URL}{invitation.pk}/decline/").status_code == 204
    invitation.refresh_from_db()
    assert invitation.declined_at is not None
    assert AuditEvent.unscoped.filter(tenant=tenant_a, action="invitation.declined").exists()
    assert not Membership.unscoped.filter(tenant=tenant_a, user=admin_b).exists()
    refused = api(admin_b).post(f"{URL}{invitation.pk}/accept/")
    assert refused.status_code == 409 and refused.json()["code"] == "not_pending"
    assert api(admin_b).post(f"{URL}999999/accept/").status_code == 404


def test_a_refused_membership_is_a_conflict_with_the_services_code(api, admin_a, admin_b,
                                                                    tenant_a):
    """The extension was linked to another account after the invitation was sent."""
    from tests.factories import MembershipFactory, PbxUserFactory, UserFactory

    extension = PbxUserFactory(tenant=tenant_a, extension="250")
    invitation = invite(admin_a, tenant_a, "bob", role="member", pbx_user=extension)
    MembershipFactory(tenant=tenant_a, user=UserFactory(username="zoe"), role="member",
                      pbx_user=extension)
    response = api(admin_b).post(f"{URL}{invitation.pk}/accept/")
    assert response.status_code == 409
    assert response.json()["code"] == "extension_linked"
    assert Invitation.unscoped.get(pk=invitation.pk).accepted_at is None


def test_anonymous_gets_401(api):
    from rest_framework.test import APIClient

    assert APIClient().get(URL).status_code in (401, 403)
