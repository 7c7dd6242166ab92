"""Deletion and staging cleanup: everything that removes bytes, in one place.

- Discarding a recording (a tombstone stays) and deleting its audio, every version.
- Uploaded objects that no recording keeps (``PendingObjectDeletion``): remembered in the
  transaction that decides it, deleted after the commit, retried by the sweeper.
- Staged bytes of finished ingests, of rejected ones after ``INGEST_REJECTED_KEEP_DAYS``, and
  staging files no ingest row names (a crash between staging and the row's commit).
- :func:`sweep` and :func:`purge_staging` are the periodic repairs (``recordings.tasks``):
  the database says what is unfinished, these functions finish it. Every step is idempotent
  and bounded per run.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta
from functools import partial
from pathlib import Path

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

import audit

from . import staging
from .choices import AudioState, DiscardReason, IngestReason, IngestStatus, StagedIn
from .conf import setting
from .ingest.queue import requeue_stalled
from .models import Ingest, PendingObjectDeletion, Recording
from .playback import rendition_key
from .storage import get_store

log = logging.getLogger(__name__)

BATCH = 1000


# --- staged bytes ---------------------------------------------------------------------------
def remove_staged(ingest_pk, staged_in, staged_path) -> bool:
    """Delete staged bytes and, when an ingest row names them (``ingest_pk``), forget where
    they were. Safe to repeat; a failure leaves the row pointing at them for the sweeper."""
    try:
        if staged_in == StagedIn.LOCAL:
            staging.remove(staged_path)
        elif staged_in == StagedIn.STORE:
            get_store().delete(staged_path)
    except Exception:
        log.warning("could not remove staged %s (ingest %s); the sweeper retries", staged_path,
                    ingest_pk, exc_info=True)
        return False
    if ingest_pk is not None:
        Ingest.unscoped.filter(pk=ingest_pk, staged_path=staged_path).update(
            staged_in=StagedIn.NONE, staged_path="")
    return True


def remove_staged_on_commit(ingest: Ingest) -> None:
    staged_in, staged_path = ingest.staged_in, ingest.staged_path
    transaction.on_commit(partial(remove_staged, ingest.pk, staged_in, staged_path))


# --- recordings' audio ----------------------------------------------------------------------
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
    """Delete a discarded recording's object (every version) and its browser-playable
    rendition, if one was made, and note when. Safe to repeat; :func:`sweep` finishes what
    failed."""
    recording = Recording.unscoped.filter(
        pk=recording_pk, audio_state=AudioState.DISCARDED, storage_deleted_at__isnull=True,
    ).exclude(storage_key="").first()
    if recording is None:
        return True
    try:
        store = get_store()
        store.purge(recording.storage_key)
        store.purge(rendition_key(recording))
    except Exception:
        log.warning("could not delete the audio of recording %s; retrying later", recording_pk,
                    exc_info=True)
        return False
    Recording.unscoped.filter(pk=recording.pk).update(storage_deleted_at=timezone.now())
    return True


# --- uploaded objects no recording keeps ----------------------------------------------------
def schedule_object_deletion(*, tenant_id, key: str, reason: str = "", ingest=None) -> None:
    """In the caller's transaction: remember that the object ``key`` must go (no recording
    keeps it), and delete it after the commit; :func:`sweep` retries until it succeeds."""
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


# --- periodic repairs -----------------------------------------------------------------------
def finish_discards() -> int:
    """Delete the audio of discarded recordings whose deletion has not succeeded yet."""
    pending = Recording.unscoped.filter(
        audio_state=AudioState.DISCARDED, storage_deleted_at__isnull=True, discard_pending=False,
    ).exclude(storage_key="").values_list("pk", flat=True)[:BATCH]
    return sum(1 for pk in list(pending) if delete_recording_audio(pk))


def finish_pending_deletions() -> int:
    """Delete uploaded objects that no recording keeps and whose deletion after the commit
    failed (or never ran: the worker died); each row goes when its object is gone."""
    pending = PendingObjectDeletion.unscoped.order_by(
        F("last_attempt_at").asc(nulls_first=True), "pk").values_list(
        "pk", flat=True)[:BATCH]
    return sum(1 for pk in list(pending) if delete_pending_object(pk))


def finish_staged_removals() -> int:
    """Remove staged bytes of finished ingests (stored, or discarded on objection)."""
    leftovers = Ingest.unscoped.filter(
        Q(status=IngestStatus.STORED)
        | Q(status=IngestStatus.REJECTED, reason=IngestReason.CALLER_OBJECTED)
    ).exclude(staged_in=StagedIn.NONE).values_list("pk", "staged_in", "staged_path")[:BATCH]
    return sum(1 for pk, staged_in, path in list(leftovers) if remove_staged(pk, staged_in, path))


def sweep() -> dict:
    """Re-enqueue stalled ingests; finish deletions and removals that failed."""
    return {"requeued": requeue_stalled(), "discards": finish_discards(),
            "objects_deleted": finish_pending_deletions(),
            "staged_removed": finish_staged_removals()}


def purge_rejected(now=None) -> int:
    """Drop the kept bytes of rejected ingests older than ``INGEST_REJECTED_KEEP_DAYS``
    (audited; the row and its reason stay). Quarantined ingests are never purged."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=setting("INGEST_REJECTED_KEEP_DAYS"))
    old = list(Ingest.unscoped.filter(status=IngestStatus.REJECTED, finished_at__lt=cutoff)
               .exclude(staged_in=StagedIn.NONE)[:BATCH])
    purged = 0
    for ingest in old:
        if remove_staged(ingest.pk, ingest.staged_in, ingest.staged_path):
            with transaction.atomic():
                audit.record(actor=None, tenant=ingest.tenant_id, action="ingest.audio_purged",
                             obj=ingest, data={"ingest_id": str(ingest.ingest_id),
                                               "reason": ingest.reason,
                                               "rejected_at": ingest.finished_at})
            purged += 1
    return purged


