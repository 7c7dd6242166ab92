"""Playback and download (issue 8 items 4 and 5): byte ranges, If-Range, 416, renditions of
formats browsers cannot play, the original byte for byte, play audited once, reasons."""

import hashlib

import pytest
import soundfile

from recordings.archive_settings import update_recording_settings
from recordings.playback import rendition_key
from recordings.storage import get_store

from .archive_helpers import stored_recording
from .conftest import audit_actions, tenant_api

pytestmark = pytest.mark.django_db

DATA = bytes(range(256)) * 40  # 10,240 bytes, every offset recognisable
SIZE = len(DATA)


@pytest.fixture
def recording(tenant_a, tmp_path, agent_ext_a):
    return stored_recording(tenant_a, tmp_path, DATA)


def menu_audio(recording):
    return f"/t/alpha/recordings/{recording.pk}/audio/"


def api_audio(recording):
    return tenant_api(recording.tenant, "recording-audio", recording_id=recording.pk)


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture(params=["menu", "api"])
def fetch(request, web, api, admin_a):
    """``fetch(recording, range=None, **headers_or_query)`` through the menu or the API."""
    client = web(admin_a) if request.param == "menu" else api(admin_a)
    url_of = menu_audio if request.param == "menu" else api_audio

    def do(recording, byte_range=None, query=None, **headers):
        if byte_range:
            headers["HTTP_RANGE"] = byte_range
        return client.get(url_of(recording), query or {}, **headers)

    return do


def test_whole_file_without_range(fetch, recording):
    response = fetch(recording)
    assert response.status_code == 200 and body(response) == DATA
    assert response["Accept-Ranges"] == "bytes" and response["Content-Type"] == "audio/wav"
    assert response["Content-Length"] == str(SIZE) and response["ETag"]
    assert "inline" in response["Content-Disposition"]


