"""The audio to final storage, only once the call's consent is decided.

Two ways, the same promise:

- **early** (``start_early``, before the analysis; S3, pushed or uploaded bytes whose SHA-256
  is known, ``INGEST_OVERLAP_UPLOAD``): only when nothing stands against keeping the audio
  yet (no objection on the call or in the metadata, the extension is a PBX user, no stored
  duplicate, the container is accepted). The bytes go up in a thread that touches no
  database while the analysis runs in another; this process's thread reads the consent every
  ``CHECK_EVERY`` seconds meanwhile, and an objection stops the transfer at its next chunk.
- **late** (``upload``, after every check): the consent is read right before the first byte
  and every ``CHECK_EVERY`` seconds while the bytes go up.

Both read the consent once more after the last bytes were read and before they are handed to
the connection (``confirm_last``; for a multipart upload, before it is completed): the early
transfer waits there until the worker's thread has read it. An objection that is recorded
after that read finds the recording stored (or, if the final transaction sees it, being
deleted), never "not kept" with the bytes in the bucket.

An objection raises :class:`UploadAborted` inside the transfer: a single PUT ends before it
completes, a multipart upload is aborted (boto3's transfer manager aborts on a failing
callback), so nothing of the call's audio stays in the bucket.
"""

from __future__ import annotations

import threading
import time
from functools import partial

from django.db.models import Exists

from ... import audio, consent
from ...choices import Consent, IngestReason, StagedIn
from ...cleanup import cancel_object_deletions
from ...conf import setting
from ...models import Call, Recording
from ...storage import ChecksumMismatch, get_store, recording_key
from ..outcomes import Quarantined, Tombstone
from . import Job, dotted

CHECK_EVERY = 0.25  # seconds between consent checks during an upload


class UploadAborted(Exception):
    """The caller objected while the audio was being uploaded."""


def objected_now(job: Job) -> bool:
    """Has the caller of this ingest's call objected (read now)?"""
    if job.call is not None:
        return consent.objected(job.call.pk)
    if job.metadata.get("consent") == Consent.OBJECTED:
        return True
    return consent.objected_by_call_id(job.ingest.tenant_id, job.metadata["call_id"])


class Transfer:
    """One upload in a thread of its own (no database there); stops at its next chunk once
    :attr:`abort` is set.

    Before its last bytes go (``confirm_last``) the transfer waits until the watching thread
    has read the consent afresh (:meth:`watch`): an objection that arrived at any time before
    the last byte left stops it, and no object of an objected call ever appears.
    """

    def __init__(self, store, job: Job, key: str, *, content_type: str, sha256: str):
        self.abort = threading.Event()
        self.wake = threading.Event()  # the watcher has something to answer
        self.last_pending = threading.Event()
        self.last_confirmed = threading.Event()
        self.done = False
        self.error: BaseException | None = None
        ingest = job.ingest
        metadata = {"sha256": sha256, "ingest-id": str(ingest.ingest_id),
                    "tenant-id": str(ingest.tenant_id)}

        def run():
            try:
                store.put_file(key, job.path, content_type=content_type, metadata=metadata,
                               progress=self.progress, confirm_last=self.confirm_last,
                               sha256=sha256)
                self.done = True
            except BaseException as exc:  # handed over by wait()
                self.error = exc
            finally:
                self.wake.set()

        self.thread = threading.Thread(target=run, name=f"upload-{ingest.ingest_id}",
                                       daemon=True)
        self.thread.start()

    def progress(self, _sent: int = 0) -> None:
        if self.abort.is_set():
            raise UploadAborted()

    def confirm_last(self) -> None:
        """In the transfer's thread: wait for a consent check made after this moment."""
        self.last_confirmed.clear()
        self.last_pending.set()
        self.wake.set()
        while not self.last_confirmed.wait(CHECK_EVERY or 0.01):
            if self.abort.is_set():
                break
        if self.abort.is_set():
            raise UploadAborted()

    def watch(self, job: Job) -> bool:
        """In the worker's thread: read the consent now, answer a pending last-bytes check;
        True when the caller objected (the transfer is stopped)."""
        if self.abort.is_set():
            return True
        pending = self.last_pending.is_set()
        if objected_now(job):
            self.abort.set()
            self.last_confirmed.set()
            return True
        if pending:
            self.last_pending.clear()
            self.last_confirmed.set()
        return False

    def wait_turn(self) -> None:
        """Sleep until the transfer needs an answer, or ``CHECK_EVERY`` has passed."""
        self.wake.wait(CHECK_EVERY)
        self.wake.clear()

    def wait(self, job: Job) -> bool:
        """Wait for the transfer, reading the consent meanwhile; True when the caller
        objected (the transfer was stopped)."""
        objected = self.abort.is_set()
        while self.thread.is_alive():
            self.wait_turn()
            if not objected and self.thread.is_alive():
                objected = self.watch(job)
        return objected

    def stop(self) -> None:
        """Stop unless finished, and wait (for endings that do not keep the audio)."""
        if self.thread.is_alive():
            self.abort.set()
            self.last_confirmed.set()
        self.thread.join()


