"""Two-factor login in Chromium: an admin enrols with the QR page, then signs in again with a
recovery code. The test computes the app's code from the device key, as the phone would."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _password_step(page, live_server, password):
    page.fill("#id_username", "alice")
    page.fill("#id_password", password)
    page.click("main button[type=submit]")


def test_admin_enrols_and_signs_in_with_two_factors(live_server, page, admin_a, tenant_a,
                                                    agent_ext_a, password):
    page.goto(f"{live_server.url}/t/{tenant_a.slug}/pbx-users/")
    _password_step(page, live_server, password)
    page.wait_for_url(f"{live_server.url}/account/2fa/enrol/**")
    assert page.locator("h1").inner_text() == "Zwei-Faktor-Anmeldung einrichten"
    assert page.locator("[data-testid=qr] svg").is_visible()
    device = TOTPDevice.objects.get(user=admin_a, confirmed=False)
    shown_key = page.locator("[data-testid=secret]").inner_text().replace(" ", "")
    assert shown_key  # the key for manual entry, base32 of the device key
    page.fill("#id_token", totp_code(device))
    page.click("main button[type=submit]")
    # The click returns once the form is sent, not when the next page is there.
    page.locator("[data-testid=recovery-codes] li").first.wait_for()
    codes = page.locator("[data-testid=recovery-codes] li").all_inner_texts()
    assert len(codes) == 10
    page.click("text=Weiter")
    page.wait_for_url(f"{live_server.url}/t/{tenant_a.slug}/pbx-users/")
    assert page.locator("h1").inner_text() == "TK-Teilnehmer"

    page.click("[data-testid=logout]")
    page.wait_for_url(f"{live_server.url}/logged-out/")
    page.goto(f"{live_server.url}/t/{tenant_a.slug}/pbx-users/")
    _password_step(page, live_server, password)
    page.wait_for_url(f"{live_server.url}/account/2fa/verify/**")
    page.fill("#id_token", "000000" if totp_code(device) != "000000" else "111111")
    page.click("main form button.primary")
    page.locator("[role=alert]").wait_for()
    page.fill("#id_token", codes[0])
    page.click("main form button.primary")
    page.wait_for_url(f"{live_server.url}/t/{tenant_a.slug}/pbx-users/")
    assert "Anna Agentin" in page.locator("table").inner_text()
