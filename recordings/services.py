"""Writes of the recordings part: calls and consent, receiving audio, retries, discarding.

Each service runs in one transaction and audits in it; storage side effects (deleting audio,
removing staged files, enqueueing) run after the commit, so a rollback never loses a file and
a crash after the commit is repaired by the periodic tasks in ``recordings.tasks``.
"""

from __future__ import annotations

import logging
import uuid
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from tenancy.choices import Role
from tenancy.models import PbxUser

from . import staging
from .choices import (
    RETRYABLE_STATUSES,
    AudioState,
    Consent,
    ConsentSource,
    DiscardReason,
    IngestReason,
    IngestSource,
    IngestStatus,
    StagedIn,
)
from .conf import setting
from .metadata import ended_at_of
from .models import Call, Ingest, PendingObjectDeletion, Recording
from .phone import normalise_number
from .storage import get_store, staging_key

log = logging.getLogger(__name__)


class ConsentFinal(Exception):
    """The caller objected already; an objection cannot be taken back."""

    code = "consent_final"


class NotRetryable(Exception):
    code = "not_retryable"


# --- enqueueing -----------------------------------------------------------------------------
def enqueue_ingest(ingest_id, tenant_id) -> bool:
    """Send ``process_ingest`` to the broker. A broker that is down is logged, not raised: the
    ingest row is committed, and the sweeper enqueues it again (the database, not the broker,
    knows what is to do)."""
    from .tasks import process_ingest

    try:
        process_ingest.apply_async(
            args=[str(ingest_id), tenant_id], retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5,
                          "interval_max": 1},
        )
    except Exception:
        log.warning("could not enqueue ingest %s; the sweeper will", ingest_id, exc_info=True)
        return False
    return True


def enqueue_on_commit(ingest: Ingest) -> None:
    transaction.on_commit(partial(enqueue_ingest, ingest.ingest_id, ingest.tenant_id))


# --- calls and consent ----------------------------------------------------------------------
def call_details(metadata: dict) -> dict:
    """The call fields a recording's (cleaned) metadata or a PBX call report carries."""
    from .metadata import started_at_of

    details = {}
    for name in ("extension", "direction"):
        if metadata.get(name):
            details[name] = metadata[name]
    for name in ("remote_number", "local_number"):
        if metadata.get(name):
            details[name] = normalise_number(metadata[name])
            details[f"{name}_raw"] = metadata[name][:64]
    if metadata.get("started_at"):
        details["started_at"] = started_at_of(metadata)
    if metadata.get("ended_at"):
        details["ended_at"] = ended_at_of(metadata)
    return details


def ensure_call(*, tenant, call_id: str, details: dict | None = None, lock: bool = False) -> Call:
    """The tenant's call ``call_id``, created if new; blank fields are filled from
    ``details`` (what is known is never overwritten). Runs inside the caller's transaction;
    ``lock`` takes the row lock that serialises consent changes and the pipeline's commit."""
    details = dict(details or {})
    if details.get("extension") and "pbx_user" not in details:
        details["pbx_user"] = PbxUser.unscoped.filter(
            tenant_id=getattr(tenant, "pk", tenant), extension=details["extension"]).first()
    tenant_id = getattr(tenant, "pk", tenant)
    call, created = Call.unscoped.get_or_create(tenant_id=tenant_id, call_id=call_id,
                                                defaults=details)
    if lock and not created:  # a row this transaction inserted is locked by it already
        call = Call.unscoped.select_for_update().get(pk=call.pk)
    if not created:
        changed = []
        for name, value in details.items():
            if value in (None, "") or getattr(call, name) not in (None, ""):
                continue
            setattr(call, name, value)
            changed.append(name)
        if changed:
            call.save(update_fields=[*changed, "updated_at"])
    return call


def apply_consent(*, actor, call: Call, outcome: str, source: str, set_by: str, note: str = "",
                  at=None) -> bool:
    """Set the caller's consent on a call locked by the caller's transaction; returns whether
    it changed. ``objected`` is final (``ConsentFinal`` for any other outcome later) and
    discards the audio of the call's recordings."""
    if call.consent == outcome:
        return False
    if call.consent == Consent.OBJECTED:
        raise ConsentFinal(_("The caller objected already; an objection is final."))
    before = call.consent
    at = at or timezone.now()
    call.consent = outcome
    call.consent_source = source
    call.consent_set_by = (set_by or "")[:200]
    call.consent_set_at = at
    call.consent_note = (note or "")[:500]
    call.save(update_fields=["consent", "consent_source", "consent_set_by", "consent_set_at",
                             "consent_note", "updated_at"])
    Recording.unscoped.filter(call=call).update(consent=outcome)
    audit.record(actor=actor, tenant=call.tenant_id, action="call.consent_changed", obj=call,
                 data={"call_id": call.call_id, "before": before, "after": outcome,
                       "source": source, "set_by": call.consent_set_by, "note": note,
                       "at": at})
    if outcome == Consent.OBJECTED:
        _discard_call_audio(actor=actor, call=call)
    return True


