# ruff: noqa: F811  (fixtures imported from tests/recordings/conftest.py)
"""The pages work in Chromium under the Content-Security-Policy (no inline script, issue 7.11).

Every CSP violation the browser reports (console and ``securitypolicyviolation`` events) fails
the test; the pages' own JavaScript must still do its work: the licence page's confirmation,
the ingest page's live counts, the tenant switcher.
"""

import pytest
from playwright.sync_api import expect

from licensing import services
from tests.conftest import browser_log_in
from tests.recordings.conftest import (  # noqa: F401
    eager,
    ingest_dirs,
    monitor_201,
    push,
    sample_dir,
    wav,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def watch(page):
    violations = []
    page.add_init_script(WATCH)
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return violations


def reported(page, violations):
    return violations + page.evaluate("window.__csp || []")


def test_pages_work_under_the_policy(
    live_server,
    page,
    tenant_a,
    tenant_b,
    admin_a,
    agent_ext_a,
    password,
    push,
    wav,
    monitor_201,
    eager,
    ingest_dirs,
):
    from tests.factories import MembershipFactory

    MembershipFactory(tenant=tenant_b, user=admin_a, role="admin")
    services.set_license_pool(actor=None, tenant=tenant_a, license="monitor", quantity=5)
    violations = watch(page)

    response = page.goto(f"{live_server.url}/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert (
        "unsafe-inline"
        not in response.headers["content-security-policy"].split("script-src")[1].split(";")[0]
    )
    browser_log_in(page, live_server, "alice", password, goto=False)
    page.wait_for_url(f"{live_server.url}/")  # two tenants: the chooser
    page.goto(f"{live_server.url}/t/{tenant_a.slug}/licenses/")
    # portal.js asks before revoking; dismissing keeps the licence.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_test_id("revoke-201-monitor").click()
    assert page.get_by_test_id("used-monitor").inner_text() == "1"
    assert not reported(page, violations)

    # The ingest page follows the work with its script.
    page.goto(f"{live_server.url}/t/{tenant_a.slug}/recordings/ingests/")
    assert push(wav).status_code == 202
    stored = page.locator('#ingest-counts [data-status="stored"] .figure')
    expect(stored).not_to_have_text("0", timeout=15000)
    assert not reported(page, violations)

    # The tenant switcher (a drop-down of links) navigates without an inline handler.
    page.click("#tenant-switch summary")
    page.click(f"#tenant-switch >> text={tenant_b.name}")
    # The same page in the other tenant (it names no object, and the role there has it).
    page.wait_for_url(f"{live_server.url}/t/{tenant_b.slug}/recordings/ingests/")

    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=15000)
    assert not reported(page, violations), reported(page, violations)
