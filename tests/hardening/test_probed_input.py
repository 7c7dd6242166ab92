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
