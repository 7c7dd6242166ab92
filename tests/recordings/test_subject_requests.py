"""Data-subject requests (GDPR Art. 15 and 17): a number in any notation finds the calls,
recordings and consent records; the export is a ZIP with a manifest and the calls; erasure
spares what is on hold and reports it; everything is audited; roles and tenants."""

import csv
import io
import zipfile

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from recordings.archive import holds, subject_requests
from recordings.models import Call, Ingest, Recording, SubjectRequest

from .archive_factory import make_recording, stored

pytestmark = pytest.mark.django_db
SUBJECT = "+49301234567"


def _url(tenant, request_id=None, action=None):
    if request_id is None:
        return reverse("subject-request-list", kwargs={"tenant_slug": tenant.slug})
    name = f"subject-request-{action}" if action else "subject-request-detail"
    return reverse(name, kwargs={"tenant_slug": tenant.slug, "request_id": request_id})


@pytest.mark.parametrize(
    "notation", ["030 1234567", "+49 30 1234567", "0049301234567", "49301234567", "(030) 123-45-67"]
)
def test_any_notation_finds_the_same_number(tenant_a, notation):
    assert subject_requests.normalise_subject_number(notation, tenant_a) == SUBJECT


def test_invalid_number_is_refused(tenant_a, compliance_a, api):
    response = api(compliance_a).post(
        _url(tenant_a), {"number": "12", "kind": "access"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_number"


def test_access_request_finds_and_exports_everything(
    tenant_a, compliance_a, api, django_capture_on_commit_callbacks
):
    one = make_recording(tenant_a, remote_number=SUBJECT, consent="consented")
    two = make_recording(tenant_a, remote_number=SUBJECT)
    make_recording(tenant_a, remote_number="+4940111111")
    client = api(compliance_a)
    response = client.post(
        _url(tenant_a),
        {"number": "030 1234567", "kind": "access", "reason": "Brief vom 3.11."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number_e164"] == SUBJECT
    assert body["found"] == {
        "calls": 2,
        "consent_records": 1,
        "recordings": 2,
        "with_audio": 2,
        "on_hold": 0,
    }

    with django_capture_on_commit_callbacks(execute=True):
        export = client.post(_url(tenant_a, body["id"], "export"))
    assert export.status_code == 202
    status = client.get(
        reverse(
            "export-detail",
            kwargs={"tenant_slug": tenant_a.slug, "export_id": export.json()["export_id"]},
        )
    ).json()
    assert status["status"] == "ready"
    zf = zipfile.ZipFile(io.BytesIO(b"".join(client.get(status["download_url"]).streaming_content)))
    manifest = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8-sig"))))
    assert {int(r["recording_id"]) for r in manifest} == {one.pk, two.pk}
    calls = list(csv.DictReader(io.StringIO(zf.read("calls.csv").decode("utf-8-sig"))))
    assert {c["call_id"] for c in calls} == {one.pbx_call_id, two.pbx_call_id}
    assert {c["consent"] for c in calls} == {"consented", "unknown"}
    actions = set(AuditEvent.unscoped.filter(tenant=tenant_a).values_list("action", flat=True))
    assert {"subject_request.created", "export.created", "export.downloaded"} <= actions


def test_erasure_spares_and_reports_what_is_on_hold(
    tenant_a, compliance_a, api, django_capture_on_commit_callbacks
):
    free = make_recording(tenant_a, remote_number=SUBJECT)
    held = make_recording(tenant_a, remote_number=SUBJECT)
    other = make_recording(tenant_a, remote_number="+4940111111")
    holds.set_legal_hold(actor=compliance_a, recording=held, case_reference="LG 1/26")
    client = api(compliance_a)
    created = client.post(
        _url(tenant_a), {"number": "0049 30 1234567", "kind": "erasure"}, format="json"
    ).json()
    assert created["found"]["on_hold"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(tenant_a, created["id"], "erase"))
    assert response.status_code == 200
    report = response.json()["erasure_report"]
    assert report["recordings_erased"] == 1 and report["recordings_on_hold"] == [held.pk]
    assert report["calls_erased"] == 1 and report["calls_kept"] == [held.pbx_call_id]

    free.refresh_from_db()
    assert free.audio_state == "discarded" and free.discard_reason == "erasure"
    assert free.remote_number == "" and not stored(free)
    assert Call.unscoped.get(pk=free.call_id).remote_number == ""
    assert Ingest.unscoped.get(pk=free.ingest_id).metadata["remote_number"] == ""
    held.refresh_from_db()
    assert held.audio_state == "stored" and held.remote_number == SUBJECT and stored(held)
    other.refresh_from_db()
    assert other.audio_state == "stored" and other.remote_number == "+4940111111"
    event = AuditEvent.unscoped.get(action="subject_request.erased")
    assert event.data["recordings_on_hold"] == [held.pk]


def test_access_request_cannot_erase(tenant_a, compliance_a, api):
    make_recording(tenant_a, remote_number=SUBJECT)
    created = (
        api(compliance_a)
        .post(_url(tenant_a), {"number": SUBJECT, "kind": "access"}, format="json")
        .json()
    )
    response = api(compliance_a).post(_url(tenant_a, created["id"], "erase"))
    assert response.status_code == 409
    assert Recording.unscoped.filter(audio_state="stored").count() == 1


@pytest.mark.parametrize("persona", ["agent_a", "supervisor_a"])
def test_agents_and_supervisors_have_no_access(request, tenant_a, api, persona):
    client = api(request.getfixturevalue(persona))
    assert client.get(_url(tenant_a)).status_code == 403
    response = client.post(_url(tenant_a), {"number": SUBJECT, "kind": "access"}, format="json")
    assert response.status_code == 403
    assert not SubjectRequest.unscoped.exists()


def test_other_tenant_sees_nothing(tenant_a, tenant_b, compliance_a, admin_b, api):
    make_recording(tenant_a, remote_number=SUBJECT)
    created = (
        api(compliance_a)
        .post(_url(tenant_a), {"number": SUBJECT, "kind": "erasure"}, format="json")
        .json()
    )
    client = api(admin_b)
    assert client.get(_url(tenant_a, created["id"])).status_code == 404
    assert client.post(_url(tenant_a, created["id"], "erase")).status_code == 404
    # Tenant B's own request for the same number finds nothing of tenant A.
    own = client.post(_url(tenant_b), {"number": SUBJECT, "kind": "access"}, format="json").json()
    assert own["found"]["recordings"] == 0 and own["found"]["calls"] == 0


def test_access_export_without_recordings_still_lists_the_calls(
    tenant_a, compliance_a, api, django_capture_on_commit_callbacks
):
    Call.unscoped.create(
        tenant=tenant_a,
        call_id="only-consent",
        extension="201",
        remote_number=SUBJECT,
        consent="objected",
        consent_source="routing",
    )
    client = api(compliance_a)
    created = client.post(
        _url(tenant_a), {"number": "030 1234567", "kind": "access"}, format="json"
    ).json()
    assert created["found"]["calls"] == 1 and created["found"]["recordings"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        export = client.post(_url(tenant_a, created["id"], "export"))
    assert export.status_code == 202
    status = client.get(
        reverse(
            "export-detail",
            kwargs={"tenant_slug": tenant_a.slug, "export_id": export.json()["export_id"]},
        )
    ).json()
    download = client.get(status["download_url"])
    zf = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    calls = list(csv.DictReader(io.StringIO(zf.read("calls.csv").decode("utf-8-sig"))))
    assert [(c["call_id"], c["consent"]) for c in calls] == [("only-consent", "objected")]
    assert zf.read("manifest.csv").decode("utf-8-sig").count("\n") == 1  # the header only


def test_a_person_in_two_tenants_sees_only_the_tenant_of_the_url(
    tenant_a, tenant_b, compliance_a, api, django_capture_on_commit_callbacks
):
    from tests.factories import MembershipFactory

    MembershipFactory(tenant=tenant_b, user=compliance_a, role="compliance")
    make_recording(tenant_a, remote_number=SUBJECT)
    client = api(compliance_a)
    in_b = client.post(_url(tenant_b), {"number": SUBJECT, "kind": "erasure"}, format="json")
    assert in_b.json()["found"]["recordings"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url(tenant_b, in_b.json()["id"], "erase"))
    assert Recording.unscoped.get(tenant=tenant_a).audio_state == "stored"
    export = client.post(
        reverse("export-list", kwargs={"tenant_slug": tenant_b.slug}), {}, format="json"
    )
    assert export.status_code == 400 and export.json()["code"] == "export_empty"
