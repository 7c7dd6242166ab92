"""Writes of the recordings part, as the views and other parts call them.

This module is the public front door; the rules live in their own modules, which never
import this one:

- receiving audio: ``recordings.ingest.receive``;
- calls and consent, objections: ``recordings.consent``;
- discarding, deleting audio and staged bytes: ``recordings.cleanup``;
- retrying an ingest and releasing it when its extension appears: here (through
  ``recordings.ingest.lease``, the only code that changes an ingest's status).

Each service runs in one transaction and audits in it; storage side effects run after the
commit, so a rollback never loses a file and a crash after the commit is repaired by the
sweeper.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

import audit
from tenancy.models import PbxUser

from .choices import RETRYABLE_STATUSES, IngestReason, IngestStatus
from .cleanup import discard_recording
from .consent import (
    CALL_ENDED_HOOKS,
    ConsentFinal,
    apply_consent,
    call_details,
    end_call,
    ensure_call,
    object_to_call,
    report_consent,
)
from .ingest.lease import back_to_queued
from .ingest.queue import enqueue_on_commit
from .ingest.receive import find_received, receive_audio
from .models import Ingest

__all__ = [
    "CALL_ENDED_HOOKS", "ConsentFinal", "NotRetryable", "NothingChanged", "apply_consent",
    "call_details",
    "discard_recording", "end_call", "ensure_call", "find_received", "object_to_call",
    "receive_audio",
    "record_access", "release_unknown_extension", "report_consent", "retry_ingest",
]


class NotRetryable(Exception):
    code = "not_retryable"


class NothingChanged(NotRetryable):
    """Retrying would end as before: the extension it waits for is still no PBX user."""


def retry_ingest(*, actor, ingest: Ingest) -> Ingest:
    """Send a rejected or quarantined ingest through the pipeline again (audited). Raises
    ``NotRetryable`` when it is neither, was discarded on the caller's objection, or its
    received bytes are gone."""
    if not ingest.is_retryable:
        raise NotRetryable(_("Only rejected or quarantined ingests can be retried."))
    if not ingest.staged_in:
        raise NotRetryable(_("The received file of this ingest is no longer kept."))
    if ingest.reason == IngestReason.UNKNOWN_EXTENSION and not PbxUser.unscoped.filter(
            tenant_id=ingest.tenant_id, extension=ingest.extension, is_active=True).exists():
        raise NothingChanged(
            _("Nothing has changed yet: extension %(extension)s is still no PBX user. Create "
              "it, and the recording continues by itself.") % {"extension": ingest.extension})
    with transaction.atomic():
        moved = back_to_queued(Ingest.unscoped.filter(
            pk=ingest.pk, status__in=RETRYABLE_STATUSES).exclude(
            reason=IngestReason.CALLER_OBJECTED))
        if moved != 1:
            raise NotRetryable(_("This ingest changed meanwhile; reload and try again."))
        audit.record(actor=actor, tenant=ingest.tenant_id, action="ingest.retried", obj=ingest,
                     data={"ingest_id": str(ingest.ingest_id), "previous_status": ingest.status,
                           "previous_reason": ingest.reason})
        enqueue_on_commit(ingest)
    ingest.refresh_from_db()
    return ingest


def release_unknown_extension(pbx_user: PbxUser) -> int:
    """``tenancy.services.PBX_USER_CHANGED_HOOKS``: a (new or reactivated) PBX user releases
    the ingests quarantined because its extension was unknown. Returns how many."""
    if not pbx_user.is_active:
        return 0
    with transaction.atomic():
        waiting = list(Ingest.unscoped.select_for_update().filter(
            tenant_id=pbx_user.tenant_id, status=IngestStatus.QUARANTINED,
            reason=IngestReason.UNKNOWN_EXTENSION, extension=pbx_user.extension))
        for ingest in waiting:
            back_to_queued(Ingest.unscoped.filter(pk=ingest.pk))
            audit.record(actor=None, tenant=pbx_user.tenant_id, action="ingest.released",
                         obj=ingest, data={"ingest_id": str(ingest.ingest_id),
                                           "extension": pbx_user.extension})
            enqueue_on_commit(ingest)
    return len(waiting)


def record_access(*, actor, tenant, action: str, recordings, filters: dict | None = None):
    """Audit that ``actor`` saw these recordings (``recording.viewed`` for one,
    ``recording.listed`` for a page of a search), with the ids shown and the filters used.

    Reading changes nothing, so the event gets a transaction of its own.
    """
    ids = [r.pk for r in recordings]
    with transaction.atomic():
        audit.record(actor=actor, tenant=tenant, action=action,
                     object_type="recordings.recording",
                     object_id=str(ids[0]) if len(ids) == 1 else "",
                     data={"recording_ids": ids, "filters": filters or {}})
