"""Headers on every response (issue 7.11): CSP without inline script, no-store on pages and
API answers that show recordings, audit data or accounts, and what was already right."""

import pytest

pytestmark = pytest.mark.django_db


def test_pages_and_api_carry_csp_and_no_store(web, api, admin_a, compliance_a, tenant_a):
    pages = [
        (web(admin_a), f"/t/{tenant_a.slug}/accounts/"),
        (web(compliance_a), f"/t/{tenant_a.slug}/recordings/"),
        (web(compliance_a), f"/t/{tenant_a.slug}/audit/"),
        (web(), "/login/"),
        (api(compliance_a), f"/api/v1/tenants/{tenant_a.slug}/recordings/"),
        (api(compliance_a), f"/api/v1/tenants/{tenant_a.slug}/audit-events/"),
        (api(admin_a), f"/api/v1/tenants/{tenant_a.slug}/pbx-users/"),
    ]
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
        policy = response["Content-Security-Policy"]
        script_src = policy.split("script-src")[1].split(";")[0]
        assert "'self'" in script_src and "unsafe-inline" not in script_src, url
        assert "frame-ancestors 'none'" in policy
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_static_files_stay_cacheable(web):
    response = web().get("/static/js/portal.js")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_no_template_has_inline_script():
    import re
    from pathlib import Path

    from django.conf import settings

    offenders = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")", text):
            offenders.append(f"{path}:{text[: match.start()].count(chr(10)) + 1}")
        if re.search(r"\son[a-z]+=\"", text) or "javascript:" in text:
            offenders.append(f"{path}: event handler attribute or javascript: URL")
    assert not offenders, offenders


def test_hsts_and_secure_cookies_behind_tls(settings):
    # The production settings module, read as the TLS proxy deployment sets it (HTTPS on).
    import importlib
    import os

    from hostedpbx import settings as product

    old = os.environ.get("HTTPS")
    os.environ["HTTPS"] = "1"
    try:
        fresh = importlib.reload(product)
        assert fresh.SECURE_HSTS_SECONDS >= 31536000
        assert fresh.SESSION_COOKIE_SECURE and fresh.CSRF_COOKIE_SECURE
        assert fresh.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    finally:
        if old is None:
            os.environ.pop("HTTPS", None)
        else:
            os.environ["HTTPS"] = old
        importlib.reload(product)
