"""ZIP exports of recordings with a manifest.

``create_export`` freezes the selection (by filter or by ids, scoped to what the actor sees),
checks the size limit and queues ``build_export``; the worker writes the ZIP to a temporary
file on disk one chunk at a time (never the whole ZIP or a whole recording in memory), adds
``manifest.csv`` (metadata and the SHA-256 of every file, computed while copying), and puts the
file to the recordings store (S3 multipart above 64 MiB, or a local file). A periodic task
deletes exports after their expiry. Creation and every download are audited.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import logging
import os
import re
import tempfile
import zipfile
from datetime import UTC, timedelta
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

import audit
from recordings.choices import AudioState
from recordings.models import Call, Export, ExportStatus, Recording
from recordings.selectors import settings_for
from recordings.storage import ObjectMissing, get_store

from .policy import policy_for

log = logging.getLogger(__name__)
MAX_FILES = 50_000
STALE_BUILD_HOURS = 6  # a build running this long is taken to have died with its worker
MANIFEST_FIELDS = (
    "file",
    "included",
    "note",
    "recording_id",
    "call_id",
    "started_at",
    "extension",
    "agent",
    "direction",
    "remote_number",
    "duration_seconds",
    "kind",
    "consent",
    "legal_hold",
    "size",
    "sha256",
    "sha256_as_received",
    "checksum_ok",
)
CALL_FIELDS = (
    "call_id",
    "started_at",
    "ended_at",
    "extension",
    "direction",
    "remote_number",
    "consent",
    "consent_source",
    "consent_set_by",
    "consent_set_at",
    "consent_note",
)


def export_key(export: Export) -> str:
    return f"exports/{export.tenant_id}/{export.export_id}.zip"


def filtered_recordings(*, actor, tenant, filters: dict):
    """The recordings matching the list's filter parameters (the API's ``recordings/``
    filters), among those the actor may see."""
    from recordings.api.filters import RecordingFilter

    queryset = Recording.objects.for_actor(actor, tenant)
    filterset = RecordingFilter(data=filters, queryset=queryset)
    if not filterset.is_valid():
        raise ValidationError(_("The filter is not valid."), code="invalid_filter")
    return filterset.qs


# Parameters of the list's query string that are not filters (a copied query may hold them).
PAGING_PARAMETERS = frozenset({"cursor", "page_size"})
# Ids of rows: the databases' 64-bit integer.
MAX_ID = 2**63 - 1


def clean_filters(raw, *, strict=False) -> dict:
    """Only the filter parameters (paging and the like are dropped). ``strict`` (the API's
    exports and bulk holds): any other name is refused (``unknown_filter``) instead of
    dropped, since a misspelt filter would otherwise widen an export or a hold to everything
    the actor sees."""
    from recordings.api.filters import RecordingFilter

    names = set(RecordingFilter.base_filters)
    raw = raw.dict() if hasattr(raw, "dict") else dict(raw or {})  # a QueryDict: last values
    if strict:
        unknown = sorted(k for k in raw if k not in names and k not in PAGING_PARAMETERS)
        if unknown:
            raise ValidationError(
                _("Not a filter of the recordings: %(names)s."),
                code="unknown_filter", params={"names": ", ".join(unknown)})
    return {k: str(v).strip() for k, v in raw.items() if k in names and str(v).strip()}


def selected_recordings(*, actor, tenant, ids):
    """Recordings named by id, each one the actor may see (else ``unknown_recording``)."""
    try:
        wanted = {int(i) for i in ids}
    except (TypeError, ValueError):
        raise ValidationError(_("Recording ids must be numbers."), code="invalid_ids")
    queryset = Recording.objects.for_actor(actor, tenant).filter(
        pk__in=[i for i in wanted if 0 < i <= MAX_ID])  # no row has another id
    if queryset.count() != len(wanted):
        raise ValidationError(
            _("Some of the chosen recordings do not exist or are not visible to you."),
            code="unknown_recording",
        )
    return queryset


def _size_text(n: int) -> str:
    mib = n / 1024**2
    if mib >= 1024:
        return _("%(n)s GB") % {"n": number_format(round(mib / 1024, 1))}
    return _("%(n)s MB") % {"n": number_format(round(mib, 1))}


def require_access_reason(tenant, reason: str) -> None:
    """Exports give the recordings' audio away: when the tenant requires a reason to play or
    download (``RecordingSettings.access_reason_required``), exporting and downloading an
    export need one too (``ValidationError`` ``reason_required``)."""
    if settings_for(tenant).access_reason_required and not (reason or "").strip():
        raise ValidationError(
            _("Give a reason or case reference before exporting or downloading recordings."),
            code="reason_required")


def create_export(
    *, actor, tenant, queryset, filters: dict | None = None, reason: str = "", subject_request=None
) -> Export:
    """Queue an export of ``queryset`` (scoped already). Raises ``ValidationError`` with code
    ``export_empty`` or ``export_too_large`` (with the sizes in the message), or
    ``reason_required`` (see :func:`require_access_reason`; a data-subject request is its own
    reason)."""
    if subject_request is None:
        require_access_reason(tenant, reason)
    policy = policy_for(tenant)
    rows = list(
        queryset.order_by("started_at", "pk").values_list("pk", "size", "audio_state")[
            : MAX_FILES + 1
        ]
    )
    if not rows and subject_request is None:  # a subject's calls go out even without audio
        raise ValidationError(_("No recordings match; nothing to export."), code="export_empty")
    estimated = sum(size for _pk, size, state in rows if state == AudioState.STORED)
    if len(rows) > MAX_FILES or estimated > policy.export_max_bytes:
        raise ValidationError(
            _(
                "This selection is too large to export: %(files)s recordings with %(size)s of "
                "audio; one export may hold at most %(max)s and %(max_files)s recordings. "
                "Narrow the filter, for example to a shorter period, and export in parts."
            )
            % {
                "files": number_format(len(rows)),
                "size": _size_text(estimated),
                "max": _size_text(policy.export_max_bytes),
                "max_files": number_format(MAX_FILES),
            },
            code="export_too_large",
        )
    ids = [pk for pk, _size, _state in rows]
    with transaction.atomic():
        export = Export.unscoped.create(
            tenant=tenant,
            created_by=actor if getattr(actor, "pk", None) else None,
            subject_request=subject_request,
            filters=filters or {},
            recording_ids=ids,
            reason=(reason or "").strip()[:500],
            total=len(ids),
            estimated_bytes=estimated,
        )
        audit.record(
            actor=actor,
            tenant=tenant,
            action="export.created",
            obj=export,
            data={
                "export_id": str(export.export_id),
                "recordings": len(ids),
                "recording_ids": ids[:1000],
                "filters": filters or {},
                "estimated_bytes": estimated,
                "reason": export.reason,
                "subject_request": subject_request.pk if subject_request else None,
            },
        )
        transaction.on_commit(partial(enqueue_build, export.pk, tenant.pk))
    return export


BUILD_EXPORT = "recordings.archive.build_export"


def enqueue_build(export_pk, tenant_id):
    """Send ``build_export`` by its name (the tasks module imports this one)."""
    from recordings.ingest.queue import send

    try:
        send(BUILD_EXPORT, [export_pk, tenant_id])
    except Exception:
        log.warning("could not enqueue export %s; the periodic task will", export_pk, exc_info=True)


def _safe(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z+_-]+", "", text or "")[:32]


def member_name(recording: Recording) -> str:
    started = recording.started_at.astimezone(UTC)
    parts = [f"{started:%Y-%m-%d_%H%M%S}", _safe(recording.extension) or "x"]
    if recording.remote_number:
        parts.append(_safe(recording.remote_number))
    return f"recordings/{'_'.join(parts)}_{recording.pk}{recording.file_extension or ''}"


def _copy_into(zf: zipfile.ZipFile, name: str, recording: Recording, store) -> str:
    """Stream the recording's object into the ZIP; returns the SHA-256 of the bytes."""
    info = zipfile.ZipInfo(name, date_time=recording.started_at.astimezone(UTC).timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED  # telephony audio does not shrink worth the CPU
    digest = hashlib.sha256()
    body = store.get_range(recording.storage_key)
    try:
        with zf.open(info, "w", force_zip64=True) as target:
            for chunk in body.chunks:
                digest.update(chunk)
                target.write(chunk)
    finally:
        body.close()
    return digest.hexdigest()


def _manifest_row(recording, *, file="", included=False, note="", sha256=""):
    return {
        "file": file,
        "included": "yes" if included else "no",
        "note": note,
        "recording_id": recording.pk,
        "call_id": recording.pbx_call_id,
        "started_at": recording.started_at.astimezone(UTC).isoformat(),
        "extension": recording.extension,
        "agent": recording.pbx_user.display_name if recording.pbx_user_id else "",
        "direction": recording.direction,
        "remote_number": recording.remote_number,
        "duration_seconds": f"{recording.duration:.1f}",
        "kind": recording.kind,
        "consent": recording.consent,
        "legal_hold": "yes" if recording.legal_hold else "no",
        "size": recording.size if included else "",
        "sha256": sha256,
        "sha256_as_received": recording.sha256,
        "checksum_ok": ("yes" if sha256 == recording.sha256 else "no") if included else "",
    }


def _csv_bytes(fields, rows) -> bytes:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode("utf-8-sig")  # the BOM makes spreadsheets read UTF-8


def _calls_rows(export: Export):
    request = export.subject_request
    call_ids = set(
        Recording.unscoped.filter(pk__in=export.recording_ids).values_list("call_id", flat=True)
    )
    calls = Call.unscoped.filter(tenant_id=export.tenant_id, pk__in=call_ids)
    if request is not None:
        calls = calls | Call.unscoped.filter(
            tenant_id=export.tenant_id, remote_number=request.number_e164
        )
    for call in calls.distinct().order_by("started_at", "pk"):
        row = {}
        for name in CALL_FIELDS:
            value = getattr(call, name)
            row[name] = (
                value.astimezone(UTC).isoformat()
                if hasattr(value, "astimezone")
                else ("" if value is None else value)
            )
        yield row


def build_export(export_pk: int, tenant_id: int) -> str:
    """The worker's job: claim the export, write the ZIP, store it. Safe to repeat (a claim
    is a conditional UPDATE; a finished export is left alone). Returns the status."""
    now = timezone.now()
    claimed = Export.unscoped.filter(
        pk=export_pk, tenant_id=tenant_id, status=ExportStatus.QUEUED
    ).update(status=ExportStatus.RUNNING, started_at=now, done=0)
    export = Export.unscoped.select_related("tenant", "subject_request").get(pk=export_pk)
    if not claimed:
        return export.status
    store = get_store()
    fd, tmp_path = tempfile.mkstemp(prefix="export-", suffix=".zip")
    try:
        manifest = []
        with os.fdopen(fd, "w+b") as tmp:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
                done = 0
                ids = export.recording_ids
                for start in range(0, len(ids), 200):
                    chunk = ids[start : start + 200]
                    rows = {
                        r.pk: r
                        for r in Recording.unscoped.select_related("pbx_user")
                        .defer("peaks")
                        .filter(tenant_id=tenant_id, pk__in=chunk)
                    }
                    for pk in chunk:
                        recording = rows.get(pk)
                        if recording is not None:
                            manifest.append(_export_one(zf, recording, store))
                        done += 1
                        Export.unscoped.filter(pk=export_pk).update(done=done)
                zf.writestr("manifest.csv", _csv_bytes(MANIFEST_FIELDS, manifest))
                if export.subject_request_id:
                    zf.writestr("calls.csv", _csv_bytes(CALL_FIELDS, _calls_rows(export)))
            tmp.flush()
            size = tmp.tell()
            tmp.seek(0)
            digest = hashlib.sha256()
            while block := tmp.read(1024 * 1024):
                digest.update(block)
        key = export_key(export)
        store.put_file(
            key, tmp_path, content_type="application/zip", metadata={"sha256": digest.hexdigest()}
        )
        policy = policy_for(export.tenant)
        with transaction.atomic():
            Export.unscoped.filter(pk=export_pk).update(
                status=ExportStatus.READY,
                size=size,
                sha256=digest.hexdigest(),
                storage_key=key,
                finished_at=timezone.now(),
                expires_at=timezone.now() + timedelta(days=policy.export_expiry_days),
            )
            audit.record(
                actor=None,
                tenant=tenant_id,
                action="export.built",
                obj=export,
                data={
                    "export_id": str(export.export_id),
                    "size": size,
                    "sha256": digest.hexdigest(),
                    "included": sum(1 for r in manifest if r["included"] == "yes"),
                    "not_included": sum(1 for r in manifest if r["included"] == "no"),
                },
            )
        return ExportStatus.READY
    except Exception as exc:
        log.exception("export %s failed", export_pk)
        Export.unscoped.filter(pk=export_pk).update(
            status=ExportStatus.FAILED,
            finished_at=timezone.now(),
            error=f"{type(exc).__name__}"[:500],
        )
        return ExportStatus.FAILED
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_path)


