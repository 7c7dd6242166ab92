"""Customer API and PBX API of licensing, per the contract in PRODUCT.md."""

import datetime

import pytest

from licensing import services
from licensing.models import LicenseAssignment

from .conftest import events

pytestmark = pytest.mark.django_db

BASE = "/api/v1/tenants/alpha"


# --- license-pools --------------------------------------------------------------------------
def test_everyone_in_the_tenant_reads_pools(api, admin_a, agent_a, supervisor_a, compliance_a,
                                            monitor_pool, record_pool):
    services.assign_license(actor=None, tenant=monitor_pool.tenant, extension="201",
                            license="monitor")
    for user in (admin_a, agent_a, supervisor_a, compliance_a):
        response = api(user).get(f"{BASE}/license-pools/")
        assert response.status_code == 200
        results = response.json()["results"]
        assert [p["license"] for p in results] == ["monitor", "record"]
        monitor = results[0]
        assert {k: monitor[k] for k in ("license", "quantity", "used", "available",
                                        "valid_until", "status")} == {
            "license": "monitor", "quantity": 2, "used": 1, "available": 1, "valid_until": None,
            "status": "valid"}


def test_pool_detail_and_expired_pool_has_nothing_available(api, admin_a, tenant_a, today):
    services.set_license_pool(actor=None, tenant=tenant_a, license="record", quantity=4,
                              valid_from=today - datetime.timedelta(days=30),
                              valid_until=today - datetime.timedelta(days=1))
    body = api(admin_a).get(f"{BASE}/license-pools/record/").json()
    assert body["quantity"] == 4 and body["available"] == 0 and body["status"] == "expired"
    assert body["valid_until"] == (today - datetime.timedelta(days=1)).isoformat()
    assert api(admin_a).get(f"{BASE}/license-pools/monitor/").status_code == 404


def test_pools_are_read_only(api, admin_a, monitor_pool):
    client = api(admin_a)
    assert client.post(f"{BASE}/license-pools/", {"license": "record", "quantity": 9},
                       format="json").status_code == 405
    assert client.patch(f"{BASE}/license-pools/monitor/", {"quantity": 9},
                        format="json").status_code == 405
    assert client.delete(f"{BASE}/license-pools/monitor/").status_code == 405


def test_pool_list_query_budget(api, admin_a, monitor_pool, record_pool,
                                django_assert_max_num_queries):
    client = api(admin_a)
    with django_assert_max_num_queries(8):
        assert client.get(f"{BASE}/license-pools/").status_code == 200