def report_consent(*, actor, tenant, call_id: str, outcome: str, source: str, set_by: str,
                   note: str = "", at=None, details: dict | None = None) -> tuple[Call, bool]:
    """A consent outcome reported for a call (by the PBX, the routing or a person); creates
    the call when the portal has not seen it yet. Idempotent for a repeated report."""
    with transaction.atomic():
        call = ensure_call(tenant=tenant, call_id=call_id, details=details, lock=True)
        changed = apply_consent(actor=actor, call=call, outcome=outcome, source=source,
                                set_by=set_by, note=note, at=at)
    return call, changed


def object_to_call(*, actor, membership, call: Call, note: str = "") -> tuple[Call, bool]:
    """A person marks the caller's objection after the fact (agent on their own call, admin or
    compliance officer on any: the caller's access is checked by ``access_call_for_objection``).
    Repeating it changes nothing."""
    source = (ConsentSource.ADMIN if membership.role in (Role.ADMIN, Role.COMPLIANCE)
              else ConsentSource.AGENT)
    with transaction.atomic():
        locked = Call.unscoped.select_for_update().get(pk=call.pk)
        if locked.consent == Consent.OBJECTED:
            return locked, False
        changed = apply_consent(actor=actor, call=locked, outcome=Consent.OBJECTED,
                                source=source, set_by=actor.get_username(), note=note)
    return locked, changed


# Called as ``hook(actor=, call=)`` inside the end-call transaction (supervision ends the
# call's monitoring sessions there).
CALL_ENDED_HOOKS: list = []


def end_call(*, actor, tenant, call_id: str, ended_at, details: dict | None = None) -> Call:
    """The PBX reports the end of a call (creating it if unknown). Not audited: it changes no
    right and no recording."""
    with transaction.atomic():
        call = ensure_call(tenant=tenant, call_id=call_id, details=details, lock=True)
        if call.ended_at != ended_at:
            call.ended_at = ended_at
            call.save(update_fields=["ended_at", "updated_at"])
        for hook in CALL_ENDED_HOOKS:
            hook(actor=actor, call=call)
    return call


def _discard_call_audio(*, actor, call: Call) -> None:
    """After an objection (in its transaction): tombstone every stored recording of the call
    (a legal hold defers it), send waiting ingests through the pipeline again so that they
    end as tombstones, and drop the staged bytes of rejected ones."""
    now = timezone.now()
    recordings = Recording.unscoped.select_for_update().filter(
        call=call, audio_state=AudioState.STORED, discard_pending=False)
    for recording in recordings:
        if recording.legal_hold:
            recording.discard_pending = True
            recording.save(update_fields=["discard_pending"])
            audit.record(actor=actor, tenant=call.tenant_id, action="recording.discard_deferred",
                         obj=recording,
                         data={"call_id": call.call_id, "reason": "legal_hold",
                               "sha256": recording.sha256})
        else:
            discard_recording(actor=actor, recording=recording, by=call.consent_set_by,
                              at=now)
    waiting = list(Ingest.unscoped.filter(tenant_id=call.tenant_id, call_id=call.call_id,
                                          status=IngestStatus.QUARANTINED))
    for ingest in waiting:
        Ingest.unscoped.filter(pk=ingest.pk, status=IngestStatus.QUARANTINED).update(
            status=IngestStatus.QUEUED, reason="", reason_detail="", enqueued_at=now,
            finished_at=None, updated_at=now)
        enqueue_on_commit(ingest)
    rejected = Ingest.unscoped.filter(tenant_id=call.tenant_id, call_id=call.call_id,
                                      status=IngestStatus.REJECTED).exclude(staged_in="")
    for ingest in rejected:
        audit.record(actor=actor, tenant=call.tenant_id, action="ingest.audio_discarded",
                     obj=ingest, data={"ingest_id": str(ingest.ingest_id),
                                       "call_id": call.call_id, "reason": ingest.reason})
        from .pipeline import remove_staged

        transaction.on_commit(partial(remove_staged, ingest.pk, ingest.staged_in,
                                      ingest.staged_path))


