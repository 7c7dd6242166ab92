"""The archive's menu pages per role: the objection flow (confirmation naming the call,
required reason, tenant setting), legal hold, deletion, exports with progress, settings and
data-subject requests. No inline script on any of them."""

import re

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from recordings.archive.policy import policy_for, update_policy
from recordings.models import Export, LegalHold, SubjectRequest

from .archive_factory import make_recording, stored

pytestmark = pytest.mark.django_db


def url(tenant, name, **kwargs):
    return reverse(f"recordings:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


def assert_no_inline_script(html: str):
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\son[a-z]+=", html.split("</header>", 1)[-1]), "on*= handler"


def test_objection_page_names_the_call_and_needs_a_reason(
    tenant_a, admin_a, agent_ext_a, web, django_capture_on_commit_callbacks
):
    recording = make_recording(tenant_a, remote_number="+49301234567", pbx_user=agent_ext_a)
    recording.call.pbx_user = agent_ext_a
    recording.call.save()
    client = web(admin_a)
    page = client.get(url(tenant_a, "call-objection", call_id=recording.pbx_call_id))
    html = page.content.decode()
    assert page.status_code == 200
    assert "+49301234567" in html and "Anna Agentin" in html and "201" in html
    assert_no_inline_script(html)

    empty = client.post(
        url(tenant_a, "call-objection", call_id=recording.pbx_call_id), {"reason": ""}
    )
    assert empty.status_code == 200  # the form again, with the error
    recording.refresh_from_db()
    assert recording.audio_state == "stored"

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            url(tenant_a, "call-objection", call_id=recording.pbx_call_id),
            {"reason": "Anrufer widersprach am Telefon", "next": url(tenant_a, "list")},
        )
    assert done.status_code == 302 and done["Location"] == url(tenant_a, "list")
    recording.refresh_from_db()
    assert recording.audio_state == "discarded" and not stored(recording)
    event = AuditEvent.unscoped.get(action="call.consent_changed")
    assert event.data["note"] == "Anrufer widersprach am Telefon"


def test_agent_objection_follows_the_tenant_setting(tenant_a, agent_a, web):
    own = make_recording(tenant_a, extension="201")
    client = web(agent_a)
    target = url(tenant_a, "call-objection", call_id=own.pbx_call_id)
    assert client.get(target).status_code == 403
    assert client.post(target, {"reason": "x"}).status_code == 403
    update_policy(actor=None, tenant=tenant_a, agents_may_object=True)
    assert client.get(target).status_code == 200
    foreign = make_recording(tenant_a, extension="202")
    assert (
        client.get(url(tenant_a, "call-objection", call_id=foreign.pbx_call_id)).status_code == 404
    )


def test_legal_hold_pages_for_keepers_only(tenant_a, compliance_a, agent_a, supervisor_a, web):
    recording = make_recording(tenant_a)
    target = url(tenant_a, "legal-hold", recording_id=recording.pk)
    assert web(agent_a).get(target).status_code == 403
    assert web(supervisor_a).get(target).status_code == 403
    client = web(compliance_a)
    assert client.get(target).status_code == 200
    assert client.post(target, {"action": "set", "case_reference": ""}).status_code == 200
    assert not LegalHold.unscoped.exists()
    client.post(target, {"action": "set", "case_reference": "AZ 1/26"})
    recording.refresh_from_db()
    assert recording.legal_hold
    assert "AZ 1/26" in client.get(target).content.decode()
    client.post(target, {"action": "lift", "reason": "done"})
    recording.refresh_from_db()
    assert not recording.legal_hold


def test_bulk_hold_page_confirms_the_count(tenant_a, admin_a, web):
    for _ in range(2):
        make_recording(tenant_a, extension="201")
    make_recording(tenant_a, extension="202")
    client = web(admin_a)
    page = client.get(url(tenant_a, "legal-hold-bulk") + "?extension=201")
    assert page.context["count"] == 2
    client.post(
        url(tenant_a, "legal-hold-bulk"),
        {"filter_query": "extension=201", "expected_count": "3", "case_reference": "C"},
    )
    assert not LegalHold.unscoped.exists()  # the count changed: nothing held
    client.post(
        url(tenant_a, "legal-hold-bulk"),
        {"filter_query": "extension=201", "expected_count": "2", "case_reference": "C"},
    )
    assert LegalHold.unscoped.count() == 2
    # A count that is no number (the form never sends one) is refused, not a 500.
    for count in ("", "x", "1e309"):
        for action in ("set", "lift"):
            response = client.post(url(tenant_a, "legal-hold-bulk"), {
                "filter_query": "extension=201", "expected_count": count, "action": action,
                "case_reference": "C", "reason": "r"})
            assert response.status_code == 302, (count, action)
    assert LegalHold.unscoped.count() == 2


