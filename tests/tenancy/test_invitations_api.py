"""Invitations through the customer API (``/api/v1/tenants/<slug>/invitations/``): the same
service and the same promises as the web page — admins only, the same answer whether or not
the username exists, audited, other tenants' invitations 404."""

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from tenancy import services
from tenancy.models import Invitation, Membership
from tests.factories import MembershipFactory, PbxUserFactory

pytestmark = pytest.mark.django_db

VOLATILE = {"id", "username", "created_at", "expires_at"}


def url(tenant, rest=""):
    return f"/api/v1/tenants/{tenant.slug}/invitations/{rest}"


def test_admin_invites_and_the_answer_does_not_tell_whether_the_account_exists(
        api, admin_a, admin_b, tenant_a):
    client = api(admin_a)
    existing = client.post(url(tenant_a), {"username": "bob", "role": "supervisor"},
                           format="json")
    unknown = client.post(url(tenant_a), {"username": "nobody-here", "role": "supervisor"},
                          format="json")
    assert existing.status_code == unknown.status_code == 201
    body = existing.json()
    assert body["username"] == "bob" and unknown.json()["username"] == "nobody-here"
    strip = lambda data: {k: v for k, v in data.items() if k not in VOLATILE}  # noqa: E731
    assert strip(body) == strip(unknown.json()) == {
        "role": "supervisor", "extension": None, "invited_by": "alice", "status": "pending",
        "accepted_at": None, "declined_at": None, "revoked_at": None}
    assert set(body) == set(unknown.json())
    assert "account" not in body
    # Made by the one service: the account resolved behind the scenes, the trail holds what
    # was typed, nobody joined.
    assert Invitation.unscoped.get(pk=body["id"]).account == admin_b
    assert Invitation.unscoped.get(pk=unknown.json()["id"]).account is None
    events = AuditEvent.unscoped.filter(tenant=tenant_a, action="invitation.created")
    assert sorted(e.data["username"] for e in events) == ["bob", "nobody-here"]
    assert not Membership.unscoped.filter(tenant=tenant_a, user=admin_b).exists()
    listed = client.get(url(tenant_a)).json()["results"]
    assert [i["username"] for i in listed] == ["nobody-here", "bob"]  # newest first