@pytest.mark.parametrize(
    "header,first,last",
    [
        ("bytes=0-99", 0, 99),  # first bytes
        ("bytes=5000-5999", 5000, 5999),  # middle
        (f"bytes={SIZE - 100}-{SIZE - 1}", SIZE - 100, SIZE - 1),  # last bytes
        (f"bytes={SIZE - 10}-", SIZE - 10, SIZE - 1),  # open end
        ("bytes=-300", SIZE - 300, SIZE - 1),  # suffix
        (f"bytes=-{SIZE * 2}", 0, SIZE - 1),  # suffix longer than the file
        (f"bytes=10-{SIZE * 5}", 10, SIZE - 1),  # end beyond the file is clipped
    ],
)
def test_ranges_answer_206_with_exactly_those_bytes(fetch, recording, header, first, last):
    response = fetch(recording, header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert response["Content-Length"] == str(last - first + 1)
    assert body(response) == DATA[first : last + 1]


@pytest.mark.parametrize(
    "header",
    [
        f"bytes={SIZE}-",
        f"bytes={SIZE + 5}-{SIZE + 10}",
        "bytes=50-10",
        "bytes=abc",
        "bytes=-0",
        "bytes=0-1,5-9",
        "bytes=-",
        "bytes=1-x",
    ],
)
def test_invalid_ranges_answer_416(fetch, recording, header):
    response = fetch(recording, header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"
    assert response.json()["code"] == "range_not_satisfiable"


def test_another_unit_is_ignored(fetch, recording):
    assert fetch(recording, "items=0-1").status_code == 200


def test_if_range(fetch, recording):
    etag = fetch(recording)["ETag"]
    last_modified = fetch(recording)["Last-Modified"]
    assert fetch(recording, "bytes=0-9", HTTP_IF_RANGE=etag).status_code == 206
    assert fetch(recording, "bytes=0-9", HTTP_IF_RANGE=last_modified).status_code == 206
    changed = fetch(recording, "bytes=0-9", HTTP_IF_RANGE='"something-else"')
    assert changed.status_code == 200 and body(changed) == DATA
    assert fetch(recording, "bytes=0-9", HTTP_IF_RANGE=f"W/{etag}").status_code == 200
    stale = fetch(recording, "bytes=0-9", HTTP_IF_RANGE="Mon, 01 Jan 2001 00:00:00 GMT")
    assert stale.status_code == 200


def test_a_play_is_audited_once_not_per_range(fetch, recording, tenant_a):
    for header in (None, "bytes=0-", "bytes=4000-", "bytes=9000-"):
        body(fetch(recording, header))
    assert audit_actions(tenant_a, "recording.played") == ["recording.played"]


def test_download_is_the_original_as_attachment_audited_each_time(fetch, recording, tenant_a):
    response = fetch(recording, query={"download": "1"})
    assert response.status_code == 200 and body(response) == DATA
    disposition = response["Content-Disposition"]
    local = recording.started_at.astimezone()
    assert disposition.startswith("attachment") and "ext201" in disposition
    assert "+49301234567" in disposition and disposition.endswith('.wav"')
    assert f"{local:%Y-%m-%d}" in disposition
    body(fetch(recording, query={"download": "1"}))
    resumed = fetch(recording, "bytes=5000-", query={"download": "1"})
    assert resumed.status_code == 206
    assert audit_actions(tenant_a, "recording.downloaded") == ["recording.downloaded"] * 2


def test_reason_required_by_the_tenant(fetch, recording, tenant_a, admin_a):
    from audit.models import AuditEvent

    update_recording_settings(
        actor=admin_a, tenant=tenant_a, changes={"access_reason_required": True}
    )
    refused = fetch(recording)
    assert refused.status_code == 400 and refused.json()["code"] == "reason_required"
    assert fetch(recording, query={"download": "1"}).status_code == 400
    ok = fetch(recording, "bytes=0-9", query={"reason": "Case 4711"})
    assert ok.status_code == 206
    header = fetch(recording, query={"download": "1"}, HTTP_X_ACCESS_REASON="Beschwerde 12")
    assert header.status_code == 200
    reasons = [
        e.data["reason"]
        for e in AuditEvent.unscoped.filter(
            tenant=tenant_a, action__in=["recording.played", "recording.downloaded"]
        ).order_by("seq")
    ]
    assert reasons == ["Case 4711", "Beschwerde 12"]


def test_discarded_audio_answers_410(fetch, recording):
    from django.utils import timezone

    type(recording).unscoped.filter(pk=recording.pk).update(
        audio_state="discarded", discarded_at=timezone.now()
    )
    response = fetch(recording)
    assert response.status_code == 410 and response.json()["code"] == "audio_discarded"


def test_head_sends_headers_without_audit(api, admin_a, recording, tenant_a):
    response = api(admin_a).head(api_audio(recording))
    assert response.status_code == 200 and response["Content-Length"] == str(SIZE)
    assert audit_actions(tenant_a, "recording.played") == []


def test_audio_ignores_accept_headers(api, admin_a, recording):
    response = api(admin_a).get(api_audio(recording), HTTP_ACCEPT="audio/*", HTTP_RANGE="bytes=0-1")
    assert response.status_code == 206


def test_member_cannot_play_another_extensions_recording(
    web, api, agent_a, tenant_a, tmp_path, supervisor_ext_a
):
    theirs = stored_recording(tenant_a, tmp_path, DATA, extension="210")
    assert web(agent_a).get(menu_audio(theirs)).status_code == 404
    assert api(agent_a).get(api_audio(theirs)).status_code == 404


@pytest.mark.parametrize("maker", ["mulaw_wav", "alaw_wav", "gsm_wav"])
def test_formats_browsers_cannot_play_get_a_cached_pcm_rendition(
    maker, web, admin_a, ingest_file, sample_dir, monitor_201, tmp_path
):
    from tests import audio_samples

    path = getattr(audio_samples, maker)(sample_dir)
    original = path.read_bytes()
    recording = ingest_file(path).recording
    assert recording.codec in ("mulaw", "alaw", "gsm610")
    client = web(admin_a)
    played = client.get(menu_audio(recording))
    assert played.status_code == 200 and played["Content-Type"] == "audio/wav"
    rendition = tmp_path / "rendition.wav"
    rendition.write_bytes(body(played))
    info = soundfile.info(str(rendition))
    assert info.subtype == "PCM_16" and abs(info.duration - recording.duration) < 0.1
    assert get_store().head(rendition_key(recording)) is not None
    part = client.get(menu_audio(recording), HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and body(part) == rendition.read_bytes()[100:200]
    download = client.get(menu_audio(recording), {"download": "1"})
    downloaded = body(download)
    assert hashlib.sha256(downloaded).hexdigest() == hashlib.sha256(original).hexdigest()
    assert download["Content-Type"] == recording.mime_type


@pytest.mark.s3
def test_on_s3_a_range_reads_only_its_bytes(s3, web, admin_a, tenant_a, tmp_path, agent_ext_a):
    from recordings.storage import s3_client

    big = bytes(range(256)) * 4096  # 1 MiB
    recording = stored_recording(tenant_a, tmp_path, big)
    fetched = []

    def count(parsed, **kwargs):
        fetched.append(parsed.get("ContentLength"))

    events = s3_client().meta.events
    events.register("after-call.s3.GetObject", count)
    try:
        middle = len(big) // 2
        response = web(admin_a).get(
            menu_audio(recording), HTTP_RANGE=f"bytes={middle}-{middle + 65535}"
        )
        assert response.status_code == 206 and body(response) == big[middle : middle + 65536]
    finally:
        events.unregister("after-call.s3.GetObject", count)
    assert fetched == [65536]


def test_api_detail_links_the_audio(api, admin_a, recording, tenant_a):
    detail = api(admin_a).get(
        tenant_api(tenant_a, "recording-detail", recording_id=recording.pk)
    ).json()
    assert detail["audio_url"] == api_audio(recording)
