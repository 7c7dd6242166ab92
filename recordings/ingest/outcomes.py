"""How an ingest ends. Each ending is one transaction: the ingest row locked (``lease``), the
rows it writes, its final state and its audit event; what it removes (staged bytes, an
uploaded object no recording keeps) goes after the commit, remembered durably so that the
sweeper finishes it.

- :class:`Rejected`: the input cannot become a recording (kept for inspection a while).
- :class:`Quarantined`: kept for a person (unknown extension, bytes missing, errors).
- :class:`Duplicate`: the same audio of this call is stored already; point at it.
- :class:`Tombstone`: the caller objected; a tombstone instead of the audio.
- :func:`store`: the recording, when every step went through.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

import audit

from ..choices import AudioState, Consent, DiscardReason, IngestReason, IngestStatus
from ..cleanup import delete_recording_audio, remove_staged_on_commit, schedule_object_deletion
from ..models import Call, Recording
from ..phone import normalise_number


@dataclass(frozen=True)
class Rejected:
    reason: str
    detail: str = ""
    status = IngestStatus.REJECTED


@dataclass(frozen=True)
class Quarantined:
    reason: str
    detail: str = ""
    status = IngestStatus.QUARANTINED


@dataclass(frozen=True)
class Duplicate:
    recording: Recording


@dataclass(frozen=True)
class Tombstone:
    pass


def finish(job, outcome) -> str:
    """Apply ``outcome`` (one of the classes above); returns the ingest's final status."""
    if isinstance(outcome, Rejected | Quarantined):
        return without_recording(job, outcome.status, outcome.reason, outcome.detail)
    if isinstance(outcome, Duplicate):
        with transaction.atomic():
            return _link(job, job.lease.lock(), outcome.recording)
    if isinstance(outcome, Tombstone):
        return store(job)  # the final transaction sees the objection and writes a tombstone
    raise TypeError(f"not an outcome: {outcome!r}")


def _close(job, locked, *, status, reason="", detail="", recording=None, keeps_key=False):
    """The final state (in the caller's transaction). Unless the recording keeps the object at
    ``job.key``, one that this or an earlier attempt uploaded is deleted: a
    ``PendingObjectDeletion`` row in this transaction, the deletion after the commit, the
    sweeper retrying until it succeeds."""
    analysis = job.analysis
    job.lease.close(locked, status=status, reason=reason, detail=detail, recording=recording,
                    sha256=analysis.sha256 if analysis else "",
                    size=analysis.size if analysis else None)
    if not keeps_key and job.may_have_uploaded:
        schedule_object_deletion(tenant_id=locked.tenant_id, key=job.key,
                                 reason=reason or status, ingest=locked.pk)
    if recording is not None:
        remove_staged_on_commit(locked)
    return status


def without_recording(job, status, reason, detail="") -> str:
    ingest = job.ingest
    with transaction.atomic():
        locked = job.lease.lock()
        _close(job, locked, status=status, reason=reason, detail=detail)
        action = ("recording.rejected" if status == IngestStatus.REJECTED
                  else "recording.quarantined")
        audit.record(actor=job.actor, tenant=ingest.tenant_id, action=action, obj=ingest,
                     data={"ingest_id": str(ingest.ingest_id), "call_id": ingest.call_id,
                           "extension": ingest.extension, "source": ingest.source,
                           "file": ingest.original_name, "reason": str(reason),
                           "detail": detail[:500]})
    return status


def _link(job, locked, recording: Recording) -> str:
    """The same audio of this call exists already: point at it, keep nothing twice."""
    ingest = job.ingest
    if recording.audio_state == AudioState.DISCARDED or recording.discard_pending:
        status, reason = IngestStatus.REJECTED, IngestReason.CALLER_OBJECTED
    else:
        status, reason = IngestStatus.STORED, IngestReason.DUPLICATE
    _close(job, locked, status=status, reason=reason, recording=recording,
           detail=f"recording={recording.pk}")
    audit.record(actor=job.actor, tenant=ingest.tenant_id,
                 action="recording.duplicate_received", obj=recording,
                 data={"ingest_id": str(ingest.ingest_id), "call_id": ingest.call_id,
                       "sha256": recording.sha256, "source": ingest.source})
    return status


