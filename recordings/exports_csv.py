"""The filtered list's metadata as CSV, streamed row by row (memory stays flat), audited as
``recording.metadata_exported`` with the filters and taken before the first byte is sent."""

from __future__ import annotations

import csv

from django.db import transaction
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

import audit

COLUMNS = (
    "id",
    "call_id",
    "started_at",
    "duration_seconds",
    "extension",
    "agent",
    "direction",
    "remote_number",
    "kind",
    "consent",
    "legal_hold",
    "policy_violation",
    "truncated",
    "audio",
    "sha256",
    "size",
)


class _Echo:
    def write(self, value):
        return value


def _row(recording) -> tuple:
    return (
        recording.pk,
        recording.pbx_call_id,
        recording.started_at.isoformat(),
        f"{recording.duration:.1f}",
        recording.extension,
        recording.pbx_user.display_name if recording.pbx_user_id else "",
        recording.direction,
        recording.remote_number,
        recording.kind,
        recording.consent,
        str(recording.legal_hold).lower(),
        str(recording.policy_violation).lower(),
        str(recording.truncated).lower(),
        recording.audio_state,
        recording.sha256,
        recording.size,
    )


def metadata_csv_response(*, actor, tenant, rows, filters: dict) -> StreamingHttpResponse:
    """``rows``: the filtered, ordered queryset (with ``pbx_user`` selected)."""
    with transaction.atomic():
        audit.record(
            actor=actor,
            tenant=tenant,
            action="recording.metadata_exported",
            object_type="recordings.recording",
            data={"filters": {k: v for k, v in filters.items() if k != "cursor"}},
        )
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(COLUMNS)
        for recording in rows.select_related("pbx_user").iterator(chunk_size=2000):
            yield writer.writerow(_row(recording))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = f"recordings-{tenant.slug}-{timezone.localtime():%Y-%m-%d_%H-%M}.csv"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
