"""PBX users: the API contract and the menu pages, with roles, validation codes and audit."""

import pytest

from audit.models import AuditEvent
from tenancy.models import PbxUser


def url(tenant, rest=""):
    return f"/api/v1/tenants/{tenant.slug}/pbx-users/{rest}"


@pytest.mark.django_db
def test_admin_creates_lists_and_updates_pbx_users(api, admin_a, tenant_a):
    client = api(admin_a)
    response = client.post(url(tenant_a), {"extension": "301", "display_name": "Jana Krüger",
                                           "client_type": "softphone_cti"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    for field in ("extension", "display_name", "client_type", "record_all_calls",
                  "attention_tone"):
        assert field in body
    listing = client.get(url(tenant_a)).json()
    assert [u["extension"] for u in listing["results"]] == ["301"]
    response = client.patch(url(tenant_a, "301/"), {"attention_tone": False}, format="json")
    assert response.status_code == 200 and response.json()["attention_tone"] is False
    actions = AuditEvent.unscoped.filter(tenant=tenant_a).values_list("action", flat=True)
    assert {"pbx_user.created", "pbx_user.updated"} <= set(actions)
    updated = AuditEvent.unscoped.get(tenant=tenant_a, action="pbx_user.updated")
    assert updated.data["changes"] == {"attention_tone": {"before": True, "after": False}}


@pytest.mark.django_db
def test_extension_is_validated_with_stable_codes(api, admin_a, tenant_a, agent_ext_a):
    client = api(admin_a)
    bad = client.post(url(tenant_a), {"extension": "12a", "display_name": "X"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_extension"
    assert "extension" in bad.json()["errors"]
    taken = client.post(url(tenant_a), {"extension": agent_ext_a.extension,
                                        "display_name": "Y"}, format="json")
    assert taken.status_code == 400 and taken.json()["code"] == "extension_taken"
    wrong_type = client.post(url(tenant_a), {"extension": "400", "display_name": "Z",
                                             "client_type": "fax"}, format="json")
    assert wrong_type.status_code == 400 and wrong_type.json()["code"] == "invalid_choice"


@pytest.mark.django_db
def test_same_extension_in_another_tenant_is_fine(api, admin_b, tenant_b, agent_ext_a):
    response = api(admin_b).post(url(tenant_b), {"extension": agent_ext_a.extension,
                                                 "display_name": "Bernd"}, format="json")
    assert response.status_code == 201


@pytest.mark.django_db
def test_members_read_but_cannot_write(api, agent_a, tenant_a):
    client = api(agent_a)
    assert client.get(url(tenant_a)).status_code == 200
    response = client.post(url(tenant_a), {"extension": "500", "display_name": "X"},
                           format="json")
    assert response.status_code == 403 and response.json()["code"] == "role_not_permitted"


@pytest.mark.django_db
def test_search_filter(api, admin_a, tenant_a, agent_ext_a, supervisor_ext_a):
    results = api(admin_a).get(url(tenant_a), {"q": "Sven"}).json()["results"]
    assert [u["extension"] for u in results] == [supervisor_ext_a.extension]


@pytest.mark.django_db
def test_pages_list_search_create_and_edit(web, admin_a, tenant_a, agent_ext_a):
    client = web(admin_a)
    listing = client.get(f"/t/{tenant_a.slug}/pbx-users/?q=Anna")
    assert listing.status_code == 200 and "Anna Agentin" in listing.content.decode()
    response = client.post(f"/t/{tenant_a.slug}/pbx-users/new/", {
        "extension": "777", "display_name": "Neue Person", "client_type": "deskphone",
        "record_all_calls": "on", "is_active": "on",
    })
    assert response.status_code == 302
    created = PbxUser.unscoped.get(tenant=tenant_a, extension="777")
    assert created.attention_tone is False and created.record_all_calls is True
    duplicate = client.post(f"/t/{tenant_a.slug}/pbx-users/new/", {
        "extension": "777", "display_name": "Doppelt", "client_type": "deskphone"})
    assert duplicate.status_code == 200 and "existiert bereits" in duplicate.content.decode()
    edit = client.post(f"/t/{tenant_a.slug}/pbx-users/777/edit/", {
        "extension": "999", "display_name": "Umbenannt", "client_type": "softphone_usb",
        "is_active": "on"})
    assert edit.status_code == 302
    created.refresh_from_db()
    assert (created.extension, created.display_name) == ("777", "Umbenannt")


@pytest.mark.django_db
def test_members_cannot_open_the_edit_page(web, agent_a, tenant_a, agent_ext_a):
    assert web(agent_a).get(f"/t/{tenant_a.slug}/pbx-users/new/").status_code == 403
    assert web(agent_a).get(f"/t/{tenant_a.slug}/pbx-users/").status_code == 200


@pytest.mark.django_db
def test_objects_manager_demands_an_actor(admin_a, admin_b, tenant_a, agent_ext_a):
    from hostedpbx.scoping import ScopingError

    with pytest.raises(ScopingError):
        list(PbxUser.objects.all())
    assert PbxUser.objects.for_actor(admin_a, tenant_a).count() == 1
    assert PbxUser.objects.for_actor(admin_b, tenant_a).count() == 0
    assert PbxUser.objects.for_actor(None, tenant_a).count() == 0


@pytest.mark.django_db
def test_for_actor_requires_the_tenant(admin_a, tenant_a, agent_ext_a):
    # Without the tenant an account in two tenants would see both tenants' rows.
    from hostedpbx.scoping import ScopingError

    with pytest.raises(TypeError):
        PbxUser.objects.for_actor(admin_a)
    with pytest.raises(ScopingError):
        PbxUser.objects.for_actor(admin_a, None)


@pytest.mark.django_db
def test_pbx_user_page_shows_the_parts_panels(web, admin_a, agent_a, tenant_a, agent_ext_a):
    page = web(admin_a).get(f"/t/{tenant_a.slug}/pbx-users/201/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Anna Agentin" in body and 'data-testid="panel"' in body
    assert "(<span class=\"mono\">anna</span>)" in body  # tenancy's own panel: the account
    # An agent sees the page without the accounts panel (a capability of admins).
    agent_page = web(agent_a).get(f"/t/{tenant_a.slug}/pbx-users/201/").content.decode()
    assert "(<span class=\"mono\">anna</span>)" not in agent_page
    assert web(admin_a).get(f"/t/{tenant_a.slug}/pbx-users/999/").status_code == 404
