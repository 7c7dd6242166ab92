"""ZIP exports: by ids or by filter, built by the worker, the manifest's checksums checked
against the files inside the ZIP, tombstones listed as not included, the size limit, expiry,
audit of creation and of every download, roles and tenants."""

import csv
import hashlib
import io
import zipfile
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from recordings.archive import exports
from recordings.archive.policy import update_policy
from recordings.models import Export
from recordings.storage import get_store

from .archive_factory import make_recording

pytestmark = pytest.mark.django_db


def _list_url(tenant):
    return reverse("export-list", kwargs={"tenant_slug": tenant.slug})


def _detail_url(tenant, export_id, suffix="detail"):
    return reverse(f"export-{suffix}", kwargs={"tenant_slug": tenant.slug, "export_id": export_id})


def _zip_of(response):
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _manifest(zf):
    return list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8-sig"))))


def test_export_by_ids_manifest_checksums_match_the_files(
    tenant_a, admin_a, api, django_capture_on_commit_callbacks
):
    first = make_recording(tenant_a, audio=b"RIFF first recording" * 500)
    second = make_recording(tenant_a, audio=b"RIFF second one" * 700)
    tombstone = make_recording(tenant_a)
    from django.db import transaction

    from recordings.services import discard_recording

    with transaction.atomic():
        discard_recording(actor=None, recording=tombstone, by="x", reason="retention")

    client = api(admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _list_url(tenant_a),
            {"ids": [first.pk, second.pk, tombstone.pk], "reason": "Anfrage Kunde 4711"},
            format="json",
        )
    assert response.status_code == 202, response.json()
    export_id = response.json()["export_id"]

    status = client.get(_detail_url(tenant_a, export_id)).json()
    assert status["status"] == "ready" and status["done"] == status["total"] == 3
    assert status["progress"] == 100 and status["download_url"]

    download = client.get(status["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert "attachment" in download["Content-Disposition"]
    zf = _zip_of(download)
    rows = {int(r["recording_id"]): r for r in _manifest(zf)}
    assert set(rows) == {first.pk, second.pk, tombstone.pk}
    for recording in (first, second):
        row = rows[recording.pk]
        data = zf.read(row["file"])
        assert hashlib.sha256(data).hexdigest() == row["sha256"] == recording.sha256
        assert row["included"] == "yes" and row["checksum_ok"] == "yes"
        assert int(row["size"]) == len(data)
    assert rows[tombstone.pk]["included"] == "no" and rows[tombstone.pk]["file"] == ""
    assert rows[tombstone.pk]["note"].startswith(
        "nicht enthalten"
    )  # German, as the tenant reads it
    assert len([n for n in zf.namelist() if n.startswith("recordings/")]) == 2

    created = AuditEvent.unscoped.get(tenant=tenant_a, action="export.created")
    assert created.data["reason"] == "Anfrage Kunde 4711"
    assert created.data["recordings"] == 3
    client.get(status["download_url"])
    assert AuditEvent.unscoped.filter(tenant=tenant_a, action="export.downloaded").count() == 2


def test_export_by_filter_takes_the_list_parameters(
    tenant_a, admin_a, api, django_capture_on_commit_callbacks
):
    wanted = make_recording(tenant_a, extension="201", remote_number="+4930999999")
    make_recording(tenant_a, extension="202")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(admin_a).post(_list_url(tenant_a) + "?extension=201", {}, format="json")
    assert response.status_code == 202
    assert response.json()["recording_ids"] == [wanted.pk]
    assert response.json()["filters"] == {"extension": "201"}

    with django_capture_on_commit_callbacks(execute=True):
        response = api(admin_a).post(
            _list_url(tenant_a), {"filters": {"number": "030 999999"}}, format="json"
        )
    assert response.json()["recording_ids"] == [wanted.pk]


def test_size_limit_answers_a_clear_message(tenant_a, admin_a, api):
    update_policy(actor=admin_a, tenant=tenant_a, export_max_bytes=1000)
    recording = make_recording(tenant_a, audio=b"x" * 5000)
    response = api(admin_a).post(_list_url(tenant_a), {"ids": [recording.pk]}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "export_too_large"
    assert "Narrow the filter" in body["detail"] or "Filter" in body["detail"]
    assert not Export.unscoped.exists()


def test_empty_selection_is_refused(tenant_a, admin_a, api):
    response = api(admin_a).post(_list_url(tenant_a) + "?extension=999", {}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "export_empty"


def test_agent_exports_only_own_recordings(
    tenant_a, agent_a, admin_a, api, django_capture_on_commit_callbacks
):
    own = make_recording(tenant_a, extension="201")
    foreign = make_recording(tenant_a, extension="202")
    client = api(agent_a)
    response = client.post(_list_url(tenant_a), {"ids": [own.pk, foreign.pk]}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "unknown_recording"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_list_url(tenant_a), {}, format="json")
    assert response.json()["recording_ids"] == [own.pk]
    # Each sees their own exports; the admin sees all of the tenant.
    admin_export = exports.create_export(
        actor=admin_a,
        tenant=tenant_a,
        queryset=exports.filtered_recordings(actor=admin_a, tenant=tenant_a, filters={}),
    )
    assert client.get(_detail_url(tenant_a, admin_export.export_id)).status_code == 404
    listed = api(admin_a).get(_list_url(tenant_a)).json()["results"]
    assert len(listed) == 2


def test_other_tenant_gets_404(
    tenant_a, tenant_b, admin_a, admin_b, api, django_capture_on_commit_callbacks
):
    recording = make_recording(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        export_id = (
            api(admin_a)
            .post(_list_url(tenant_a), {"ids": [recording.pk]}, format="json")
            .json()["export_id"]
        )
    client = api(admin_b)
    assert client.get(_detail_url(tenant_a, export_id)).status_code == 404
    assert client.get(_detail_url(tenant_a, export_id, "download")).status_code == 404
    # Tenant B cannot name tenant A's recordings in its own export either.
    response = client.post(_list_url(tenant_b), {"ids": [recording.pk]}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "unknown_recording"


def test_expired_export_is_deleted_by_the_periodic_task(
    tenant_a, admin_a, api, django_capture_on_commit_callbacks
):
    from recordings.archive.tasks import expire_exports

    recording = make_recording(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        export_id = (
            api(admin_a)
            .post(_list_url(tenant_a), {"ids": [recording.pk]}, format="json")
            .json()["export_id"]
        )
    export = Export.unscoped.get(export_id=export_id)
    assert get_store().head(export.storage_key) is not None
    assert expire_exports.delay().get() == 0  # not yet
    Export.unscoped.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    assert expire_exports.delay().get() == 1
    export.refresh_from_db()
    assert export.status == "expired"
    assert get_store().head(export.storage_key) is None
    response = api(admin_a).get(_detail_url(tenant_a, export_id, "download"))
    assert response.status_code == 409 and response.json()["code"] == "export_not_ready"
    assert AuditEvent.unscoped.filter(action="export.expired").count() == 1


def test_progress_is_counted_while_building(tenant_a, admin_a):
    recordings = [make_recording(tenant_a) for _ in range(3)]
    export = exports.create_export(
        actor=admin_a,
        tenant=tenant_a,
        queryset=exports.selected_recordings(
            actor=admin_a, tenant=tenant_a, ids=[r.pk for r in recordings]
        ),
    )
    assert (export.status, export.done, export.total, export.percent) == ("queued", 0, 3, 0)
    assert exports.build_export(export.pk, tenant_a.pk) == "ready"
    export.refresh_from_db()
    assert (export.done, export.percent) == (3, 100)
    # A second run (a redelivered message) changes nothing.
    assert exports.build_export(export.pk, tenant_a.pk) == "ready"


@pytest.mark.s3
def test_export_to_s3(s3, tenant_a, admin_a, api, django_capture_on_commit_callbacks):
    recording = make_recording(tenant_a, audio=b"RIFF s3 audio" * 1000)
    client = api(admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        export_id = client.post(_list_url(tenant_a), {"ids": [recording.pk]}, format="json").json()[
            "export_id"
        ]
    export = Export.unscoped.get(export_id=export_id)
    assert export.status == "ready"
    head = s3.head_object(Bucket=s3.bucket_name, Key=export.storage_key)
    assert head["ContentLength"] == export.size
    zf = _zip_of(client.get(_detail_url(tenant_a, export_id, "download")))
    row = _manifest(zf)[0]
    assert hashlib.sha256(zf.read(row["file"])).hexdigest() == recording.sha256


def test_audio_missing_in_storage_is_listed_not_included(tenant_a, admin_a):
    present = make_recording(tenant_a)
    missing = make_recording(tenant_a)
    get_store().purge(missing.storage_key)
    export = exports.create_export(
        actor=admin_a,
        tenant=tenant_a,
        queryset=exports.selected_recordings(
            actor=admin_a, tenant=tenant_a, ids=[present.pk, missing.pk]
        ),
    )
    assert exports.build_export(export.pk, tenant_a.pk) == "ready"
    export.refresh_from_db()
    body = get_store().get_range(export.storage_key)
    zf = zipfile.ZipFile(io.BytesIO(b"".join(body.chunks)))
    rows = {int(r["recording_id"]): r for r in _manifest(zf)}
    assert rows[present.pk]["included"] == "yes"
    assert rows[missing.pk]["included"] == "no" and "Speicher" in rows[missing.pk]["note"]


def test_an_export_whose_worker_died_is_built_again(
    tenant_a, admin_a, django_capture_on_commit_callbacks
):
    recording = make_recording(tenant_a)
    export = exports.create_export(
        actor=admin_a,
        tenant=tenant_a,
        queryset=exports.selected_recordings(actor=admin_a, tenant=tenant_a, ids=[recording.pk]),
    )
    long_ago = timezone.now() - timedelta(hours=exports.STALE_BUILD_HOURS + 1)
    Export.unscoped.filter(pk=export.pk).update(
        status="running", started_at=long_ago, created_at=long_ago, done=0
    )
    exports.expire_exports()  # the periodic task; Celery runs eagerly here
    export.refresh_from_db()
    assert export.status == "ready" and export.done == 1


def test_a_tenant_that_requires_a_reason_gets_one_for_exports_and_their_downloads(
    tenant_a, admin_a, api, web, django_capture_on_commit_callbacks
):
    from recordings.archive_settings import update_recording_settings

    update_recording_settings(actor=admin_a, tenant=tenant_a,
                              changes={"access_reason_required": True})
    recording = make_recording(tenant_a, audio=b"RIFF needs a reason" * 100)
    client = api(admin_a)
    refused = client.post(_list_url(tenant_a), {"ids": [recording.pk]}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "reason_required"
    assert not Export.unscoped.filter(tenant=tenant_a).exists()
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(_list_url(tenant_a), {"ids": [recording.pk], "reason": "Fall 17"},
                              format="json")
    assert created.status_code == 202, created.content
    export_id = created.json()["export_id"]
    download = _detail_url(tenant_a, export_id, "download")
    without = client.get(download)
    assert without.status_code == 400 and without.json()["code"] == "reason_required"
    assert client.get(download, {"reason": "Fall 17"}).status_code == 200
    downloads = AuditEvent.objects.for_actor(admin_a, tenant_a).filter(
        action="export.downloaded")
    assert [event.data["reason"] for event in downloads] == ["Fall 17"]
    page = web(admin_a).get(f"/t/{tenant_a.slug}/recordings/exports/{export_id}/")
    assert 'id="download-reason"' in page.content.decode()
