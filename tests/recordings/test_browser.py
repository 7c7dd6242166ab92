"""The recordings pages in Chromium: uploading several files with progress, the ingest page
following the work. (The objection flow is in test_browser_archive.py.)"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from recordings.models import Recording
from tests import audio_samples
from tests.conftest import browser_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username, password, target):
    browser_log_in(page, live_server, username, password, target)


@pytest.mark.postgres  # two uploads run at once: SQLite's shared in-memory test database locks
def test_agent_uploads_several_recordings_with_progress(live_server, page, agent_a, record_201,
                                                        password, sample_dir):
    files = [str(audio_samples.pcm_wav(sample_dir, seconds=2)),
             str(audio_samples.mulaw_wav(sample_dir, seconds=2))]
    log_in(page, live_server, "anna", password, "/t/alpha/recordings/upload/")
    assert page.locator("h1").inner_text() == "Aufzeichnungen hochladen"
    page.select_option("#up-direction", "outbound")
    page.set_input_files("#up-files", files)
    # The call's date and time is asked per file, prefilled from the file's modification time.
    times = page.locator("#upload-times input[type=datetime-local]")
    assert times.count() == 2 and all(times.nth(i).input_value() for i in range(2))
    times.nth(1).fill("2026-01-15T09:30")
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("li.upload-item.ok >> nth=1", timeout=20000)
    assert page.locator("li.upload-item .bar > span").first.get_attribute("style") == \
        "width: 100%;"
    recordings = Recording.unscoped.order_by("codec")
    assert [(r.kind, r.extension, r.direction) for r in recordings] == [
        ("client", "201", "outbound")] * 2
    assert {r.codec for r in recordings} == {"mulaw", "pcm_s16le"}
    mulaw = recordings.get(codec="mulaw")
    assert timezone.localtime(mulaw.started_at).strftime("%Y-%m-%d %H:%M") == "2026-01-15 09:30"


def test_ingest_page_follows_the_work(live_server, page, admin_a, password, push, wav,
                                      monitor_201):
    log_in(page, live_server, "alice", password, "/t/alpha/recordings/ingests/")
    stored_tile = page.locator('#ingest-counts [data-status="stored"] .figure')
    assert stored_tile.inner_text() == "0"
    assert push(wav).status_code == 202
    # A locator, not wait_for_function: that evaluates a string, which the CSP forbids.
    expect(stored_tile).to_have_text("1", timeout=15000)
    assert "gespeichert" in page.locator("#ingest-table tbody").inner_text()

