"""Customer-menu pages: recordings list, upload, ingest status (with its JSON), retry and
the objection button."""

import pytest

from recordings.models import Call, Ingest, Recording

pytestmark = pytest.mark.django_db


def test_recordings_page_lists_rows_with_flags_in_german(web, admin_a, ingest_file, wav,
                                                         sample_dir, agent_ext_a):
    from tests import audio_samples

    ingest_file(wav, call_id="v-1")
    ingest_file(audio_samples.truncated_wav(sample_dir), call_id="v-2", consent="objected")
    page = web(admin_a).get("/t/alpha/recordings/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Aufzeichnungen" in html and "Lizenz fehlt" in html
    assert "Audio verworfen" in html
    assert "+49 30 1234567" in html
    assert "/objection/" not in html, "no destructive action on rows (it is on the detail)"
    first, second = Recording.unscoped.order_by("pbx_call_id")
    detail = web(admin_a).get(f"/t/alpha/recordings/{first.pk}/").content.decode()
    assert detail.count('href="/t/alpha/recordings/calls/v-1/objection/?next=') == 1
    objected = web(admin_a).get(f"/t/alpha/recordings/{second.pk}/").content.decode()
    assert "/calls/v-2/objection/" not in objected, "no objection button on an objected call"


def test_agent_sees_own_rows_and_objects_through_the_menu(web, agent_a, ingest_file, wav,
                                                          sample_dir, supervisor_ext_a,
                                                          django_capture_on_commit_callbacks):
    from recordings.archive.policy import update_policy
    from tests import audio_samples

    update_policy(actor=None, tenant=agent_a.memberships.get().tenant, agents_may_object=True)
    ingest_file(wav, call_id="own")
    ingest_file(audio_samples.mulaw_wav(sample_dir), call_id="theirs", extension="210")
    client = web(agent_a)
    html = client.get("/t/alpha/recordings/").content.decode()
    own = Recording.unscoped.get(pbx_call_id="own")
    theirs = Recording.unscoped.get(pbx_call_id="theirs")
    assert f"/recordings/{own.pk}/" in html and f"/recordings/{theirs.pk}/" not in html
    assert "calls/own/objection" in client.get(f"/t/alpha/recordings/{own.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/t/alpha/recordings/calls/own/objection/",
                               {"next": "/t/alpha/recordings/?kind=auto",
                                "reason": "Anrufer hat widersprochen"})
    assert response.status_code == 302 and response["Location"] == "/t/alpha/recordings/?kind=auto"
    assert Call.unscoped.get(call_id="own").consent == "objected"
    assert client.post("/t/alpha/recordings/calls/theirs/objection/").status_code == 404
    evil = client.post("/t/alpha/recordings/calls/own/objection/",
                       {"next": "https://evil.example/", "reason": "again"})
    assert evil["Location"] == "/t/alpha/recordings/"


def test_recordings_page_pages_by_keyset(web, admin_a, tenant_a):
    from .test_customer_api import make_recording

    for minutes in range(55):
        make_recording(tenant_a, minutes_ago=minutes)
    client = web(admin_a)
    first = client.get("/t/alpha/recordings/")
    assert first.context["next_link"] and len(first.context["recordings"]) == 50
    second = client.get(first.context["next_link"])
    assert len(second.context["recordings"]) == 5 and not second.context["next_link"]


def test_ingest_page_is_for_admins_and_compliance(web, admin_a, compliance_a, agent_a,
                                                  supervisor_a):
    assert web(admin_a).get("/t/alpha/recordings/ingests/").status_code == 200
    assert web(compliance_a).get("/t/alpha/recordings/ingests/").status_code == 200
    assert web(agent_a).get("/t/alpha/recordings/ingests/").status_code == 403
    assert web(supervisor_a).get("/t/alpha/recordings/ingests/status/").status_code == 403


def test_ingest_page_shows_counts_reasons_and_retry(web, admin_a, compliance_a, ingest_file,
                                                    wav, sample_dir,
                                                    django_capture_on_commit_callbacks):
    from tests import audio_samples

    quarantined = ingest_file(wav, extension="288")
    ingest_file(audio_samples.text_file(sample_dir))
    html = web(admin_a).get("/t/alpha/recordings/ingests/").content.decode()
    # Labels and explanations in German, no raw codes; a link to create the missing user.
    table = html.split("<tbody>")[1]
    assert "unknown_extension" not in table and "not_audio" not in table
    assert "Die Durchwahl 288 ist noch kein TK-Teilnehmer" in table
    assert "Die Datei ist keine Audiodatei." in table
    assert "/pbx-users/new/?extension=288" in table
    assert f"/ingests/{quarantined.ingest_id}/retry/" in html
    assert "/retry/" not in web(compliance_a).get("/t/alpha/recordings/ingests/"
                                                  ).content.decode().split("<tbody>")[1]
    data = web(admin_a).get("/t/alpha/recordings/ingests/status/",
                            {"status": "quarantined"}).json()
    counts = {c["status"]: c["count"] for c in data["counts"]}
    assert counts["quarantined"] == 1 and counts["rejected"] == 1
    assert [r["reason"] for r in data["rows"]] == ["unknown_extension"]
    assert data["rows"][0]["retryable"] and data["rows"][0]["status_label"] == "in Quarantäne"
    with django_capture_on_commit_callbacks(execute=True):
        response = web(admin_a).post(f"/t/alpha/recordings/ingests/{quarantined.ingest_id}/retry/",
                                     follow=True)
    assert "Es hat sich noch nichts geändert" in response.content.decode()
    assert Ingest.unscoped.get(pk=quarantined.pk).attempts == 1, "not quarantined again"


def test_upload_page_offers_the_own_extension(web, agent_a, admin_a, supervisor_ext_a):
    html = web(agent_a).get("/t/alpha/recordings/upload/").content.decode()
    assert "201" in html and 'type="file" multiple' in html
    assert 'data-upload-url="/api/v1/tenants/alpha/recordings/upload/"' in html
    admin_html = web(admin_a).get("/t/alpha/recordings/upload/").content.decode()
    assert '<select id="up-extension"' in admin_html and "210" in admin_html


def test_navigation_lists_the_pages_by_role(web, admin_a, agent_a):
    admin_html = web(admin_a).get("/t/alpha/recordings/").content.decode()
    agent_html = web(agent_a).get("/t/alpha/recordings/").content.decode()
    assert "/t/alpha/recordings/ingests/" in admin_html
    assert "/t/alpha/recordings/ingests/" not in agent_html
    assert "/t/alpha/recordings/upload/" in agent_html


def test_english_on_request(web, admin_a):
    html = web(admin_a).get("/t/alpha/recordings/?lang=en").content.decode()
    assert "Recordings" in html and "No recordings found." in html


def test_provider_staff_see_ingests_and_retry_in_the_admin(web, ingest_file, wav,
                                                           django_capture_on_commit_callbacks):
    from tests import audio_samples
    from tests.factories import UserFactory

    staff = UserFactory(username="operator", is_staff=True, is_superuser=True)
    quarantined = ingest_file(audio_samples.mulaw_wav(audio_samples_dir(wav)), extension="277")
    rejected = ingest_file(audio_samples.text_file(audio_samples_dir(wav)))
    client = web(staff)
    for page in ("ingest", "recording", "call"):
        assert client.get(f"/admin/recordings/{page}/").status_code == 200
    assert client.get(f"/admin/recordings/ingest/{quarantined.pk}/change/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/recordings/ingest/", {
            "action": "retry", "_selected_action": [rejected.pk]})
    assert response.status_code == 302
    rejected.refresh_from_db()
    assert rejected.attempts == 2


def test_overview_shows_recent_recordings_and_the_quarantine(web, admin_a, agent_a, ingest_file,
                                                             wav, sample_dir, monitor_201):
    from tests import audio_samples

    ingest_file(wav)
    ingest_file(audio_samples.mulaw_wav(sample_dir), extension="277")
    admin_page = web(admin_a).get("/t/alpha/").content.decode()
    assert "Aufzeichnungen (7 Tage)" in admin_page
    assert "Zustand der Annahme" in admin_page and "wartet auf Sie" in admin_page
    agent_page = web(agent_a).get("/t/alpha/").content.decode()
    assert "Aufzeichnungen (7 Tage)" in agent_page and "Quarantäne" not in agent_page


def audio_samples_dir(sample):
    return sample.parent