def test_an_agent_is_invited_with_an_extension_of_the_tenant(api, admin_a, tenant_a,
                                                              tenant_b, agent_ext_a):
    client = api(admin_a)
    free = PbxUserFactory(tenant=tenant_a, extension="230")
    response = client.post(url(tenant_a), {"username": "bob", "role": "member",
                                           "extension": "230"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["extension"] == "230"
    assert Invitation.unscoped.get(pk=response.json()["id"]).pbx_user == free

    refusals = {
        "extension_required": {"username": "x", "role": "member"},
        "unknown_extension": {"username": "x", "role": "member", "extension": "999"},
        "invalid_choice": {"username": "x", "role": "owner"},
    }
    PbxUserFactory(tenant=tenant_b, extension="240")
    refusals["unknown_extension_of_other_tenant"] = {"username": "x", "role": "member",
                                                     "extension": "240"}
    MembershipFactory(tenant=tenant_a, role="member", pbx_user=agent_ext_a)
    refusals["extension_linked"] = {"username": "x", "role": "member", "extension": "201"}
    for expected, data in refusals.items():
        answer = client.post(url(tenant_a), data, format="json")
        assert answer.status_code == 400, (expected, answer.json())
        code = expected.removesuffix("_of_other_tenant")
        assert answer.json()["code"] == code, (expected, answer.json())
        field = "role" if code == "invalid_choice" else "extension"
        assert answer.json()["errors"][field][0]["code"] == code
    assert Invitation.unscoped.filter(tenant=tenant_a).count() == 1


def test_unknown_and_unwritable_fields_are_refused(api, admin_a, tenant_a):
    answer = api(admin_a).post(url(tenant_a), {"username": "bob", "account": 1}, format="json")
    assert answer.status_code == 400 and answer.json()["code"] == "unknown_field"
    assert not Invitation.unscoped.exists()


def test_only_admins_see_and_make_invitations(api, admin_a, compliance_a, supervisor_a,
                                              agent_a, tenant_a):
    services.invite_account(actor=admin_a, tenant=tenant_a, username="bob", role="admin")
    invitation = Invitation.unscoped.get()
    for person in (compliance_a, supervisor_a, agent_a):
        client = api(person)
        for response in (client.get(url(tenant_a)), client.get(url(tenant_a, f"{invitation.pk}/")),
                         client.post(url(tenant_a), {"username": "x", "role": "admin"},
                                     format="json"),
                         client.delete(url(tenant_a, f"{invitation.pk}/"))):
            assert response.status_code == 403, (person, response.json())
            assert response.json()["code"] == "role_not_permitted"
    assert api().get(url(tenant_a)).status_code in (401, 403)
    invitation.refresh_from_db()
    assert invitation.revoked_at is None and Invitation.unscoped.count() == 1


def test_another_tenants_invitation_answers_404(api, admin_a, admin_b, tenant_a, tenant_b):
    services.invite_account(actor=admin_a, tenant=tenant_a, username="someone", role="admin")
    invitation = Invitation.unscoped.get()
    client = api(admin_b)
    assert client.get(url(tenant_b, f"{invitation.pk}/")).status_code == 404
    assert client.delete(url(tenant_b, f"{invitation.pk}/")).status_code == 404
    assert client.get(url(tenant_b)).json()["results"] == []
    # Through tenant A's address, tenant B's admin is no member: 404 as well.
    assert client.get(url(tenant_a, f"{invitation.pk}/")).status_code == 404
    assert client.delete(url(tenant_a, f"{invitation.pk}/")).status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_revoke_withdraws_a_pending_invitation_once(api, admin_a, admin_b, tenant_a):
    services.invite_account(actor=admin_a, tenant=tenant_a, username="bob", role="admin")
    invitation = Invitation.unscoped.get()
    client = api(admin_a)
    assert client.delete(url(tenant_a, f"{invitation.pk}/")).status_code == 204
    assert client.get(url(tenant_a, f"{invitation.pk}/")).json()["status"] == "revoked"
    assert AuditEvent.unscoped.filter(tenant=tenant_a, action="invitation.revoked",
                                      object_id=str(invitation.pk)).count() == 1
    again = client.delete(url(tenant_a, f"{invitation.pk}/"))
    assert again.status_code == 409 and again.json()["code"] == "not_pending"
    # The invited person can no longer accept it.
    with pytest.raises(Exception):  # noqa: B017, PT011 - ValidationError("not_pending")
        services.accept_invitation(actor=admin_b, invitation=invitation)
    assert not Membership.unscoped.filter(tenant=tenant_a, user=admin_b).exists()


def test_status_follows_the_answer_and_filters_the_list(api, admin_a, admin_b, tenant_a):
    for name in ("bob", "gone", "later", "old"):
        services.invite_account(actor=admin_a, tenant=tenant_a, username=name, role="admin")
    by_name = {i.username: i for i in Invitation.unscoped.all()}
    services.accept_invitation(actor=admin_b, invitation=by_name["bob"])
    services.revoke_invitation(actor=admin_a, invitation=by_name["gone"])
    Invitation.unscoped.filter(pk=by_name["old"].pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1))
    client = api(admin_a)
    statuses = {i["username"]: i["status"] for i in client.get(url(tenant_a)).json()["results"]}
    assert statuses == {"bob": "accepted", "gone": "revoked", "later": "pending",
                        "old": "expired"}
    for status, names in {"pending": ["later"], "accepted": ["bob"], "revoked": ["gone"],
                          "expired": ["old"], "declined": []}.items():
        listed = client.get(url(tenant_a), {"status": status}).json()["results"]
        assert [i["username"] for i in listed] == names, status
    bad = client.get(url(tenant_a), {"status": "lost"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_filter"