def test_delete_page(tenant_a, admin_a, agent_a, web, django_capture_on_commit_callbacks):
    recording = make_recording(tenant_a)
    target = url(tenant_a, "recording-delete", recording_id=recording.pk)
    assert web(agent_a).get(target).status_code == 403
    client = web(admin_a)
    assert client.post(target, {"reason": ""}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(target, {"reason": "Testanruf"}).status_code == 302
    recording.refresh_from_db()
    assert recording.discard_reason == "deleted"


def test_export_from_the_list_actions_and_progress_page(
    tenant_a, agent_a, admin_a, web, django_capture_on_commit_callbacks
):
    own = make_recording(tenant_a, extension="201")
    make_recording(tenant_a, extension="202")
    client = web(agent_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url(tenant_a, "exports"), {"scope": "filter", "filter_query": "kind=auto"}
        )
    export = Export.unscoped.get()
    assert response["Location"] == url(tenant_a, "export-detail", export_id=export.export_id)
    assert export.recording_ids == [own.pk]  # the agent's own only
    page = client.get(response["Location"])
    html = page.content.decode()
    assert_no_inline_script(html)
    assert 'src="/static/js/recordings-exports.js"' in html and "<progress" in html
    status = client.get(url(tenant_a, "export-status", export_id=export.export_id)).json()
    assert status["status"] == "ready" and status["percent"] == 100
    download = client.get(url(tenant_a, "export-download", export_id=export.export_id))
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert AuditEvent.unscoped.filter(action="export.downloaded").count() == 1
    # Another member does not see it; the admin does.
    assert web(admin_a).get(response["Location"]).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(tenant_a, "exports"), {"scope": "selected", "ids": [own.pk]})
    assert Export.unscoped.count() == 2


def test_settings_page_admin_changes_others_read(tenant_a, admin_a, compliance_a, web):
    target = url(tenant_a, "archive-settings")
    page = web(compliance_a).get(url(tenant_a, "settings"))
    assert page.status_code == 200 and f'action="{target}"' in page.content.decode()
    assert web(compliance_a).get(target)["Location"] == url(tenant_a, "settings") + "#archive"
    assert web(compliance_a).post(target, {"retention_days": "5"}).status_code == 403
    response = web(admin_a).post(
        target,
        {
            "retention_days": "365",
            "retention_auto_days": "90",
            "retention_on_demand_days": "",
            "retention_client_days": "",
            "agents_may_object": "on",
            "export_expiry_days": "3",
            "export_max_bytes": "1000000",
        },
    )
    assert response.status_code == 302
    policy = policy_for(tenant_a)
    assert (policy.retention_days, policy.retention_auto_days, policy.agents_may_object) == (
        365,
        90,
        True,
    )
    assert AuditEvent.unscoped.filter(action="recordings.settings_changed").count() == 1
    # A refused value shows the whole page again, the other part's form unbound beside it.
    bad = web(admin_a).post(target, {"retention_days": "-1", "export_expiry_days": "3",
                                     "export_max_bytes": "1000000"})
    html = bad.content.decode()
    assert bad.status_code == 200 and 'class="field has-error"' in html
    assert 'id="access"' in html and 'name="phone_region"' in html
    # Shown at the archive part's address, the other part still posts to its own.
    assert f'action="{url(tenant_a, "settings")}"' in html
    assert policy_for(tenant_a).retention_days == 365


def test_subject_request_pages(
    tenant_a, compliance_a, agent_a, web, django_capture_on_commit_callbacks
):
    make_recording(tenant_a, remote_number="+49301234567")
    assert web(agent_a).get(url(tenant_a, "subject-requests")).status_code == 403
    client = web(compliance_a)
    response = client.post(
        url(tenant_a, "subject-requests"),
        {"number": "030 1234567", "kind": "erasure", "reason": "Brief"},
    )
    subject = SubjectRequest.unscoped.get()
    assert response["Location"] == url(tenant_a, "subject-request", request_id=subject.pk)
    page = client.get(response["Location"]).content.decode()
    assert "+49301234567" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response["Location"], {"action": "erase"})  # not confirmed
    subject.refresh_from_db()
    assert subject.erased_at is None
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response["Location"], {"action": "erase", "confirm": "yes"})
    subject.refresh_from_db()
    assert subject.erasure_report["recordings_erased"] == 1
    bad = client.post(url(tenant_a, "subject-requests"), {"number": "12", "kind": "access"})
    assert bad.status_code == 200 and SubjectRequest.unscoped.count() == 1