def _export_one(zf, recording, store) -> dict:
    if recording.audio_state != AudioState.STORED or not recording.storage_key:
        reason = recording.get_discard_reason_display() or _("audio deleted")
        return _manifest_row(
            recording, note=_("not included: no audio (%(reason)s)") % {"reason": reason}
        )
    name = member_name(recording)
    try:
        sha256 = _copy_into(zf, name, recording, store)
    except ObjectMissing:
        return _manifest_row(recording, note=_("not included: the audio is missing in the storage"))
    return _manifest_row(recording, file=name, included=True, sha256=sha256)


def open_export(*, actor, tenant, export: Export, reason: str = ""):
    """The ZIP's bytes as a stream (``RangeBody``), auditing the download in the same step.
    Raises ``ValidationError`` ``export_not_ready`` unless the export is ready."""
    if export.status != ExportStatus.READY or not export.storage_key:
        raise ValidationError(_("This export is not ready for download."), code="export_not_ready")
    if export.subject_request_id is None:
        require_access_reason(tenant, reason)
    body = get_store().get_range(export.storage_key)
    with transaction.atomic():
        audit.record(
            actor=actor,
            tenant=tenant,
            action="export.downloaded",
            obj=export,
            data={
                "export_id": str(export.export_id),
                "size": export.size,
                "sha256": export.sha256,
                "reason": (reason or "").strip()[:500],
            },
        )
    return body