def start_early(job: Job):
    """Start the upload before the analysis when nothing stands against keeping the audio
    and the file is big enough for the overlap to pay (``INGEST_OVERLAP_MIN_BYTES``: a
    3-minute call is analysed in about 2 ms, less than the CPU the overlap's threads cost)."""
    ingest = job.ingest
    if (not setting("INGEST_OVERLAP_UPLOAD") or not ingest.sha256
            or (ingest.size or 0) < setting("INGEST_OVERLAP_MIN_BYTES")
            or ingest.staged_in != StagedIn.LOCAL or ingest.attempts > 1):
        return None
    store = get_store()
    if store.kind != "s3":
        return None
    if job.metadata.get("consent") == Consent.OBJECTED or _stands_against_keeping(job):
        return None
    try:
        content_type, suffix = audio.media_type(job.path)
    except (audio.AudioRejected, OSError):
        return None  # the analysis says why
    job.key = recording_key(tenant_id=ingest.tenant_id, started_at=job.started_at,
                            ingest_id=ingest.ingest_id, extension=dotted(suffix))
    job.transfer = Transfer(store, job, job.key, content_type=content_type,
                            sha256=ingest.sha256)
    return None


def _stands_against_keeping(job: Job) -> bool:
    """One query for the three things the early upload waits for: the caller objected on the
    call, the extension is no PBX user (yet), the same audio of the call is stored."""
    from tenancy.models import PbxUser, Tenant

    ingest, tenant_id = job.ingest, job.ingest.tenant_id
    extension, call_id = job.metadata["extension"], job.metadata["call_id"]
    objected = Call.unscoped.filter(tenant_id=tenant_id, call_id=call_id,
                                    consent=Consent.OBJECTED)
    known = PbxUser.unscoped.filter(tenant_id=tenant_id, extension=extension)
    stored = Recording.unscoped.filter(tenant_id=tenant_id, pbx_call_id=call_id,
                                       sha256=ingest.sha256)
    return (Tenant.objects.filter(pk=tenant_id)
            .filter(Exists(objected) | ~Exists(known) | Exists(stored)).exists())


def upload(job: Job):
    if job.transfer is not None:
        return _finish_early(job)
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
    guard = ObjectionGuard(partial(consent.objected, job.call.pk))
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
                           progress=guard, confirm_last=guard.confirm_last,
                           sha256=analysis.sha256)
    except UploadAborted:
        return Tombstone()
    except ChecksumMismatch:
        return _refused_by_store(analysis.sha256)
    except Exception as exc:
        if caused_by_abort(exc):
            return Tombstone()
        raise
    job.uploaded = True
    return None


def _finish_early(job: Job):
    transfer = job.transfer
    objected = transfer.wait(job)
    job.uploaded = transfer.done
    if objected or caused_by_abort(transfer.error):
        return Tombstone()
    if isinstance(transfer.error, ChecksumMismatch):
        return _refused_by_store(job.ingest.sha256)
    if transfer.error is not None:
        raise transfer.error
    return None


def _refused_by_store(sha256: str):
    """The store found the bytes it got different from the SHA-256 sent with them: what was
    read from staging is not what was received (or was damaged on the way)."""
    return Quarantined(IngestReason.CHECKSUM_MISMATCH, f"received={sha256}; store=refused")


class ObjectionGuard:
    """A transfer's progress callback that stops the upload once the caller objected
    (``read()``: the consent read afresh; the pipeline's by the call, the express lane's by
    the call id)."""

    def __init__(self, read):
        self.read = read
        self.checked_at = 0.0

    def objected(self) -> bool:
        self.checked_at = time.monotonic()
        return self.read()

    def __call__(self, _bytes_sent: int = 0) -> None:
        if time.monotonic() - self.checked_at >= CHECK_EVERY and self.objected():
            raise UploadAborted()

    def confirm_last(self) -> None:
        """Before the last bytes go: a fresh read, whenever the one before was."""
        if self.objected():
            raise UploadAborted()


def caused_by_abort(exc) -> bool:
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, UploadAborted):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False