def recording_fields(*, ingest, call, metadata, analysis, started_at, pbx_user,
                     file_extension: str) -> dict:
    """The recording's fields from what the ingest learnt (the pipeline's endings and the
    express lane, ``recordings.ingest.express``, build every recording here)."""
    info = analysis.info
    raw_remote = metadata.get("remote_number", "")
    return {
        "tenant_id": ingest.tenant_id, "call": call, "pbx_call_id": call.call_id,
        "ingest": ingest, "extension": metadata["extension"], "pbx_user": pbx_user,
        "direction": metadata["direction"], "remote_number": normalise_number(raw_remote),
        "remote_number_raw": raw_remote[:64], "started_at": started_at,
        "duration": float(info.duration or 0), "kind": metadata["kind"],
        "consent": call.consent, "sha256": analysis.sha256, "size": analysis.size,
        "container": str(info.container or "")[:32], "codec": str(info.codec or "")[:32],
        "sample_rate": info.sample_rate or None, "channels": info.channels or None,
        "mime_type": str(info.mime_type or "")[:64],
        "file_extension": file_extension[:8],
        "truncated": bool(info.truncated),
        "truncation_detail": str(info.truncation_detail or "")[:500],
    }


def _recording_fields(job, call) -> dict:
    return recording_fields(ingest=job.ingest, call=call, metadata=job.metadata,
                            analysis=job.analysis, started_at=job.started_at,
                            pbx_user=job.pbx_user, file_extension=job.extension)


def ingested_event(recording, ingest, key: str, violation: str) -> dict:
    """The data of the ``recording.ingested`` audit event."""
    return {"ingest_id": str(ingest.ingest_id), "call_id": recording.pbx_call_id,
            "extension": recording.extension, "kind": recording.kind,
            "source": ingest.source, "sha256": recording.sha256, "size": recording.size,
            "duration": recording.duration, "storage_key": key,
            "truncated": recording.truncated, "policy_violation": violation or None,
            "consent": recording.consent}


def store(job) -> str:
    """The final transaction, with the ingest and the call locked: the recording (or, when
    the caller objected meanwhile, its tombstone), the ingest's final state and the audit
    event; an uploaded object that is not kept is deleted after the commit."""
    with transaction.atomic():
        locked = job.lease.lock()
        call = Call.unscoped.select_for_update().get(pk=job.call.pk)
        objected = call.consent == Consent.OBJECTED
        try:
            with transaction.atomic():
                recording = (_tombstone(job, call) if objected else Recording.unscoped.create(
                    **_recording_fields(job, call), storage_key=job.key, peaks=job.peaks,
                    policy_violation=bool(job.violation),
                    policy_violation_reason=job.violation))
        except IntegrityError:
            # The same audio of this call was written by another ingest meanwhile.
            existing = Recording.unscoped.get(tenant_id=locked.tenant_id, call=call,
                                              sha256=job.analysis.sha256)
            return _link(job, locked, existing)
        if objected:
            return _close_tombstone(job, locked, recording, call)
        _close(job, locked, status=IngestStatus.STORED, recording=recording, keeps_key=True)
        audit.record(actor=job.actor, tenant=locked.tenant_id, action="recording.ingested",
                     obj=recording,
                     data=ingested_event(recording, locked, job.key, job.violation))
    return IngestStatus.STORED


def _tombstone(job, call) -> Recording:
    """A tombstone instead of a recording. When audio may have reached the store (this
    attempt or a killed earlier one uploaded it), the tombstone names the key with no
    ``storage_deleted_at``: the deletion after the commit is tracked, and retried by the
    sweeper until it succeeds; until then the ingest says the audio is being deleted."""
    now = timezone.now()
    uploaded = job.may_have_uploaded
    recording = Recording.unscoped.create(
        **_recording_fields(job, call), storage_key=job.key if uploaded else "",
        peaks=[], audio_state=AudioState.DISCARDED, discarded_at=now,
        discard_reason=DiscardReason.CALLER_OBJECTED,
        discarded_by=call.consent_set_by or call.consent_source,
        storage_deleted_at=None if uploaded else now,
    )
    if uploaded:
        transaction.on_commit(lambda: delete_recording_audio(recording.pk))
    return recording


def _close_tombstone(job, locked, recording, call) -> str:
    uploaded = bool(recording.storage_key)
    _close(job, locked, status=IngestStatus.REJECTED, reason=IngestReason.CALLER_OBJECTED,
           recording=recording, detail="audio=deleting" if uploaded else "audio=never_stored",
           keeps_key=True)
    audit.record(actor=job.actor, tenant=locked.tenant_id, action="recording.discarded",
                 obj=recording,
                 data={"ingest_id": str(locked.ingest_id), "call_id": call.call_id,
                       "sha256": recording.sha256, "size": recording.size,
                       "reason": DiscardReason.CALLER_OBJECTED, "when": "at_ingest",
                       "objected_by": call.consent_set_by,
                       "objection_source": call.consent_source,
                       "objected_at": call.consent_set_at,
                       "audio_reached_storage": uploaded})
    return IngestStatus.REJECTED