def download_name(export: Export) -> str:
    created = timezone.localtime(export.created_at)
    prefix = "auskunft" if export.subject_request_id else "aufnahmen"
    return f"{prefix}-{created:%Y-%m-%d-%H%M}-{str(export.export_id)[:8]}.zip"


def expire_exports(now=None) -> int:
    """Delete the ZIPs of exports past their expiry (the periodic task); re-queue exports whose
    build message was lost. Returns how many expired."""
    now = now or timezone.now()
    expired = 0
    for export in Export.unscoped.filter(status=ExportStatus.READY, expires_at__lt=now):
        try:
            get_store().purge(export.storage_key)
        except Exception:
            log.warning("could not delete export %s; retrying later", export.pk, exc_info=True)
            continue
        with transaction.atomic():
            changed = Export.unscoped.filter(pk=export.pk, status=ExportStatus.READY).update(
                status=ExportStatus.EXPIRED
            )
            if changed:
                audit.record(
                    actor=None,
                    tenant=export.tenant_id,
                    action="export.expired",
                    obj=export,
                    data={"export_id": str(export.export_id), "storage_key": export.storage_key},
                )
                expired += 1
    # The broker lost the message, or a worker died while building: queue the export again
    # (the build starts from scratch; its temporary file died with the worker).
    stale = now - timedelta(minutes=10)
    Export.unscoped.filter(
        status=ExportStatus.RUNNING, started_at__lt=now - timedelta(hours=STALE_BUILD_HOURS)
    ).update(status=ExportStatus.QUEUED, done=0)
    for export in Export.unscoped.filter(status=ExportStatus.QUEUED, created_at__lt=stale):
        enqueue_build(export.pk, export.tenant_id)
    return expired


def storage_used(tenant) -> int:
    return (
        Recording.unscoped.filter(tenant_id=tenant.pk, audio_state=AudioState.STORED).aggregate(
            total=Sum("size")
        )["total"]
        or 0
    )
