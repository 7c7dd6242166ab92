"""OpenAPI schema and interactive docs, served without any CDN."""

import re

import pytest


@pytest.mark.django_db
def test_schema_lists_the_contract_paths(api):
    response = api().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/tenants/{tenant_slug}/pbx-users/" in paths
    assert "/api/v1/auth/token/" in paths


@pytest.mark.django_db
def test_interactive_docs_use_only_local_assets(api):
    page = api().get("/api/docs/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources, page
    assert all(not s.startswith(("http://", "https://", "//")) for s in sources), sources
    assert any("swagger-ui" in s for s in sources)