def discard_recording(*, actor, recording: Recording, by: str, at=None,
                      reason: str = DiscardReason.CALLER_OBJECTED) -> Recording:
    """Turn a stored recording into a tombstone (inside the caller's transaction) and delete
    its audio after the commit. Also for the archive part when a legal hold on a recording
    with ``discard_pending`` is lifted."""
    at = at or timezone.now()
    recording.audio_state = AudioState.DISCARDED
    recording.discarded_at = at
    recording.discard_reason = reason
    recording.discarded_by = (by or "")[:200]
    recording.discard_pending = False
    recording.peaks = []
    recording.save(update_fields=["audio_state", "discarded_at", "discard_reason",
                                  "discarded_by", "discard_pending", "peaks"])
    audit.record(actor=actor, tenant=recording.tenant_id, action="recording.discarded",
                 obj=recording,
                 data={"call_id": recording.pbx_call_id, "sha256": recording.sha256,
                       "size": recording.size, "reason": reason, "when": "after_storage",
                       "objected_by": recording.discarded_by,
                       "storage_key": recording.storage_key})
    transaction.on_commit(partial(delete_recording_audio, recording.pk))
    return recording


def delete_recording_audio(recording_pk) -> bool:
    """Delete a discarded recording's object (every version) and note when. Safe to repeat;
    ``recordings.tasks.sweep_ingests`` finishes what failed."""
    recording = Recording.unscoped.filter(
        pk=recording_pk, audio_state=AudioState.DISCARDED, storage_deleted_at__isnull=True,
    ).exclude(storage_key="").first()
    if recording is None:
        return True
    try:
        get_store().purge(recording.storage_key)
    except Exception:
        log.warning("could not delete the audio of recording %s; retrying later", recording_pk,
                    exc_info=True)
        return False
    Recording.unscoped.filter(pk=recording.pk).update(storage_deleted_at=timezone.now())
    return True


def schedule_object_deletion(*, tenant_id, key: str, reason: str = "", ingest=None) -> None:
    """In the caller's transaction: remember that the object ``key`` must go (no recording
    keeps it), and delete it after the commit. Failures are retried by
    ``maintenance.finish_pending_deletions`` (the sweeper) until the deletion succeeds."""
    pending = PendingObjectDeletion.unscoped.create(
        tenant_id=tenant_id, key=key, reason=str(reason or "")[:32],
        ingest_id=getattr(ingest, "pk", ingest))
    transaction.on_commit(partial(delete_pending_object, pending.pk), robust=True)


def cancel_object_deletions(*, tenant_id, key: str) -> int:
    """Forget pending deletions of ``key`` before uploading to it again (a re-run of the ingest
    whose earlier attempt ended without keeping it). Waits for a deletion in progress (it holds
    the row lock while it deletes), so nothing deletes the new upload afterwards."""
    deleted, _ = PendingObjectDeletion.unscoped.filter(tenant_id=tenant_id, key=key).delete()
    return deleted


def delete_pending_object(pending_pk) -> bool:
    """Delete the object of a :class:`PendingObjectDeletion` (every version), audit
    ``ingest.upload_deleted`` and drop the row, all in one transaction; on failure note the
    error and keep the row for the next sweep. Safe to repeat; True when nothing is left to
    do. The row stays locked while the store is asked, so a concurrent cancel waits."""
    try:
        with transaction.atomic():
            locked = PendingObjectDeletion.unscoped.filter(pk=pending_pk).update(
                attempts=F("attempts") + 1, last_attempt_at=timezone.now())
            if not locked:
                return True
            pending = PendingObjectDeletion.unscoped.get(pk=pending_pk)
            # Belt and braces: never delete what a stored recording names.
            kept = Recording.unscoped.filter(tenant_id=pending.tenant_id,
                                             storage_key=pending.key,
                                             audio_state=AudioState.STORED).exists()
            if not kept:
                try:
                    get_store().purge(pending.key)
                except Exception as exc:
                    log.warning("could not delete %s (ingest %s); retrying later", pending.key,
                                pending.ingest_id, exc_info=True)
                    PendingObjectDeletion.unscoped.filter(pk=pending_pk).update(
                        last_error=f"{type(exc).__name__}: {exc}"[:2000])
                    return False
                ingest = (Ingest.unscoped.filter(pk=pending.ingest_id).first()
                          if pending.ingest_id else None)
                audit.record(actor=None, tenant=pending.tenant_id,
                             action="ingest.upload_deleted", obj=ingest or pending,
                             data={"ingest_id": str(ingest.ingest_id) if ingest else None,
                                   "storage_key": pending.key, "reason": pending.reason,
                                   "attempts": pending.attempts})
            pending.delete()
    except Exception:
        log.warning("could not finish the deletion %s; retrying later", pending_pk,
                    exc_info=True)
        return False
    return True