def test_detail_actions_include_renders_per_role(tenant_a, admin_a, agent_a, rf):
    from django.template.loader import render_to_string

    from hostedpbx.scoping import membership_for

    recording = make_recording(tenant_a, legal_hold=True)
    request = rf.get("/")
    html = render_to_string(
        "recordings/_detail_actions.html",
        {
            "tenant": tenant_a,
            "membership": membership_for(admin_a, tenant_a),
            "recording": recording,
            "call": recording.call,
            "request": request,
        },
    )
    assert url(tenant_a, "legal-hold", recording_id=recording.pk) in html
    assert url(tenant_a, "recording-delete", recording_id=recording.pk) not in html  # held
    html = render_to_string(
        "recordings/_detail_actions.html",
        {
            "tenant": tenant_a,
            "membership": membership_for(agent_a, tenant_a),
            "recording": recording,
            "call": recording.call,
            "request": request,
        },
    )
    assert url(tenant_a, "legal-hold", recording_id=recording.pk) not in html
    assert "objection" not in html  # agents may not record objections by default


ROLES = ["admin_a", "compliance_a", "supervisor_a", "agent_a"]
KEEPERS_ONLY = {"admin_a": 200, "compliance_a": 200, "supervisor_a": 403, "agent_a": 403}
EVERYONE = dict.fromkeys(ROLES, 200)


@pytest.fixture
def archive_objects(tenant_a, admin_a):
    recording = make_recording(tenant_a, extension="201")
    export = Export.unscoped.create(
        tenant=tenant_a, created_by=admin_a, recording_ids=[recording.pk], total=1
    )
    subject = SubjectRequest.unscoped.create(
        tenant=tenant_a,
        created_by=admin_a,
        number="+49301234567",
        number_e164="+49301234567",
        kind="access",
    )
    return {"recording": recording, "export": export, "subject": subject}


PAGES = [
    ("exports", {}, EVERYONE),
    (
        "export-detail",
        {"export_id": "export"},
        {"admin_a": 200, "compliance_a": 200, "supervisor_a": 404, "agent_a": 404},
    ),
    ("legal-hold", {"recording_id": "recording"}, KEEPERS_ONLY),
    ("legal-hold-bulk", {}, KEEPERS_ONLY),
    ("recording-delete", {"recording_id": "recording"}, KEEPERS_ONLY),
    # The call is agent 201's: the supervisor does not own it (404, like any call not theirs);
    # the agent owns it, but the tenant does not let agents object (403).
    (
        "call-objection",
        {"call_id": "call"},
        {"admin_a": 200, "compliance_a": 200, "supervisor_a": 404, "agent_a": 403},
    ),
    ("settings", {}, EVERYONE),
    ("subject-requests", {}, KEEPERS_ONLY),
    ("subject-request", {"request_id": "subject"}, KEEPERS_ONLY),
]


@pytest.mark.parametrize(("name", "kwargs", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_every_archive_page_per_role(
    request, tenant_a, archive_objects, web, name, kwargs, expected
):
    values = {
        "export": str(archive_objects["export"].export_id),
        "recording": archive_objects["recording"].pk,
        "call": archive_objects["recording"].pbx_call_id,
        "subject": archive_objects["subject"].pk,
    }
    target = url(tenant_a, name, **{k: values[v] for k, v in kwargs.items()})
    for persona in ROLES:
        response = web(request.getfixturevalue(persona)).get(target)
        assert response.status_code == expected[persona], (persona, target)
        if response.status_code == 200:
            assert_no_inline_script(response.content.decode())


API = [
    ("export-list", EVERYONE),
    (
        "recording-legal-hold-bulk",
        {"admin_a": 400, "compliance_a": 400, "supervisor_a": 403, "agent_a": 403},
    ),
    ("subject-request-list", KEEPERS_ONLY),
    ("archive-policy", EVERYONE),
]


@pytest.mark.parametrize(("name", "expected"), API, ids=[a[0] for a in API])
def test_every_archive_api_list_per_role(request, tenant_a, api, name, expected):
    target = reverse(name, kwargs={"tenant_slug": tenant_a.slug})
    for persona in ROLES:
        response = api(request.getfixturevalue(persona)).get(target)
        assert response.status_code == expected[persona], (persona, target)


def test_pages_showing_a_recording_audit_the_access(tenant_a, compliance_a, web):
    recording = make_recording(tenant_a)
    web(compliance_a).get(url(tenant_a, "legal-hold", recording_id=recording.pk))
    event = AuditEvent.unscoped.get(action="recording.viewed")
    assert event.data["recording_ids"] == [recording.pk]