def _ingest_uuid(name: str):
    stem = name.split(".", 1)[0]
    try:
        return uuid.UUID(stem)
    except ValueError:
        return None


def _unknown(ingest_ids) -> set:
    ingest_ids = list(ingest_ids)
    known = set(Ingest.unscoped.filter(ingest_id__in=ingest_ids)
                .values_list("ingest_id", flat=True))
    return set(ingest_ids) - known


def purge_orphans(now=None) -> int:
    """Delete staging files (local and ``staging/`` in the store) that no ingest names and
    that are older than ``INGEST_ORPHAN_AGE_SECONDS``; and stale analysis downloads."""
    age = setting("INGEST_ORPHAN_AGE_SECONDS")
    horizon = time.time() - age
    removed = 0
    root = staging.root()
    candidates: list[tuple[Path, uuid.UUID]] = []
    if root.is_dir():
        for tenant_dir in root.iterdir():
            if not tenant_dir.is_dir():
                continue
            for path in tenant_dir.iterdir():
                if tenant_dir.name == "tmp":
                    if path.is_file() and path.stat().st_mtime < horizon:
                        path.unlink(missing_ok=True)
                        removed += 1
                    continue
                ingest_id = _ingest_uuid(path.name)
                if ingest_id and path.is_file() and path.stat().st_mtime < horizon:
                    candidates.append((path, ingest_id))
    for start in range(0, len(candidates), BATCH):
        batch = candidates[start:start + BATCH]
        unknown = _unknown(i for _p, i in batch)
        for path, ingest_id in batch:
            if ingest_id in unknown:
                path.unlink(missing_ok=True)
                removed += 1
    if setting("INGEST_STAGE_IN_STORE"):
        removed += _purge_store_orphans(timezone.now() - timedelta(seconds=age))
    return removed


def _purge_store_orphans(horizon) -> int:
    store = get_store()
    removed = 0
    old = [(info.key, _ingest_uuid(info.key.rsplit("/", 1)[-1]))
           for info in store.iter_objects("staging/")
           if info.last_modified is not None and info.last_modified < horizon]
    old = [(key, ingest_id) for key, ingest_id in old if ingest_id is not None]
    for start in range(0, len(old), BATCH):
        batch = old[start:start + BATCH]
        unknown = _unknown(i for _k, i in batch)
        for key, ingest_id in batch:
            if ingest_id in unknown:
                store.delete(key)
                removed += 1
    return removed


def purge_staging() -> dict:
    return {"rejected": purge_rejected(), "orphans": purge_orphans()}