# --- license-assignments --------------------------------------------------------------------
def test_admin_assigns_201(api, admin_a, agent_ext_a, monitor_pool):
    response = api(admin_a).post(f"{BASE}/license-assignments/",
                                 {"extension": "201", "license": "monitor", "reason": "QA"},
                                 format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["extension"] == "201" and body["license"] == "monitor" and body["active"]
    assert body["assigned_by"] == "alice" and body["assign_reason"] == "QA"
    assert body["warnings"] == []
    assert len(events(monitor_pool.tenant, "license.assigned")) == 1


def test_assigning_to_a_desk_phone_warns_but_works(api, admin_a, make_user, monitor_pool):
    make_user("205", client_type="deskphone")
    response = api(admin_a).post(f"{BASE}/license-assignments/",
                                 {"extension": "205", "license": "monitor"}, format="json")
    assert response.status_code == 201
    assert [w["code"] for w in response.json()["warnings"]] == ["monitorable_off"]


def test_pool_exhausted_answers_409(api, admin_a, tenant_a, make_user):
    services.set_license_pool(actor=None, tenant=tenant_a, license="record", quantity=1)
    make_user("301")
    make_user("302")
    client = api(admin_a)
    assert client.post(f"{BASE}/license-assignments/", {"extension": "301", "license": "record"},
                       format="json").status_code == 201
    response = client.post(f"{BASE}/license-assignments/",
                           {"extension": "302", "license": "record"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "pool_exhausted"
    assert response.json()["detail"]


def test_no_pool_at_all_answers_pool_exhausted(api, admin_a, agent_ext_a):
    response = api(admin_a).post(f"{BASE}/license-assignments/",
                                 {"extension": "201", "license": "record"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "pool_exhausted")


def test_already_assigned_answers_409(api, admin_a, agent_ext_a, monitor_pool):
    client = api(admin_a)
    payload = {"extension": "201", "license": "monitor"}
    assert client.post(f"{BASE}/license-assignments/", payload, format="json").status_code == 201
    response = client.post(f"{BASE}/license-assignments/", payload, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "already_assigned")


def test_unknown_extension_answers_400_with_stable_code(api, admin_a, admin_b, tenant_b,
                                                        monitor_pool):
    from tests.factories import PbxUserFactory

    PbxUserFactory(tenant=tenant_b, extension="777")
    for extension in ("999", "777"):  # nonexistent, and another tenant's: the same answer
        response = api(admin_a).post(f"{BASE}/license-assignments/",
                                     {"extension": extension, "license": "monitor"},
                                     format="json")
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "unknown_extension"
        assert body["errors"]["extension"][0]["code"] == "unknown_extension"


def test_invalid_licence_and_missing_fields_answer_400(api, admin_a, agent_ext_a):
    client = api(admin_a)
    response = client.post(f"{BASE}/license-assignments/", {"extension": "201",
                                                            "license": "gold"}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_choice")
    response = client.post(f"{BASE}/license-assignments/", {"license": "record"}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "required")


@pytest.mark.parametrize("persona", ["agent_a", "supervisor_a", "compliance_a"])
def test_only_admins_write(request, api, persona, agent_ext_a, monitor_pool):
    user = request.getfixturevalue(persona)
    client = api(user)
    response = client.post(f"{BASE}/license-assignments/",
                           {"extension": "201", "license": "monitor"}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "role_not_permitted")
    assignment = services.assign_license(actor=None, tenant=monitor_pool.tenant,
                                         extension="201", license="monitor")
    response = client.delete(f"{BASE}/license-assignments/{assignment.pk}/")
    assert response.status_code == 403
    assert LicenseAssignment.unscoped.get(pk=assignment.pk).is_active


def test_delete_revokes_keeps_history_and_takes_a_reason(api, admin_a, agent_ext_a,
                                                         monitor_pool):
    client = api(admin_a)
    created = client.post(f"{BASE}/license-assignments/",
                          {"extension": "201", "license": "monitor"}, format="json").json()
    response = client.delete(f"{BASE}/license-assignments/{created['id']}/",
                             {"reason": "left the team"}, format="json")
    assert response.status_code == 204
    detail = client.get(f"{BASE}/license-assignments/{created['id']}/").json()
    assert detail["active"] is False
    assert detail["revoke_reason"] == "left the team" and detail["revoked_by"] == "alice"
    again = client.delete(f"{BASE}/license-assignments/{created['id']}/")
    assert (again.status_code, again.json()["code"]) == (409, "already_revoked")
    [event] = events(monitor_pool.tenant, "license.revoked")
    assert event.data["reason"] == "left the team"


def test_delete_reason_in_the_query_string(api, admin_a, agent_ext_a, monitor_pool):
    assignment = services.assign_license(actor=None, tenant=monitor_pool.tenant,
                                         extension="201", license="monitor")
    response = api(admin_a).delete(f"{BASE}/license-assignments/{assignment.pk}/?reason=audit")
    assert response.status_code == 204
    assert LicenseAssignment.unscoped.get(pk=assignment.pk).revoke_reason == "audit"


def test_list_shows_active_by_default_with_history_filters(api, admin_a, tenant_a, make_user,
                                                           monitor_pool, record_pool):
    make_user("201")
    make_user("202")
    old = services.assign_license(actor=None, tenant=tenant_a, extension="201",
                                  license="monitor")
    services.revoke_license(actor=None, assignment=old)
    current = services.assign_license(actor=None, tenant=tenant_a, extension="201",
                                      license="record")
    other = services.assign_license(actor=None, tenant=tenant_a, extension="202",
                                    license="monitor")
    client = api(admin_a)

    def ids(query=""):
        return {a["id"] for a in client.get(f"{BASE}/license-assignments/{query}").json()
                ["results"]}

    assert ids() == {current.pk, other.pk}
    assert ids("?active=false") == {old.pk}
    assert ids("?active=all") == {old.pk, current.pk, other.pk}
    assert ids("?extension=201") == {current.pk}
    assert ids("?extension=201&active=all") == {old.pk, current.pk}
    assert ids("?license=monitor") == {other.pk}
    bad = client.get(f"{BASE}/license-assignments/?active=maybe")
    assert bad.status_code == 400


def test_member_sees_only_own_assignments(api, agent_a, tenant_a, make_user, monitor_pool):
    make_user("202")
    own = services.assign_license(actor=None, tenant=tenant_a, extension="201",
                                  license="monitor")
    foreign = services.assign_license(actor=None, tenant=tenant_a, extension="202",
                                      license="monitor")
    client = api(agent_a)
    results = client.get(f"{BASE}/license-assignments/").json()["results"]
    assert [a["id"] for a in results] == [own.pk]
    assert client.get(f"{BASE}/license-assignments/{foreign.pk}/").status_code == 404


def test_assignment_list_query_budget(api, admin_a, tenant_a, make_user, monitor_pool,
                                      record_pool, django_assert_max_num_queries):
    for n in range(3):
        services.assign_license(actor=None, tenant=tenant_a, pbx_user=make_user(f"5{n}0"),
                                license="record")
    client = api(admin_a)
    with django_assert_max_num_queries(8):
        response = client.get(f"{BASE}/license-assignments/")
    assert response.json()["count"] == 3


# --- policy (customer API) ------------------------------------------------------------------
def test_policy_body_in_plain_words(api, admin_a, agent_ext_a, monitor_pool):
    services.assign_license(actor=None, tenant=monitor_pool.tenant, extension="201",
                            license="monitor")
    response = api(admin_a).get(f"{BASE}/pbx-users/201/policy/?lang=en")
    assert response.status_code == 200
    body = response.json()
    assert body["extension"] == "201" and body["licenses"] == ["monitor"]
    assert body["auto_record"] == {"enabled": True, "reason": None, "codes": []}
    assert body["monitorable"]["enabled"] is True
    assert body["record_on_demand_server"] == {
        "enabled": False, "reason": "Needs a Record licence.", "codes": ["no_record_license"]}
    assert body["supervisors"] == []
    assert "recorded automatically" in body["summary"]
    assert response["ETag"] == f'"{body["version"]}-en"'


def test_policy_is_german_by_default(api, admin_a, make_user, monitor_pool):
    make_user("203", client_type="softphone_cti")
    body = api(admin_a).get(f"{BASE}/pbx-users/203/policy/").json()
    assert body["monitorable"]["codes"] == ["no_monitor_license", "client_softphone_cti"]
    assert "Monitor-Lizenz" in body["monitorable"]["reason"]


def test_policy_etag_and_304(api, admin_a, agent_ext_a, monitor_pool):
    client = api(admin_a)
    first = client.get(f"{BASE}/pbx-users/201/policy/")
    etag = first["ETag"]
    unchanged = client.get(f"{BASE}/pbx-users/201/policy/", HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and unchanged["ETag"] == etag
    assert not unchanged.content
    assert client.get(f"{BASE}/pbx-users/201/policy/",
                      HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    services.assign_license(actor=None, tenant=monitor_pool.tenant, extension="201",
                            license="monitor")
    changed = client.get(f"{BASE}/pbx-users/201/policy/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_member_reads_only_own_policy(api, agent_a, make_user):
    make_user("202")
    client = api(agent_a)
    assert client.get(f"{BASE}/pbx-users/201/policy/").status_code == 200
    response = client.get(f"{BASE}/pbx-users/202/policy/")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_policy_of_unknown_extension_is_404(api, admin_a):
    response = api(admin_a).get(f"{BASE}/pbx-users/999/policy/")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


# --- policy (PBX API) -----------------------------------------------------------------------
def test_pbx_gets_the_same_policy_with_etag(api, pbx_api, admin_a, node_a, agent_ext_a,
                                            monitor_pool):
    services.assign_license(actor=None, tenant=monitor_pool.tenant, extension="201",
                            license="monitor")
    client = pbx_api(node_a)
    response = client.get("/api/pbx/v1/users/201/policy/")
    assert response.status_code == 200
    body = response.json()
    portal = api(admin_a).get(f"{BASE}/pbx-users/201/policy/").json()
    assert body == portal  # both German: the tenant's language and the portal default
    etag = response["ETag"]
    assert client.get("/api/pbx/v1/users/201/policy/",
                      HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_pbx_policy_follows_revocation_of_monitor_at_once(pbx_api, node_a, agent_ext_a,
                                                          monitor_pool):
    assignment = services.assign_license(actor=None, tenant=monitor_pool.tenant,
                                         extension="201", license="monitor")
    client = pbx_api(node_a)
    first = client.get("/api/pbx/v1/users/201/policy/")
    assert first.json()["auto_record"]["enabled"] and first.json()["monitorable"]["enabled"]
    services.revoke_license(actor=None, assignment=assignment)
    after = client.get("/api/pbx/v1/users/201/policy/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200
    body = after.json()
    assert not body["auto_record"]["enabled"] and not body["monitorable"]["enabled"]


def test_pbx_policy_in_the_tenants_language(pbx_api, node_a, tenant_a, agent_ext_a):
    tenant_a.locale = "en"
    tenant_a.save()
    response = pbx_api(node_a).get("/api/pbx/v1/users/201/policy/")
    assert response.json()["auto_record"]["reason"] == "Needs a Monitor licence."
    assert response["Content-Language"] == "en"
    assert response["ETag"].endswith('-en"')


def test_pbx_policy_unknown_extension_and_other_tenant(pbx_api, node_a, node_b, agent_ext_a):
    assert pbx_api(node_a).get("/api/pbx/v1/users/999/policy/").status_code == 404
    response = pbx_api(node_b).get("/api/pbx/v1/users/201/policy/")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_pbx_policy_needs_a_node_token(api, admin_a, agent_ext_a):
    assert api(admin_a).get("/api/pbx/v1/users/201/policy/").status_code == 401
    assert api().get("/api/pbx/v1/users/201/policy/").status_code == 401


def test_openapi_schema_documents_the_licensing_endpoints(api):
    response = api().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/tenants/{tenant_slug}/license-assignments/" in paths
    assert "/api/v1/tenants/{tenant_slug}/pbx-users/{extension}/policy/" in paths
    assert "/api/pbx/v1/users/{extension}/policy/" in paths
