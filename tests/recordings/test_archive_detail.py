"""The recording's detail page (issue 8 item 3): metadata, consent and flags in words, the
player with its waveform, the recording's history, related recordings, panels."""

import json

import pytest

from .archive_helpers import stored_recording
from .conftest import audit_actions
from .test_customer_api import make_recording

pytestmark = pytest.mark.django_db


def test_detail_shows_consent_flags_waveform_history_and_related(
    web, admin_a, tenant_a, tmp_path, agent_ext_a
):
    recording = stored_recording(
        tenant_a,
        tmp_path,
        b"RIFF" + bytes(400),
        pbx_user=agent_ext_a,
        policy_violation=True,
        policy_violation_reason="monitor_not_held",
        duration=75.0,
    )
    recording.call.consent = "consented"
    recording.call.save()
    sibling = make_recording(tenant_a, "201")
    type(sibling).unscoped.filter(pk=sibling.pk).update(call=recording.call)
    client = web(admin_a)
    client.get(f"/t/alpha/recordings/{recording.pk}/audio/", HTTP_RANGE="bytes=0-9")
    page = client.get(f"/t/alpha/recordings/{recording.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Der Anrufer hat in die Aufzeichnung eingewilligt." in html
    assert "Benötigt eine Monitor-Lizenz" in html or "Monitor" in html
    assert "Anna Agentin" in html and "1:15" in html and "+49 30 1234567" in html
    config = json.loads(
        html.split('id="player-config" type="application/json">')[1].split("</script>")[0]
    )
    assert config["peaks"] == [0.1, 0.5] and config["duration"] == 75.0
    assert 'src="/static/' in html and "js/recordings-player" in html
    assert "onclick" not in html and "javascript:" not in html
    assert f"/t/alpha/recordings/{sibling.pk}/" in html
    assert "Aufzeichnung abgespielt" in html  # the play, in the recording's own history
    assert audit_actions(tenant_a, "recording.viewed") == ["recording.viewed"]
    assert "recordings/_detail_actions.html" in [t.name for t in page.templates]


def test_reason_form_instead_of_a_source_when_required(
    web, admin_a, tenant_a, tmp_path, agent_ext_a
):
    from recordings.archive_settings import update_recording_settings

    update_recording_settings(
        actor=admin_a, tenant=tenant_a, changes={"access_reason_required": True}
    )
    recording = stored_recording(tenant_a, tmp_path, bytes(100))
    html = web(admin_a).get(f"/t/alpha/recordings/{recording.pk}/").content.decode()
    assert 'id="reason-form"' in html and '<audio id="audio" preload="metadata">' in html


def test_agents_history_is_their_own(web, admin_a, agent_a, tenant_a, tmp_path, agent_ext_a):
    recording = stored_recording(tenant_a, tmp_path, bytes(100))
    web(admin_a).get(f"/t/alpha/recordings/{recording.pk}/audio/")
    page = web(agent_a).get(f"/t/alpha/recordings/{recording.pk}/")
    history = [event.actor_label for event, _label in page.context["history"]]
    assert history and "alice" not in history


def test_discarded_recording_has_no_player(web, admin_a, tenant_a, agent_ext_a):
    from django.utils import timezone

    recording = make_recording(tenant_a, audio_state="discarded", discarded_at=timezone.now())
    html = web(admin_a).get(f"/t/alpha/recordings/{recording.pk}/").content.decode()
    assert 'id="player"' not in html