# --- receiving audio ------------------------------------------------------------------------
def find_received(*, tenant, call_id: str, sha256: str) -> Ingest | None:
    return Ingest.unscoped.filter(tenant_id=getattr(tenant, "pk", tenant), call_id=call_id,
                                  sha256=sha256,
                                  source__in=[IngestSource.PUSH, IngestSource.UPLOAD]).first()


def receive_audio(*, tenant, source: str, metadata: dict, temp_path, sha256: str, size: int,
                  original_name: str = "", node=None, uploaded_by=None,
                  enqueue: bool = True) -> tuple[Ingest, bool]:
    """Take a received file (pushed or uploaded; already streamed to ``temp_path`` and hashed)
    into staging and write its ingest row; returns ``(ingest, created)``.

    Idempotent: the same call and audio again returns the first ingest (``created`` False),
    also when two identical pushes race (the unique constraint picks one). The staged file is
    fsynced before the row commits; the caller removes ``temp_path`` if it still exists.
    """
    existing = find_received(tenant=tenant, call_id=metadata["call_id"], sha256=sha256)
    if existing is not None:
        return existing, False
    ingest_id = uuid.uuid4()
    extension = staging.safe_extension(original_name)
    if setting("INGEST_STAGE_IN_STORE"):
        staged_in = StagedIn.STORE
        staged_path = staging_key(tenant_id=tenant.pk, ingest_id=ingest_id, extension=extension)
        get_store().put_file(staged_path, temp_path, metadata={"sha256": sha256})
    else:
        staged_in = StagedIn.LOCAL
        staged_path = staging.staged_name(tenant_id=tenant.pk, ingest_id=ingest_id,
                                          extension=extension)
        staging.move_in(temp_path, staged_path)
    try:
        with transaction.atomic():
            ingest = Ingest.unscoped.create(
                ingest_id=ingest_id, tenant=tenant, node=node, uploaded_by=uploaded_by,
                source=source, original_name=(original_name or "")[:255], staged_in=staged_in,
                staged_path=staged_path, call_id=metadata["call_id"],
                extension=metadata.get("extension", ""), metadata=metadata, sha256=sha256,
                size=size, status=IngestStatus.QUEUED, enqueued_at=timezone.now(),
            )
            if enqueue:
                enqueue_on_commit(ingest)
    except IntegrityError:
        _remove_staged_now(staged_in, staged_path)
        winner = find_received(tenant=tenant, call_id=metadata["call_id"], sha256=sha256)
        if winner is None:
            raise
        return winner, False
    except BaseException:
        _remove_staged_now(staged_in, staged_path)
        raise
    return ingest, True


def _remove_staged_now(staged_in, staged_path):
    try:
        if staged_in == StagedIn.LOCAL:
            staging.remove(staged_path)
        elif staged_in == StagedIn.STORE:
            get_store().delete(staged_path)
    except Exception:
        log.warning("could not remove %s; the staging cleanup will", staged_path, exc_info=True)


# --- retries --------------------------------------------------------------------------------
def retry_ingest(*, actor, ingest: Ingest) -> Ingest:
    """Send a rejected or quarantined ingest through the pipeline again (audited). Raises
    ``NotRetryable`` when it is neither, was discarded on the caller's objection, or its
    received bytes are gone."""
    if not ingest.is_retryable:
        raise NotRetryable(_("Only rejected or quarantined ingests can be retried."))
    if not ingest.staged_in:
        raise NotRetryable(_("The received file of this ingest is no longer kept."))
    now = timezone.now()
    with transaction.atomic():
        moved = Ingest.unscoped.filter(pk=ingest.pk, status__in=RETRYABLE_STATUSES).exclude(
            reason=IngestReason.CALLER_OBJECTED).update(
            status=IngestStatus.QUEUED, reason="", reason_detail="", lease_token=None,
            lease_expires_at=None, next_attempt_at=None, enqueued_at=now, finished_at=None,
            updated_at=now)
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
    now = timezone.now()
    with transaction.atomic():
        waiting = list(Ingest.unscoped.select_for_update().filter(
            tenant_id=pbx_user.tenant_id, status=IngestStatus.QUARANTINED,
            reason=IngestReason.UNKNOWN_EXTENSION, extension=pbx_user.extension))
        for ingest in waiting:
            Ingest.unscoped.filter(pk=ingest.pk).update(
                status=IngestStatus.QUEUED, reason="", reason_detail="", enqueued_at=now,
                finished_at=None, updated_at=now)
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
