"""The archive in Chromium (issue 8, "Must show"): search by a national-format number, open
the detail, play, seek to the middle (playback continues from there), change the speed and
download the original (checked by SHA-256)."""

import hashlib
from pathlib import Path

import pytest

from tests import audio_samples
from tests.conftest import wait_until

from .test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def current_time(page) -> float:
    return page.evaluate("document.getElementById('audio').currentTime")


def test_find_play_seek_speed_and_download(
    live_server, page, admin_a, password, ingest_file, sample_dir, monitor_201
):
    path = audio_samples.pcm_wav(sample_dir, seconds=40, name="long.wav")
    original_sha = hashlib.sha256(path.read_bytes()).hexdigest()
    wanted = ingest_file(path, remote_number="+49 30 1234567").recording
    ingest_file(
        audio_samples.pcm_wav(sample_dir, seconds=2, name="other.wav"),
        remote_number="+49 89 7654321",
    )

    log_in(page, live_server, "alice", password, "/t/alpha/recordings/")
    page.fill("#id_number", "030 1234567")
    page.click("#recording-filters button[type=submit]")
    page.wait_for_url("**number=030**")
    rows = page.locator("table.rec-table tbody tr[data-recording]")
    assert rows.count() == 1 and rows.first.get_attribute("data-recording") == str(wanted.pk)
    rows.first.locator("a").first.click()
    page.wait_for_url(f"**/recordings/{wanted.pk}/")

    page.click("#play-toggle")
    wait_until(page, "document.getElementById('audio').currentTime > 0.3")
    assert page.evaluate("document.getElementById('audio').paused") is False

    box = page.locator("#waveform").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)
    after_seek = current_time(page)
    assert 18.5 <= after_seek <= 22, after_seek
    page.wait_for_timeout(1200)
    later = current_time(page)
    assert later > after_seek + 0.5, "playback continues from the middle"

    page.keyboard.press("ArrowLeft")  # the waveform has focus after the click: -5 s
    page.wait_for_timeout(200)
    assert current_time(page) < later - 3

    page.select_option("#speed", "1.5")
    assert page.evaluate("document.getElementById('audio').playbackRate") == 1.5
    before = current_time(page)
    page.wait_for_timeout(1000)
    assert current_time(page) - before > 1.2, "1.5× plays faster than real time"

    with page.expect_download() as info:
        page.click("#download")
    download = info.value
    assert download.suggested_filename.endswith(".wav") and "ext201" in download.suggested_filename
    data = Path(download.path()).read_bytes()
    assert hashlib.sha256(data).hexdigest() == original_sha


def test_reason_asked_before_playing_and_kept_in_the_audit(
    live_server, page, admin_a, password, ingest_file, wav, monitor_201, tenant_a
):
    from audit.models import AuditEvent
    from recordings.archive_settings import update_recording_settings

    update_recording_settings(
        actor=admin_a, tenant=tenant_a, changes={"access_reason_required": True}
    )
    recording = ingest_file(wav).recording
    log_in(page, live_server, "alice", password, f"/t/alpha/recordings/{recording.pk}/")
    assert page.locator("#download").get_attribute("href") is None
    page.fill("#access-reason", "Beschwerde 4711")
    page.click("#reason-form button[type=submit]")
    page.click("#play-toggle")
    wait_until(page, "document.getElementById('audio').currentTime > 0.2")
    played = AuditEvent.unscoped.get(tenant=tenant_a, action="recording.played")
    assert played.data["reason"] == "Beschwerde 4711"
    assert "reason=Beschwerde" in page.locator("#download").get_attribute("href")
