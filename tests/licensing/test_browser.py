"""An admin assigns a licence in the menu (real Chromium) and sees the pool bar change."""

import pytest

from licensing import services
from tests.conftest import browser_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_assigns_a_licence_and_the_pool_bar_changes(live_server, page, tenant_a, admin_a,
                                                          agent_ext_a, password):
    services.set_license_pool(actor=None, tenant=tenant_a, license="monitor", quantity=5)
    browser_log_in(page, live_server, "alice", password, f"/t/{tenant_a.slug}/")
    page.click("nav.sidenav >> text=Lizenzen")
    page.wait_for_url(f"{live_server.url}/t/{tenant_a.slug}/licenses/")

    pool = page.get_by_test_id("pool-monitor")
    bar = pool.locator("[role=progressbar]")
    assert page.get_by_test_id("used-monitor").inner_text() == "0"
    assert page.get_by_test_id("available-monitor").inner_text() == "5"
    assert bar.get_attribute("aria-valuenow") == "0"
    assert bar.locator("span").evaluate("el => el.style.width") == "0%"

    page.get_by_test_id("assign-201-monitor").click()
    page.wait_for_load_state()
    page.get_by_test_id("revoke-201-monitor").wait_for()

    assert page.get_by_test_id("used-monitor").inner_text() == "1"
    assert page.get_by_test_id("available-monitor").inner_text() == "4"
    assert bar.get_attribute("aria-valuenow") == "1"
    assert bar.locator("span").evaluate("el => el.style.width") == "20%"
    assert "Monitor-Lizenz an 201" in page.locator(".messages").inner_text()


def test_revoking_monitor_asks_first_and_the_bar_drops(live_server, page, tenant_a, admin_a,
                                                       agent_ext_a, password):
    services.set_license_pool(actor=None, tenant=tenant_a, license="monitor", quantity=2)
    services.assign_license(actor=None, tenant=tenant_a, extension="201", license="monitor")
    browser_log_in(page, live_server, "alice", password, f"/t/{tenant_a.slug}/licenses/")
    assert page.get_by_test_id("used-monitor").inner_text() == "1"

    # Dismissing the confirmation keeps the licence ...
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_test_id("revoke-201-monitor").click()
    assert page.get_by_test_id("used-monitor").inner_text() == "1"
    # ... accepting it revokes.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("revoke-201-monitor").click()
    page.get_by_test_id("assign-201-monitor").wait_for()
    assert page.get_by_test_id("used-monitor").inner_text() == "0"
