"""Periodic repair work: the database says what is unfinished, these functions finish it.

- ``sweep()`` re-enqueues ingests whose message was lost (broker restarted, enqueue failed)
  or whose worker died (lease expired), deletes audio that an objection discarded but whose
  deletion failed, deletes uploaded objects that no recording keeps (``PendingObjectDeletion``)
  whose deletion after the commit failed, and removes staged bytes of finished ingests that
  a crash left behind.
- ``purge_staging()`` drops the kept bytes of rejected ingests after
  ``INGEST_REJECTED_KEEP_DAYS`` and staging files no ingest row names (a crash between
  staging and the row's commit), after ``INGEST_ORPHAN_AGE_SECONDS``.

Every step is idempotent and bounded per run.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

import audit

from . import staging
from .choices import AudioState, IngestReason, IngestStatus, StagedIn
from .conf import setting
from .models import Ingest, PendingObjectDeletion, Recording
from .pipeline import remove_staged
from .services import delete_pending_object, delete_recording_audio, enqueue_ingest
from .storage import get_store

log = logging.getLogger(__name__)

BATCH = 1000


def requeue_after() -> timedelta:
    return timedelta(seconds=setting("INGEST_REQUEUE_AFTER_SECONDS"))


def requeue_stalled(now=None) -> int:
    """Enqueue again: ``queued`` ingests not started within ``INGEST_REQUEUE_AFTER_SECONDS``
    of their (re-)enqueueing or planned retry, and ``processing`` ones whose lease expired.
    A duplicate message is harmless (the claim lets one run)."""
    now = now or timezone.now()
    cutoff = now - requeue_after()
    due = list(
        Ingest.unscoped.annotate(
            pending_since=Coalesce("next_attempt_at", "enqueued_at", "created_at"))
        .filter(Q(status=IngestStatus.QUEUED, pending_since__lt=cutoff)
                | Q(status=IngestStatus.PROCESSING, lease_expires_at__lt=now)
                & (Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=cutoff)))
        .order_by("pending_since")
        .values_list("pk", "ingest_id", "tenant_id")[:BATCH]
    )
    if not due:
        return 0
    Ingest.unscoped.filter(pk__in=[pk for pk, _i, _t in due]).update(enqueued_at=now)
    for _pk, ingest_id, tenant_id in due:
        enqueue_ingest(ingest_id, tenant_id)
    log.info("re-enqueued %d stalled ingests", len(due))
    return len(due)


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
        known = set(Ingest.unscoped.filter(ingest_id__in=[i for _p, i in batch])
                    .values_list("ingest_id", flat=True))
        for path, ingest_id in batch:
            if ingest_id not in known:
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
        known = set(Ingest.unscoped.filter(ingest_id__in=[i for _k, i in batch])
                    .values_list("ingest_id", flat=True))
        for key, ingest_id in batch:
            if ingest_id not in known:
                store.delete(key)
                removed += 1
    return removed


def purge_staging() -> dict:
    return {"rejected": purge_rejected(), "orphans": purge_orphans()}

