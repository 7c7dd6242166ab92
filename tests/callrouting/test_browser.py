"""In Chromium: edit a routing (the flow picture follows), play the announcement, simulate an
objection and publish."""

import pytest

from callrouting.models import Routing
from tests.conftest import browser_log_in, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username, password, target):
    browser_log_in(page, live_server, username, password, target)


def test_admin_edits_plays_simulates_and_publishes(live_server, page, admin_a, password, routing):
    target = f"/t/alpha/routings/{routing.pk}/"
    log_in(page, live_server, "alice", password, target)
    assert page.locator("h1").inner_text() == "Hotline"
    assert "Taste 9" in page.locator("#flow-picture").inner_text()

    # Editing redraws the flow picture from the server without saving.
    page.select_option("#id_objection_key", "7")
    page.fill("#id_timeout_seconds", "12")
    wait_until(page, "document.querySelector('#flow-picture').textContent.includes('12 s')")
    assert "Taste 7" in page.locator("#flow-picture").inner_text()
    assert Routing.unscoped.get(pk=routing.pk).timeout_seconds == 5
    page.click("#save-draft")
    page.wait_for_selector(".msg.success")
    saved = Routing.unscoped.get(pk=routing.pk)
    assert (saved.objection_key, saved.timeout_seconds) == ("7", 12)

    # Generate the German announcement and play it.
    page.locator('.audio-item[data-language="de"] button[name=generate]').click()
    page.wait_for_selector("#audio-de")
    page.click('[data-play="audio-de"]')
    wait_until(page, "document.querySelector('#audio-de').currentTime > 0.2", timeout=15)
    duration = page.evaluate("document.querySelector('#audio-de').duration")
    assert duration > 5

    # Simulate the caller objecting after three seconds.
    page.select_option("#id_behaviour", "objection_key")
    page.fill("#id_after_seconds", "3")
    page.click("#run-simulation")
    result = page.locator('[data-testid="simulation"]')
    assert result.get_attribute("data-outcome") == "objected"
    assert page.locator('[data-testid="sim-outcome"]').inner_text() == "Widerspruch erfasst"
    assert "Der Anrufer drückt 7." in result.inner_text()
    assert "verworfen" in result.inner_text() and "abgelehnt" in result.inner_text()

    # Publish (confirming the question).
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#publish-button")
    page.wait_for_selector(".msg.success")
    assert (
        page.locator('[data-testid="published-badge"]').inner_text() == "Version 1 veröffentlicht"
    )
    version = Routing.unscoped.get(pk=routing.pk).published_version
    assert version.definition["keys"]["objection"] == "7"
    assert version.definition["timeout_seconds"] == 12
