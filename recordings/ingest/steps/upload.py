"""The audio to final storage, only now that the call's consent is decided.

The consent is read again right before the first byte and every ``CHECK_EVERY`` seconds
while the bytes go up; an objection raises :class:`UploadAborted` inside the transfer, which
ends a single PUT before it completes and aborts a multipart upload (boto3's transfer manager
aborts on a failing callback), so nothing of the call's audio stays in the bucket.
"""

from __future__ import annotations

import time

from ... import consent
from ...choices import StagedIn
from ...cleanup import cancel_object_deletions
from ...storage import get_store
from ..outcomes import Tombstone
from . import Job

CHECK_EVERY = 0.25  # seconds between consent checks during an upload


class UploadAborted(Exception):
    """The caller objected while the audio was being uploaded."""


def upload(job: Job):
    ingest, analysis = job.ingest, job.analysis
    store = get_store()
    if ingest.attempts > 1:
        # An earlier attempt may have ended without keeping this key (its deletion may still
        # be pending): cancel that first, and do not upload what is there already.
        cancel_object_deletions(tenant_id=ingest.tenant_id, key=job.key)
        existing = store.head(job.key)
        if existing is not None and existing.size == analysis.size and (
                existing.metadata.get("sha256") == analysis.sha256):
            job.uploaded = True
            return None
    guard = ObjectionGuard(job.call.pk)
    if guard.objected():
        return Tombstone()
    metadata = {"sha256": analysis.sha256, "ingest-id": str(ingest.ingest_id),
                "tenant-id": str(ingest.tenant_id)}
    content_type = analysis.info.mime_type
    try:
        if ingest.staged_in == StagedIn.STORE:
            store.copy(ingest.staged_path, job.key, content_type=content_type,
                       metadata=metadata)
        else:
            store.put_file(job.key, job.path, content_type=content_type, metadata=metadata,
                           progress=guard)
    except UploadAborted:
        return Tombstone()
    except Exception as exc:
        if _caused_by_abort(exc):
            return Tombstone()
        raise
    job.uploaded = True
    return None


class ObjectionGuard:
    """A transfer's progress callback that stops the upload once the caller objected."""

    def __init__(self, call_pk):
        self.call_pk = call_pk
        self.checked_at = 0.0

    def objected(self) -> bool:
        self.checked_at = time.monotonic()
        return consent.objected(self.call_pk)

    def __call__(self, _bytes_sent: int = 0) -> None:
        if time.monotonic() - self.checked_at >= CHECK_EVERY and self.objected():
            raise UploadAborted()


def _caused_by_abort(exc) -> bool:
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, UploadAborted):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False
