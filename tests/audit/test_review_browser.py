"""The readable review in Chromium: a compliance officer filters by a German category label,
opens an event and sees its change as before → after; the page fits a laptop and a phone."""

import pytest
from django.db import transaction

import audit
from audit.services import update_compliance_settings
from tests.conftest import authenticator, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, username, password, device):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/account/2fa/verify/**")
    page.fill("#id_token", totp_code(device))
    page.click("main form button.primary")
    page.wait_for_load_state()


def test_compliance_officer_reads_the_trail(live_server, page, tenant_a, admin_a, compliance_a,
                                            password):
    update_compliance_settings(actor=admin_a, tenant=tenant_a, audit_retention_days=4000)
    for extension in ("201", "202"):
        with transaction.atomic():
            audit.record(actor=admin_a, tenant=tenant_a, action="license.assigned",
                         data={"extension": extension, "license": "record"})
    for _ in range(3):
        with transaction.atomic():
            audit.record(actor=admin_a, tenant=tenant_a, action="recording.listed",
                         object_type="recordings.recording",
                         data={"recording_ids": [1, 2], "filters": {}})
    device = authenticator(compliance_a)
    _sign_in(page, live_server, "carla", password, device)

    page.set_viewport_size({"width": 1366, "height": 800})
    page.goto(f"{live_server.url}/t/{tenant_a.slug}/audit/")
    assert page.locator("h1").inner_text() == "Audit-Protokoll"
    table = page.locator("table.audit-table").inner_text()
    assert "Lizenz zugewiesen" in table and "license.assigned" not in table
    assert "Aufzeichnungen aufgelistet" not in table  # access events behind the toggle …
    assert "3" in page.locator("[data-testid=access-hidden]").inner_text()  # … not dropped
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366

    page.select_option("[data-testid=filter-category]", label="Einstellungen")
    page.click("[data-testid=audit-filters] button[type=submit]")
    page.wait_for_url("**category=settings**")
    rows = page.locator("table.audit-table tbody tr")
    assert rows.count() == 1
    assert "Compliance-Einstellungen geändert" in rows.first.inner_text()

    rows.first.locator("[data-testid=event-link]").click()
    page.wait_for_url(f"{live_server.url}/t/{tenant_a.slug}/audit/events/**")
    assert page.locator("[data-testid=event-title]").inner_text() == (
        "Compliance-Einstellungen geändert")
    change = page.locator("[data-testid=event-details] tbody tr").first.inner_text()
    assert "Audit-Ereignisse aufbewahren (Tage)" in change
    assert "3653" in change and "→" in change and "4000" in change

    page.goto(f"{live_server.url}/t/{tenant_a.slug}/audit/?access=true&verify=1")
    assert "Aufzeichnungen aufgelistet" in page.locator("table.audit-table").inner_text()
    assert "Geprüft bis Ereignis" in page.locator("[data-testid=verify-badge]").inner_text()

    page.set_viewport_size({"width": 390, "height": 800})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate(
        "(() => { const s = document.querySelector('.table-scroll');"
        " return s.scrollWidth > s.clientWidth; })()")
