"""Reads of the recordings part. ``access_*`` answer 404 for another tenant's object and for
one the actor may not see, so that nobody can probe for existence."""

from __future__ import annotations

import uuid

from django.db.models import Count
from django.http import Http404

from tenancy import permissions

from .choices import IngestStatus
from .metadata import CALL_ID_RE
from .models import Call, Ingest, Recording, RecordingSettings, own_extension

# Not needed for lists (the waveform is for the player on the detail).
LIST_DEFERRED = ("peaks",)


def recordings_for_list(*, actor, tenant):
    """The recordings ``actor`` may see in ``tenant``, with the agent (one query per page)."""
    return (Recording.objects.for_actor(actor, tenant).defer(*LIST_DEFERRED)
            .select_related("pbx_user").order_by("-started_at", "-id"))


def access_recording(*, actor, tenant, recording_id) -> Recording:
    """The recording, or 404 when it is in another tenant, not visible to ``actor`` or the id
    is not a number."""
    try:
        pk = int(recording_id)
    except (TypeError, ValueError):
        raise Http404("No such recording.")
    recording = (Recording.objects.for_actor(actor, tenant).select_related("call", "pbx_user")
                 .filter(pk=pk).first())
    if recording is None:
        raise Http404("No such recording.")
    return recording


def related_recordings(*, actor, tenant, recording):
    """Other recordings of the same call that ``actor`` may see, oldest first."""
    return (Recording.objects.for_actor(actor, tenant).defer(*LIST_DEFERRED)
            .filter(call_id=recording.call_id).exclude(pk=recording.pk)
            .select_related("pbx_user").order_by("started_at", "id"))


def recording_history(*, actor, tenant, recording, limit: int = 100):
    """The audit events about this recording that ``actor`` may read (admins and compliance
    officers: all; others: their own), newest first."""
    from audit.models import AuditEvent

    return list(AuditEvent.objects.for_actor(actor, tenant)
                .filter(object_type="recordings.recording", object_id=str(recording.pk))
                .order_by("-seq")[:limit])


def settings_for(tenant) -> RecordingSettings:
    """The tenant's archive settings (unsaved defaults when never changed)."""
    found = RecordingSettings.unscoped.filter(tenant_id=tenant.pk).first()
    return found or RecordingSettings(tenant=tenant)


def access_call(*, actor, tenant, call_id: str) -> Call:
    if not CALL_ID_RE.match(call_id or ""):
        raise Http404("No such call.")
    call = Call.objects.for_actor(actor, tenant).filter(call_id=call_id).first()
    if call is None:
        raise Http404("No such call.")
    return call


may_object_any_call = permissions.may_object_any_call


def access_call_for_objection(*, actor, membership, tenant, call_id: str) -> Call:
    """The call, when the actor may mark its caller's objection: admins and compliance
    officers on any call of the tenant, everyone else on calls of their own extension only
    when every recording of the call is of that extension too (an objection discards them
    all: nobody discards another agent's recording by owning the call row)."""
    call = access_call(actor=actor, tenant=tenant, call_id=call_id)
    if may_object_any_call(membership):
        return call
    extension = own_extension(membership)
    if not extension or call.extension != extension:
        raise Http404("No such call.")
    # Ownership, not who came first: every recording of the call must be of this extension
    # (a call can carry other agents' recordings, e.g. after a transfer).
    if Recording.unscoped.filter(tenant_id=call.tenant_id, call=call).exclude(
            extension=extension).exists():
        raise Http404("No such call.")
    return call



def access_ingest(*, actor, tenant, ingest_id) -> Ingest:
    try:
        public_id = uuid.UUID(str(ingest_id))
    except ValueError:
        raise Http404("No such ingest.")
    ingest = Ingest.objects.for_actor(actor, tenant).filter(ingest_id=public_id).first()
    if ingest is None:
        raise Http404("No such ingest.")
    return ingest


def ingests_for_list(*, actor, tenant):
    return (Ingest.objects.for_actor(actor, tenant).select_related("node", "uploaded_by")
            .order_by("-created_at", "-id"))


def ingest_counts(queryset) -> dict[str, int]:
    """Rows per status (every status present, zero when none)."""
    counts = dict.fromkeys(IngestStatus.values, 0)
    for row in queryset.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts
