"""Hostile input never gives a 500, and every API error is ``{"code", "detail"}`` (issue 7.9)."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def assert_api_error(response, status, code=None):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"code", "detail"}, body
    if code:
        assert body["code"] == code, body
    return body


def test_deeply_nested_json_is_refused_before_parsing(api, admin_a, tenant_a):
    body = "[" * 1500 + "]" * 1500
    for client in (api(), api(admin_a)):
        response = client.post(
            f"/api/v1/tenants/{tenant_a.slug}/pbx-users/", body, content_type="application/json"
        )
        assert_api_error(response, 400, "json_too_deep")
    token = api().post(
        "/api/v1/auth/token/", '{"username": ' + body + "}", content_type="application/json"
    )
    assert_api_error(token, 400, "json_too_deep")


def test_moderate_nesting_and_brackets_in_strings_pass(api, admin_a, tenant_a):
    response = api(admin_a).post(
        f"/api/v1/tenants/{tenant_a.slug}/pbx-users/",
        {"extension": "301", "display_name": "[[[[" * 40, "client_type": "softphone_usb"},
        format="json",
    )
    assert response.status_code == 201, response.json()


def test_oversized_json_body_is_413(api, admin_a, tenant_a, settings):
    settings.API_JSON_MAX_BYTES = 1000
    response = api(admin_a).post(
        f"/api/v1/tenants/{tenant_a.slug}/pbx-users/", {"display_name": "x" * 2000}, format="json"
    )
    assert_api_error(response, 413, "request_too_large")


def test_body_over_djangos_limit_is_413_json(admin_a, tenant_a, settings, web):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = web(admin_a).post(
        f"/api/v1/tenants/{tenant_a.slug}/pbx-users/",
        "display_name=" + "x" * 5000,
        content_type="application/x-www-form-urlencoded",
    )
    assert_api_error(response, 413)


def test_too_many_form_fields_answer_json(api, admin_a, tenant_a, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{i}=1" for i in range(50))
    client = api(admin_a)
    response = client.post(
        f"/api/v1/tenants/{tenant_a.slug}/pbx-users/",
        body,
        content_type="application/x-www-form-urlencoded",
    )
    assert_api_error(response, 400)


def test_unknown_api_url_is_json_404(api, admin_a):
    for url in ("/api/nothing-here", "/api/v1/nothing/", "/api/v1/tenants/alpha/nope/"):
        assert_api_error(api(admin_a).get(url), 404, "not_found")
    page = Client().get("/nothing-here/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_missing_credentials_are_401_with_www_authenticate(api, tenant_a):
    response = api().get(f"/api/v1/tenants/{tenant_a.slug}/pbx-users/")
    assert_api_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"]


def test_throttled_login_is_429_with_retry_after(api, admin_a, settings):
    client = api()
    for _ in range(settings.LOGIN_FAILURE_LIMIT + 1):
        response = client.post("/api/v1/auth/token/", {"username": "alice", "password": "no"})
    assert_api_error(response, 429, "login_throttled")
    assert int(response["Retry-After"]) > 0


@pytest.mark.urls("tests.hardening.urls")
def test_unhandled_error_is_json_500():
    client = Client(raise_request_exception=False)
    assert_api_error(client.get("/api/v1/broken/"), 500, "server_error")


@pytest.mark.parametrize(
    "query",
    [
        "is_active=maybe",
        "is_active=2",
        "client_type=%00",
        "q=a%00b",
    ],
)
def test_nonsense_filters_are_400_invalid_filter(api, admin_a, tenant_a, query):
    response = api(admin_a).get(f"/api/v1/tenants/{tenant_a.slug}/pbx-users/?{query}")
    assert_api_error(response, 400)
    assert response.json()["code"] in ("invalid_filter", "invalid_input")


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00%2B01:00",
        "9999-12-31T23:59:59-01:00",
        "0001-01-01",
        "9999-12-31",
    ],
)
def test_dates_at_the_edges_are_refused_in_every_date_filter(api, compliance_a, tenant_a, value):
    client = api(compliance_a)
    for url, name in [
        (f"/api/v1/tenants/{tenant_a.slug}/recordings/", "started_after"),
        (f"/api/v1/tenants/{tenant_a.slug}/recordings/", "started_before"),
        (f"/api/v1/tenants/{tenant_a.slug}/audit-events/", "occurred_after"),
        (f"/api/v1/tenants/{tenant_a.slug}/audit-events/", "occurred_before"),
    ]:
        response = client.get(f"{url}?{name}={value}")
        assert_api_error(response, 400, "invalid_filter")


def test_unknown_boolean_is_refused_not_ignored(api, compliance_a, tenant_a):
    response = api(compliance_a).get(
        f"/api/v1/tenants/{tenant_a.slug}/recordings/?legal_hold=maybe"
    )
    body = assert_api_error(response, 400, "invalid_filter")
    assert "legal_hold" in body["detail"]
    ok = api(compliance_a).get(f"/api/v1/tenants/{tenant_a.slug}/recordings/?legal_hold=false")
    assert ok.status_code == 200


def test_patch_of_an_immutable_field_is_400(api, admin_a, tenant_a, agent_ext_a):
    url = f"/api/v1/tenants/{tenant_a.slug}/pbx-users/{agent_ext_a.extension}/"
    response = api(admin_a).patch(url, {"extension": "999"}, format="json")
    body = assert_api_error(response, 400, "immutable_field")
    assert "extension" in body["errors"]
    unknown = api(admin_a).patch(url, {"colour": "red"}, format="json")
    assert_api_error(unknown, 400, "unknown_field")
    fine = api(admin_a).patch(url, {"display_name": "Anna A."}, format="json")
    assert fine.status_code == 200 and fine.json()["display_name"] == "Anna A."
