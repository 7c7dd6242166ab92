"""What a fuzzing run of the APIs against their OpenAPI schema found (schemathesis and hand
probes, 2026-12-01): each case a 500, an error that was not JSON, or input that was silently
ignored. Every answer is a JSON 4xx with a stable code."""

import base64

import pytest

from .test_hostile_input import assert_api_error

pytestmark = pytest.mark.django_db

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_errors_are_json_for_a_client_that_prefers_html(api, admin_a, tenant_a, tenant_b):
    """A browser's Accept header got DRF's HTML error page (the browsable API)."""
    accounts = f"/api/v1/tenants/{tenant_a.slug}/accounts/"
    anonymous = api().get(accounts, HTTP_ACCEPT=BROWSER_ACCEPT)
    assert_api_error(anonymous, 401)
    client = api(admin_a)
    assert_api_error(client.get(f"/api/v1/tenants/{tenant_b.slug}/accounts/",
                                HTTP_ACCEPT=BROWSER_ACCEPT), 404, "not_found")
    assert_api_error(client.put(accounts, HTTP_ACCEPT=BROWSER_ACCEPT), 405)
    assert_api_error(client.post(f"/api/v1/tenants/{tenant_a.slug}/supervision-grants/", {},
                                 format="json", HTTP_ACCEPT=BROWSER_ACCEPT), 400)
    assert_api_error(client.get(accounts, HTTP_ACCEPT="text/html"), 406, "not_acceptable")
    ok = client.get(accounts, HTTP_ACCEPT=BROWSER_ACCEPT)
    assert ok.status_code == 200 and ok["Content-Type"].startswith("application/json")


def cursor(position):
    return base64.b64encode(f"p={position}".encode()).decode()


@pytest.mark.parametrize("query", [
    f"audit-events/?cursor={cursor('abc')}",
    f"audit-events/?cursor={cursor('')}",
    f"recordings/?sort=longest&cursor={cursor('abc')}",
    f"recordings/?sort=shortest&cursor={cursor('1e999x')}",
    f"recordings/?cursor={cursor('abc')}",
    f"ingests/?cursor={cursor('abc')}",
    f"exports/?cursor={cursor('abc')}",
    "audit-events/?cursor=not-base64",
])
def test_a_hand_made_cursor_is_400_invalid_cursor(api, compliance_a, tenant_a, query):
    """DRF put any decoded position into the query: a number column got 'abc' (500)."""
    response = api(compliance_a).get(f"/api/v1/tenants/{tenant_a.slug}/{query}")
    assert_api_error(response, 400, "invalid_cursor")


def test_a_cursor_past_64_bits_is_no_500(api, compliance_a, tenant_a):
    """SQLite cannot bind it (400); PostgreSQL compares it as a numeric (an empty page)."""
    response = api(compliance_a).get(
        f"/api/v1/tenants/{tenant_a.slug}/audit-events/?cursor={cursor(2**70)}")
    assert response.status_code in (200, 400), response.content[:300]
    if response.status_code == 400:
        assert_api_error(response, 400, "invalid_cursor")


def test_the_menus_list_answers_a_hand_made_cursor_with_404(web, admin_a, tenant_a):
    client = web(admin_a)
    for query in (f"?sort=longest&cursor={cursor('abc')}", "?cursor=not-base64"):
        assert client.get(f"/t/{tenant_a.slug}/recordings/{query}").status_code == 404
    assert client.get(f"/t/{tenant_a.slug}/recordings/?sort=longest").status_code == 200


