"""Customer API: recordings list and detail (fields, filters, cursor pagination, who sees
what, query budget), ingests with counts and retry, the menu's upload endpoint."""

import datetime
import itertools
import uuid

import pytest
from django.utils import timezone

from recordings.models import Call, Ingest, Recording
from tests.factories import RecordingFactory

from .conftest import tenant_api

pytestmark = pytest.mark.django_db

_counter = itertools.count()


def make_recording(tenant, extension="201", *, minutes_ago=10, **fields):
    """A recording row as the pipeline writes it (no audio needed for list tests)."""
    number = next(_counter)
    started = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    return RecordingFactory(tenant=tenant, extension=extension, started=started,
                            call__call_id=f"list-{number}", **fields)


def list_url(tenant):
    return tenant_api(tenant, "recording-list")


CONTRACT_FIELDS = {"id", "call_id", "extension", "direction", "remote_number", "started_at",
                   "duration", "kind", "consent", "sha256", "size", "legal_hold",
                   "policy_violation", "truncated"}


def test_list_has_the_contract_fields_newest_first(api, admin_a, tenant_a):
    older = make_recording(tenant_a, minutes_ago=30)
    newer = make_recording(tenant_a, minutes_ago=5)
    body = api(admin_a).get(list_url(tenant_a)).json()
    assert [r["id"] for r in body["results"]] == [newer.pk, older.pk]
    first = body["results"][0]
    assert set(first) >= CONTRACT_FIELDS
    assert first["call_id"] == newer.pbx_call_id and first["duration"] == 60.0
    assert "peaks" not in first


def test_detail_adds_the_waveform_and_ingest(api, admin_a, tenant_a):
    recording = make_recording(tenant_a)
    url = tenant_api(tenant_a, "recording-detail", recording_id=recording.pk)
    body = api(admin_a).get(url).json()
    assert body["peaks"] == [0.1, 0.5]
    assert body["ingest_id"] == str(recording.ingest.ingest_id)


def test_member_sees_only_recordings_of_own_extension(api, agent_a, tenant_a, supervisor_ext_a):
    own = make_recording(tenant_a, "201")
    other = make_recording(tenant_a, "210")
    ids = [r["id"] for r in api(agent_a).get(list_url(tenant_a)).json()["results"]]
    assert ids == [own.pk]
    detail = tenant_api(tenant_a, "recording-detail", recording_id=other.pk)
    assert api(agent_a).get(detail).status_code == 404


def test_compliance_sees_the_whole_tenant_supervisor_own_by_default(
        api, supervisor_a, compliance_a, tenant_a, agent_ext_a):
    make_recording(tenant_a, "201")
    make_recording(tenant_a, "210")
    assert len(api(compliance_a).get(list_url(tenant_a)).json()["results"]) == 2
    # Supervisors: own extension until supervision grants (or the tenant option) widen it
    # (tests/recordings/test_archive_visibility.py).
    assert len(api(supervisor_a).get(list_url(tenant_a)).json()["results"]) == 1


def test_member_without_extension_sees_nothing(api, tenant_a):
    from tests.conftest import _persona

    nobody = _persona(tenant_a, "ohne", "member")
    make_recording(tenant_a, "201")
    assert api(nobody).get(list_url(tenant_a)).json()["results"] == []


@pytest.mark.parametrize("query,expected", [
    ("extension=202", {"b"}),
    ("direction=outbound", {"b"}),
    ("kind=client", {"c"}),
    ("consent=objected", {"c"}),
    ("min_duration=100", {"b"}),
    ("max_duration=30", {"c"}),
    ("legal_hold=true", {"c"}),
    ("number=%2B49%2030%201234567", {"a"}),
    ("number=0171%209876543", {"b"}),
    ("number=98765", {"b"}),
])
def test_filters(api, admin_a, tenant_a, query, expected):
    made = {
        "a": make_recording(tenant_a, "201", duration=60),
        "b": make_recording(tenant_a, "202", direction="outbound", duration=120,
                            remote_number="+491719876543", remote_number_raw="0171 9876543"),
        "c": make_recording(tenant_a, "203", kind="client", consent="objected", duration=20,
                            legal_hold=True, remote_number="", remote_number_raw=""),
    }
    names = {v.pk: k for k, v in made.items()}
    body = api(admin_a).get(f"{list_url(tenant_a)}?{query}").json()
    assert {names[r["id"]] for r in body["results"]} == expected


def test_time_filters(api, admin_a, tenant_a):
    old = make_recording(tenant_a, minutes_ago=120)
    new = make_recording(tenant_a, minutes_ago=5)
    cut = (timezone.now() - datetime.timedelta(minutes=60)).isoformat()
    client = api(admin_a)
    after = client.get(list_url(tenant_a), {"started_after": cut}).json()["results"]
    before = client.get(list_url(tenant_a), {"started_before": cut}).json()["results"]
    assert [r["id"] for r in after] == [new.pk] and [r["id"] for r in before] == [old.pk]


