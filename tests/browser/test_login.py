"""A person logs in through the real login page in Chromium and reaches the tenant's menu."""

import pytest

from tests.conftest import authenticator, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_in_chromium_reaches_the_tenant_menu(live_server, page, admin_a, tenant_a,
                                                   agent_ext_a, password):
    page.goto(f"{live_server.url}/t/{tenant_a.slug}/pbx-users/")
    assert "/login/" in page.url  # anonymous → login page
    assert page.locator("h1").inner_text() == "Anmeldung zum Kundenmenü"
    device = authenticator(admin_a)  # an admin signs in with a second factor
    page.fill("#id_username", "alice")
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/account/2fa/verify/**")
    page.fill("#id_token", totp_code(device))
    page.click("main form button.primary")
    page.wait_for_url(f"{live_server.url}/t/{tenant_a.slug}/pbx-users/")
    assert page.locator("h1").inner_text() == "TK-Teilnehmer"
    assert "Anna Agentin" in page.locator("table").inner_text()
    page.click("nav.sidenav >> text=Übersicht")
    page.wait_for_url(f"{live_server.url}/t/{tenant_a.slug}/")
    assert tenant_a.name in page.locator("h1").inner_text()
    # English on request, from the header's language switch.
    page.click("form.lang button[value=en]")
    page.wait_for_load_state()
    assert "You are signed in as" in page.content()
    page.click("[data-testid=logout]")
    page.wait_for_url(f"{live_server.url}/logged-out/")


def test_wrong_password_shows_an_error(live_server, page, admin_a):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "wrong")
    page.click("main button[type=submit]")
    assert page.locator("[role=alert]").is_visible()
    assert "/login/" in page.url