def test_a_misspelt_filter_does_not_widen_an_export_or_a_hold(api, compliance_a, tenant_a):
    """``{"filters": {"extenson": "201"}}`` exported every recording the actor sees."""
    from recordings.models import Export
    from tests.recordings.archive_factory import make_recording

    make_recording(tenant_a, extension="201")
    make_recording(tenant_a, extension="202")

    base = f"/api/v1/tenants/{tenant_a.slug}"
    client = api(compliance_a)
    response = client.post(f"{base}/exports/", {"filters": {"extenson": "201"}}, format="json")
    body = assert_api_error(response, 400, "unknown_filter")
    assert "extenson" in body["detail"]
    response = client.post(f"{base}/exports/?ids=9223372036854775808", {}, format="json")
    assert_api_error(response, 400, "unknown_filter")
    assert not Export.unscoped.exists()
    hold = client.post(f"{base}/recordings/legal-hold/",
                       {"filters": {"extension": "201", "knd": "auto"}, "expected_count": 0,
                        "case_reference": "AZ 1"}, format="json")
    assert_api_error(hold, 400, "unknown_filter")
    assert_api_error(client.get(f"{base}/recordings/legal-hold/?extenson=201"), 400,
                     "unknown_filter")
    # Paging parameters of a copied list query are no filters, and no error either.
    ok = client.post(f"{base}/exports/?extension=201&cursor=x", {}, format="json")
    assert ok.status_code == 202, ok.json()
    assert ok.json()["filters"] == {"extension": "201"} and ok.json()["total"] == 1


def test_ids_past_64_bits_are_unknown_recordings(api, web, admin_a, tenant_a):
    big = 2**63
    response = api(admin_a).post(f"/api/v1/tenants/{tenant_a.slug}/exports/",
                                 {"ids": [big]}, format="json")
    assert response.status_code == 400 and response.json()["code"] in (
        "unknown_recording", "max_value", "invalid")
    from recordings.archive import exports
    from recordings.models import Recording

    with pytest.raises(exports.ValidationError) as refused:
        exports.selected_recordings(actor=admin_a, tenant=tenant_a, ids=[str(big), "-1"])
    assert refused.value.code == "unknown_recording"
    assert not Recording.unscoped.exists()
    page = web(admin_a).post(f"/t/{tenant_a.slug}/recordings/exports/",
                             {"scope": "selected", "ids": [str(big)]})
    assert page.status_code == 302


def test_recordings_filter_errors_carry_codes_per_field(api, admin_a, tenant_a):
    response = api(admin_a).get(
        f"/api/v1/tenants/{tenant_a.slug}/recordings/?min_duration=nan&kind=both")
    body = assert_api_error(response, 400, "invalid_filter")
    assert set(body["errors"]) == {"min_duration", "kind"}
    for errors in body["errors"].values():
        assert all(set(error) == {"code", "detail"} for error in errors), body
    assert body["errors"]["kind"][0]["code"] == "invalid_choice"


def test_an_api_address_without_its_slash_is_a_json_308(api, admin_a, password):
    """Django's 301 (an HTML body) made a client's POST a GET without its body."""
    response = api().post("/api/v1/auth/token", {"username": "alice", "password": password},
                          format="json")
    assert response.status_code == 308 and response["Location"] == "/api/v1/auth/token/"
    assert response.json()["code"] == "trailing_slash_missing"
    followed = api().post(response["Location"], {"username": "alice", "password": password},
                          format="json")
    assert followed.status_code == 200 and followed.json()["token"]
    assert api(admin_a).get("/api/v1/nothing-here").json()["code"] == "not_found"


def test_api_error_details_speak_the_menus_language(api, admin_a, agent_a, tenant_a):
    """The upload page shows an API error's ``detail`` to the person: it was English on the
    German menu. German by default, English with ``?lang=en``, the code the same."""
    client = api(admin_a)
    unknown = client.get("/api/v1/nothing/")
    assert unknown.json() == {"code": "not_found", "detail": "Nicht gefunden."}
    assert api(admin_a).get("/api/v1/nothing/?lang=en").json()["detail"] == "Not found."
    cursor_error = client.get(f"/api/v1/tenants/{tenant_a.slug}/audit-events/?cursor=x")
    assert cursor_error.json()["code"] == "invalid_cursor"
    assert "Zeiger" in cursor_error.json()["detail"]
    upload = api(admin_a).post(f"/api/v1/tenants/{tenant_a.slug}/recordings/upload/",
                               {"extension": "999"}, format="multipart")
    assert upload.json()["code"] in ("unknown_extension", "required")
    slash = api().post("/api/v1/auth/token", {}, format="json")
    assert slash.json()["detail"].startswith("Adressen dieser API enden mit einem Schrägstrich")
