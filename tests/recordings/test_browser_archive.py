"""The archive in Chromium: recording an objection after the call (confirmation page naming
the call, reason required) and an export whose progress bar follows the build (polling from
static/js/recordings-exports.js; no inline script)."""

import pytest

from recordings.archive import exports
from recordings.models import Export, Recording
from tests.conftest import browser_log_in

from .archive_factory import make_recording

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username, password, target):
    browser_log_in(page, live_server, username, password, target)


def test_admin_records_an_objection_with_reason(live_server, page, admin_a, password, agent_ext_a):
    recording = make_recording(
        agent_ext_a.tenant, remote_number="+49301234567", pbx_user=agent_ext_a
    )
    target = f"/t/alpha/recordings/calls/{recording.pbx_call_id}/objection/"
    log_in(page, live_server, "alice", password, target)
    facts = page.locator("dl.facts").inner_text()
    assert "+49301234567" in facts and "201" in facts
    page.click("text=Widerspruch erfassen und Audio löschen")  # no reason: refused
    assert page.url.endswith(target)
    assert Recording.unscoped.get(pk=recording.pk).audio_state == "stored"
    page.fill("#id_reason", "Anrufer hat am Telefon widersprochen")
    page.click("text=Widerspruch erfassen und Audio löschen")
    page.wait_for_selector(".msg.success")
    assert Recording.unscoped.get(pk=recording.pk).audio_state == "discarded"


def test_export_progress_bar_follows_the_build(live_server, page, admin_a, password, tenant_a):
    recordings = [make_recording(tenant_a) for _ in range(2)]
    export = Export.unscoped.create(
        tenant=tenant_a, created_by=admin_a, recording_ids=[r.pk for r in recordings], total=2
    )
    target = f"/t/alpha/recordings/exports/{export.export_id}/"
    log_in(page, live_server, "alice", password, target)
    assert page.locator("text=ZIP herunterladen").is_hidden()
    assert page.locator("#export-bar").get_attribute("value") == "0"
    exports.build_export(export.pk, tenant_a.pk)  # the worker, while the page polls
    page.wait_for_selector("text=ZIP herunterladen", state="visible")
    assert page.locator("#export-bar").evaluate("bar => bar.value") == 100
    with page.expect_download() as info:
        page.click("text=ZIP herunterladen")
    assert info.value.suggested_filename.endswith(".zip")