def test_bad_filter_values_answer_400(api, admin_a, tenant_a):
    response = api(admin_a).get(f"{list_url(tenant_a)}?direction=sideways")
    assert response.status_code == 400 and response.json()["code"] == "invalid_filter"


def test_cursor_pagination_walks_every_row_once(api, admin_a, tenant_a):
    made = [make_recording(tenant_a, minutes_ago=m) for m in range(7)]
    # Two rows with the same start: the id breaks the tie.
    Recording.unscoped.filter(pk=made[3].pk).update(started_at=made[2].started_at)
    client = api(admin_a)
    url, seen = f"{list_url(tenant_a)}?page_size=3", []
    while url:
        body = client.get(url).json()
        assert "count" not in body
        seen += [r["id"] for r in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(r.pk for r in made) and len(seen) == 7


def test_list_query_count_is_constant(api, admin_a, tenant_a, django_assert_max_num_queries):
    for minutes in range(30):
        make_recording(tenant_a, minutes_ago=minutes)
    client = api(admin_a)
    client.get(list_url(tenant_a))
    # 6 for the page itself, 5 for auditing the access (recording.listed), 1 for the session's
    # second factor (django-otp loads the confirmed device); none per row.
    with django_assert_max_num_queries(12):
        response = client.get(list_url(tenant_a), {"kind": "auto", "extension": "201"})
    assert len(response.json()["results"]) == 30


# --- ingests --------------------------------------------------------------------------------
def test_ingest_list_counts_per_status(api, admin_a, tenant_a, push, wav, sample_dir):
    from tests import audio_samples

    push(wav)
    push(audio_samples.mulaw_wav(sample_dir))
    Ingest.unscoped.filter(pk=Ingest.unscoped.first().pk).update(status="quarantined",
                                                                  reason="unknown_extension")
    body = api(admin_a).get(tenant_api(tenant_a, "ingest-list")).json()
    assert body["counts"] == {"queued": 1, "processing": 0, "stored": 0, "rejected": 0,
                              "quarantined": 1}
    assert {r["status"] for r in body["results"]} == {"queued", "quarantined"}
    filtered = api(admin_a).get(tenant_api(tenant_a, "ingest-list"), {"status": "quarantined"})
    assert [r["reason"] for r in filtered.json()["results"]] == ["unknown_extension"]


def test_retry_through_the_api_is_for_admins(api, admin_a, agent_a, tenant_a, ingest_file, wav,
                                             sample_dir, django_capture_on_commit_callbacks):
    from tests import audio_samples

    ingest = ingest_file(audio_samples.text_file(sample_dir))
    url = tenant_api(tenant_a, "ingest-retry", ingest_id=ingest.ingest_id)
    assert api(agent_a).post(url).status_code in (403, 404)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(admin_a).post(url)
    assert response.status_code == 202
    assert response.json()["status"] in ("queued", "rejected")
    ingest.refresh_from_db()
    assert ingest.attempts == 2 and ingest.reason == "not_audio"
    # An unknown extension that is still unknown: nothing has changed, nothing is retried.
    waiting = ingest_file(wav, extension="266")
    unchanged = api(admin_a).post(tenant_api(tenant_a, "ingest-retry",
                                             ingest_id=waiting.ingest_id))
    assert unchanged.status_code == 409 and "266" in unchanged.json()["detail"]
    waiting.refresh_from_db()
    assert waiting.attempts == 1
    stored = ingest_file(wav, call_id="fine", extension="201")
    refused = api(admin_a).post(tenant_api(tenant_a, "ingest-retry",
                                           ingest_id=stored.ingest_id))
    assert refused.status_code == 409 and refused.json()["code"] == "not_retryable"


def test_ingests_of_others_are_hidden_from_members(api, agent_a, tenant_a, push, wav):
    push(wav)
    body = api(agent_a).get(tenant_api(tenant_a, "ingest-list")).json()
    assert body["results"] == [] and body["counts"]["queued"] == 0


# --- the menu's upload ----------------------------------------------------------------------
def a_while_ago():
    """A call date relative to now: licences in the fixtures are granted relative to now too."""
    return (timezone.now() - datetime.timedelta(minutes=30)).isoformat()


def upload(client, tenant, path, **fields):
    data = {"direction": "inbound", "started_at": a_while_ago(), **fields}
    with open(path, "rb") as fh:
        data["audio"] = fh
        return client.post(tenant_api(tenant, "recording-upload"), data, format="multipart")


def test_agent_uploads_a_client_recording_of_own_extension(api, agent_a, tenant_a, wav,
                                                           record_201,
                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(api(agent_a), tenant_a, wav, extension="210")
    assert response.status_code == 202
    ingest = Ingest.unscoped.get(ingest_id=response.json()["ingest_id"])
    assert ingest.source == "upload" and ingest.uploaded_by.username == "anna"
    recording = ingest.recording
    assert recording.kind == "client" and recording.extension == "201"
    assert not recording.policy_violation
    assert ingest.call_id.startswith("portal:upload-")
    again = upload(api(agent_a), tenant_a, wav)
    assert again.json()["ingest_id"] == str(ingest.ingest_id)
    own = api(agent_a).get(tenant_api(tenant_a, "ingest-detail", ingest_id=ingest.ingest_id))
    assert own.status_code == 200 and own.json()["status"] == "stored"


def test_admin_uploads_for_a_chosen_extension(api, admin_a, tenant_a, wav, supervisor_ext_a):
    response = upload(api(admin_a), tenant_a, wav, extension="210")
    assert response.status_code == 202
    assert Ingest.unscoped.get().extension == "210"
    unknown = upload(api(admin_a), tenant_a, wav, extension="999")
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_extension"


def test_upload_without_an_extension_is_refused(api, admin_a, tenant_a, wav):
    response = upload(api(admin_a), tenant_a, wav)
    assert response.status_code == 400 and response.json()["code"] == "no_extension"


def test_upload_validates_like_a_push(api, agent_a, tenant_a, wav, settings):
    naive = upload(api(agent_a), tenant_a, wav, started_at="2026-11-25T10:00:00")
    assert naive.status_code == 400 and naive.json()["code"] == "naive_datetime"
    settings.INGEST_MAX_UPLOAD_BYTES = 100
    assert upload(api(agent_a), tenant_a, wav).status_code == 413


def test_upload_with_session_auth_needs_the_csrf_token(agent_a, tenant_a, wav):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(agent_a)
    refused = upload(client, tenant_a, wav)
    assert refused.status_code == 403
    client.get("/t/alpha/recordings/upload/")
    token = client.cookies["csrftoken"].value
    with open(wav, "rb") as fh:
        accepted = client.post(tenant_api(tenant_a, "recording-upload"), {
            "direction": "inbound", "started_at": a_while_ago(), "audio": fh,
        }, format="multipart", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 202, accepted.json()
    assert uuid.UUID(accepted.json()["ingest_id"])


# --- ownership: a portal upload never claims a call the PBX owns (issue 7, item 2) ----------
def test_an_upload_cannot_claim_a_pbx_call_to_discard_its_recordings(
        api, agent_a, tenant_a, supervisor_ext_a, wav, sample_dir, push, record_201,
        django_capture_on_commit_callbacks):
    from recordings.models import Recording
    from tests import audio_samples

    # The member uploads first, naming the call id the PBX will report.
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(api(agent_a), tenant_a, wav, call_id="pbx-call-7")
    assert response.status_code == 202 and response.json()["call_id"] == "portal:pbx-call-7"
    # The PBX then pushes another agent's recording of that call.
    other = audio_samples.pcm_wav(sample_dir, seconds=2, name="other.wav")
    with django_capture_on_commit_callbacks(execute=True):
        pushed = push(other, call_id="pbx-call-7", extension="210")
    assert pushed.status_code == 202
    pbx_call = Call.unscoped.get(tenant=tenant_a, call_id="pbx-call-7")
    assert pbx_call.extension == "210", "the PBX's call has the PBX's parties"
    answer = api(agent_a).post(tenant_api(tenant_a, "call-objection", call_id="pbx-call-7"),
                               {}, format="json")
    assert answer.status_code == 404
    kept = Recording.unscoped.get(call=pbx_call)
    assert kept.audio_state == "stored" and kept.extension == "210"


def test_an_agent_cannot_object_to_a_call_with_another_agents_recording(
        api, agent_a, tenant_a, supervisor_ext_a, sample_dir, push,
        django_capture_on_commit_callbacks):
    from recordings.models import Recording
    from tests import audio_samples

    first = audio_samples.pcm_wav(sample_dir, seconds=2, name="first.wav")
    second = audio_samples.pcm_wav(sample_dir, seconds=3, name="second.wav")
    with django_capture_on_commit_callbacks(execute=True):
        push(first, call_id="shared-call", extension="201")
        push(second, call_id="shared-call", extension="210")
    assert Recording.unscoped.filter(pbx_call_id="shared-call").count() == 2
    from recordings.archive.policy import update_policy

    # The tenant lets agents object on their own calls; this call is not only theirs.
    update_policy(actor=None, tenant=tenant_a, agents_may_object=True)
    answer = api(agent_a).post(tenant_api(tenant_a, "call-objection", call_id="shared-call"),
                               {"reason": "Anrufer widerspricht"}, format="json")
    assert answer.status_code == 404
    assert not Recording.unscoped.filter(pbx_call_id="shared-call",
                                         audio_state="discarded").exists()


def test_the_pbx_may_not_use_the_portal_call_id_space(push, wav):
    response = push(wav, call_id="portal:x")
    assert response.status_code == 400 and response.json()["code"] == "invalid_call_id"
