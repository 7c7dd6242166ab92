"""The ingest pipeline: one received file → a stored recording (or a visible reason why not).

``run_ingest(ingest_id)`` is the whole job, callable from the Celery task, from tests and from
``seed_demo``. It promises:

- **Claim first.** A conditional UPDATE moves the ingest from ``queued`` (or from
  ``processing`` with an expired lease) to ``processing`` with a fresh lease token; only the
  caller whose UPDATE changed the row proceeds. A second delivery of the same message, a
  sweeper re-enqueue or a concurrent worker therefore does nothing.
- **Durable before done.** The audio is uploaded to its deterministic key, then one
  transaction writes the recording, marks the ingest ``stored`` and audits
  ``recording.ingested``; the staged source is removed only after that commit. A crash at
  any point leaves either the ingest to be taken over (lease expiry) or a finished row.
- **Transient failures** (storage, database or broker unreachable) release the claim (status
  ``queued``, reason ``transient_error``) and raise :class:`TransientIngestError`, so the task
  retries with backoff; the sweeper re-enqueues if that message is lost. Re-runs are
  idempotent: same key, existing object with the same checksum is not uploaded again.
- **Permanent outcomes** are rows, never exceptions: ``rejected`` (the input cannot become a
  recording: empty, not_audio, corrupt, unsupported_format, invalid_metadata, or
  caller_objected with a tombstone) and ``quarantined`` (kept for a person: unknown_extension,
  staged_missing, checksum_mismatch, storage_error, internal_error), each audited.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

import audit
from tenancy.models import PbxUser

from . import staging
from .choices import (
    REQUIRED_LICENSE,
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
from .metadata import started_at_of, validate_metadata
from .models import Call, Ingest, Recording
from .phone import normalise_number
from .storage import ObjectMissing, get_store, recording_key

log = logging.getLogger(__name__)

SKIPPED = "skipped"


class TransientIngestError(Exception):
    """A temporary failure; the ingest was released to ``queued`` and should be retried."""


class LeaseLost(Exception):
    """Another worker took the ingest over after this one's lease expired."""


class _Finished(Exception):
    """The job reached a final state early (rejected, quarantined, linked)."""


def lease_duration() -> timedelta:
    return timedelta(seconds=setting("INGEST_LEASE_SECONDS"))


def backoff_seconds(attempts: int) -> int:
    """Upper bound of the task's retry countdown after ``attempts`` (Celery's retry_backoff
    with jitter picks at most this)."""
    cap = setting("INGEST_RETRY_BACKOFF_MAX")
    return int(min(cap, 2 ** max(0, min(attempts, 20))))


def is_transient(exc: BaseException) -> bool:
    """Is ``exc`` (or what caused it) a failure that goes away by waiting?"""
    from botocore import exceptions as boto
    from django.db import InterfaceError, OperationalError

    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        if isinstance(exc, boto.ConnectionError | boto.HTTPClientError | boto.ReadTimeoutError
                      | boto.ConnectTimeoutError | boto.ResponseStreamingError
                      | boto.IncompleteReadError):
            return True
        if isinstance(exc, boto.ClientError):
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            code = str(exc.response.get("Error", {}).get("Code", ""))
            return status >= 500 or status == 429 or code in {
                "SlowDown", "RequestTimeout", "Throttling", "ThrottlingException",
                "InternalError", "ServiceUnavailable", "RequestTimeTooSkewed",
            }
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if _is_broker_connection_error(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _is_broker_connection_error(exc) -> bool:
    try:
        from kombu.exceptions import OperationalError as KombuOperationalError
    except ImportError:  # pragma: no cover - kombu is a dependency of Celery
        return False
    return isinstance(exc, KombuOperationalError)


def run_ingest(ingest_id, *, tenant_id=None) -> str:
    """Process one ingest; returns its status afterwards, or ``"skipped"`` when another run
    holds it or it is finished. Raises :class:`TransientIngestError` after releasing the
    claim when a retry may succeed."""
    token = uuid.uuid4()
    now = timezone.now()
    rows = Ingest.unscoped.filter(ingest_id=ingest_id)
    if tenant_id is not None:
        rows = rows.filter(tenant_id=tenant_id)
    try:
        claimed = rows.filter(
            Q(status=IngestStatus.QUEUED)
            | Q(status=IngestStatus.PROCESSING, lease_expires_at__lt=now)
        ).update(status=IngestStatus.PROCESSING, lease_token=token,
                 lease_expires_at=now + lease_duration(), attempts=F("attempts") + 1,
                 next_attempt_at=None, updated_at=now)
        if claimed != 1:
            return SKIPPED
        ingest = rows.select_related("tenant", "node", "uploaded_by").get()
    except Exception as exc:
        if is_transient(exc):
            raise TransientIngestError(str(exc)) from exc
        raise
    job = _Job(ingest, token, claimed_at=now)
    try:
        job.run()
    except (_Finished, LeaseLost):
        pass
    except Exception as exc:
        if is_transient(exc):
            job.release(exc)
            raise TransientIngestError(f"{type(exc).__name__}: {exc}") from exc
        log.exception("ingest %s failed", ingest.ingest_id)
        job.quarantine_for(exc)
    finally:
        job.cleanup()
    return job.final_status


def _format_detail(exc) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


@dataclass
class _Analysed:
    sha256: str
    size: int
    info: object
    peaks: list


class _Job:
    def __init__(self, ingest: Ingest, token, *, claimed_at):
        self.ingest = ingest
        self.token = token
        self.claimed_at = claimed_at
        self.final_status = SKIPPED
        self.temp_files: list[Path] = []
        self.key = ""
        self.uploaded_key = ""
        self.upload_started = False
        self._upload_thread: threading.Thread | None = None
        self._upload_error: BaseException | None = None
        self.pbx_user = None

    # --- the steps ------------------------------------------------------------------------
    def run(self):
        ingest = self.ingest
        path = self.materialise()
        if path is None:
            self.finish_without_recording(
                IngestStatus.QUARANTINED, IngestReason.STAGED_MISSING,
                "The received bytes are not where they were staged.")
        try:
            metadata = validate_metadata(ingest.metadata)
        except ValidationError as exc:
            self.finish_without_recording(IngestStatus.REJECTED, IngestReason.INVALID_METADATA,
                                          _validation_detail(exc))
        from . import audio

        self.metadata = metadata
        self.start_upload_early(path, metadata)
        try:
            analysis = audio.analyse(path)
        except audio.AudioRejected as exc:
            self.finish_without_recording(IngestStatus.REJECTED, exc.code, exc.detail)
        analysed = _Analysed(sha256=analysis.sha256, size=analysis.size, info=analysis.info,
                             peaks=_plain(analysis.peaks))
        if ingest.sha256 and ingest.sha256 != analysed.sha256:
            self.finish_without_recording(
                IngestStatus.QUARANTINED, IngestReason.CHECKSUM_MISMATCH,
                f"received {ingest.sha256}, staged bytes {analysed.sha256}")
        self.analysed = analysed
        key = recording_key(tenant_id=ingest.tenant_id, started_at=started_at_of(metadata),
                            ingest_id=ingest.ingest_id, extension=_dot(analysed.info.extension))
        if self.upload_started and key != self.key:
            self.finish_without_recording(
                IngestStatus.QUARANTINED, IngestReason.INTERNAL_ERROR,
                f"The container changed while it was processed ({self.key} → {key}).")
        self.key = key
        self.pbx_user = PbxUser.unscoped.filter(tenant_id=ingest.tenant_id,
                                                extension=metadata["extension"]).first()
        call = self.ensure_call(metadata)

        existing = Recording.unscoped.filter(tenant_id=ingest.tenant_id, call=call,
                                             sha256=analysed.sha256).first()
        if existing is not None:
            self.link_existing(existing)
        if call.consent == Consent.OBJECTED:
            self.finish_with_tombstone(call)

        pbx_user = self.pbx_user
        if pbx_user is None:
            self.finish_without_recording(
                IngestStatus.QUARANTINED, IngestReason.UNKNOWN_EXTENSION,
                f"Extension {metadata['extension']} is not a PBX user of this tenant yet. "
                "Create it, and the recording is processed again.")

        violation = self.licence_violation(pbx_user, metadata)
        self.renew_if_needed()
        if self.upload_started:
            self.wait_upload()
        else:
            self.upload(path, self.key)
        self.renew_if_needed()
        self.finish_stored(call, pbx_user, violation)

    def materialise(self) -> Path | None:
        """A local path holding the received bytes, or None when they are gone."""
        ingest = self.ingest
        if ingest.staged_in == StagedIn.LOCAL:
            staged = staging.path(ingest.staged_path)
            if staged.exists():
                return staged
            if ingest.source == IngestSource.SPOOL and ingest.source_path:
                # The claim committed but the scanner died before moving the file.
                from .sources import finish_spool_claim

                if finish_spool_claim(ingest):
                    return staged
            return None
        if ingest.staged_in == StagedIn.STORE:
            fd, name = _mkstemp(ingest)
            os.close(fd)
            temp = Path(name)
            self.temp_files.append(temp)
            try:
                get_store().download_file(ingest.staged_path, temp)
            except ObjectMissing:
                return None
            return temp
        return None

    def ensure_call(self, metadata) -> Call:
        """The call of this recording, created or completed from the metadata; a consent
        outcome in the metadata is applied like a PBX consent report."""
        from . import services

        ingest = self.ingest
        outcome = metadata.get("consent")
        if outcome == Consent.UNKNOWN:
            outcome = None
        details = services.call_details(metadata)
        details["pbx_user"] = self.pbx_user  # looked up once, in run()
        if not outcome:
            # Nothing to change under the row lock: get-or-create and fill in, no transaction
            # of its own (the final transaction locks the call).
            return services.ensure_call(tenant=ingest.tenant_id, call_id=metadata["call_id"],
                                        details=details)
        with transaction.atomic():
            call = services.ensure_call(tenant=ingest.tenant_id, call_id=metadata["call_id"],
                                        details=details, lock=True)
            if call.consent != outcome:
                with contextlib.suppress(services.ConsentFinal):
                    services.apply_consent(
                        actor=self.actor, call=call, outcome=outcome,
                        source=(ConsentSource.UPLOAD if ingest.source == IngestSource.UPLOAD
                                else ConsentSource.PBX),
                        set_by=self.actor_label,
                        note=f"reported with ingest {ingest.ingest_id}")
        return call

    def licence_violation(self, pbx_user, metadata) -> str:
        from licensing.selectors import held_license_at

        needed = REQUIRED_LICENSE[metadata["kind"]]
        if held_license_at(pbx_user=pbx_user, license=needed, at=started_at_of(metadata)):
            return ""
        return f"{needed}_not_held"

    def upload(self, path: Path, key: str):
        """Upload the analysed audio to ``key`` (when it did not start early)."""
        analysed = self.analysed
        store = get_store()
        self._before_upload(key)
        self._put(store, path, key, content_type=analysed.info.mime_type,
                  sha256=analysed.sha256, size=analysed.size)
        self.uploaded_key = key

    def _before_upload(self, key: str):
        if self.ingest.attempts > 1:
            # An earlier attempt may have ended without keeping this key (its deletion may
            # still be pending): cancel that before uploading to it again.
            from .services import cancel_object_deletions

            cancel_object_deletions(tenant_id=self.ingest.tenant_id, key=key)

    def _put(self, store, path: Path, key: str, *, content_type: str, sha256: str, size: int):
        """Store I/O only (no database): may run in the upload thread."""
        ingest = self.ingest
        metadata = {"sha256": sha256, "ingest-id": str(ingest.ingest_id),
                    "tenant-id": str(ingest.tenant_id)}
        if ingest.attempts > 1:
            existing = store.head(key)
            if existing is not None and existing.size == size and (
                existing.metadata.get("sha256") == sha256
            ):
                return
        if ingest.staged_in == StagedIn.STORE:
            store.copy(ingest.staged_path, key, content_type=content_type, metadata=metadata)
        else:
            store.put_file(key, path, content_type=content_type, metadata=metadata)

    def start_upload_early(self, path: Path, metadata):
        """Overlap the upload with decoding and peaks (S3 only): the container check gives
        the key and the content type, the push gave the SHA-256. The upload runs in a thread
        that touches no database; every ending waits for it first, and one that does not keep
        the object deletes it durably (``PendingObjectDeletion``). A checksum that turns out
        different quarantines the ingest (and deletes the object) as before."""
        from . import audio

        ingest = self.ingest
        if not ingest.sha256 or not setting("INGEST_OVERLAP_UPLOAD"):
            return
        store = get_store()
        if store.kind != "s3":
            return
        try:
            media_type, extension = audio.media_type(path)
            size = path.stat().st_size
        except (audio.AudioRejected, OSError):
            return  # the analysis says why
        key = recording_key(tenant_id=ingest.tenant_id, started_at=started_at_of(metadata),
                            ingest_id=ingest.ingest_id, extension=_dot(extension))
        self._before_upload(key)

        def body():
            try:
                self._put(store, path, key, content_type=media_type, sha256=ingest.sha256,
                          size=size)
            except BaseException as exc:  # re-raised by wait_upload()
                self._upload_error = exc

        self.key = key
        self.upload_started = True
        self._upload_thread = threading.Thread(target=body, name=f"upload-{ingest.ingest_id}",
                                               daemon=True)
        self._upload_thread.start()

    def wait_upload(self, *, raise_errors: bool = True):
        """Wait for an early upload; raise its error unless the ingest ends without the
        object anyway (``raise_errors=False``)."""
        if self._upload_thread is not None:
            self._upload_thread.join()
            self._upload_thread = None
            if self._upload_error is None:
                self.uploaded_key = self.key
        if raise_errors and self._upload_error is not None:
            raise self._upload_error

    # --- endings --------------------------------------------------------------------------
    def _lock(self) -> Ingest:
        locked = Ingest.unscoped.select_for_update().get(pk=self.ingest.pk)
        if locked.status != IngestStatus.PROCESSING or locked.lease_token != self.token:
            raise LeaseLost()
        return locked

    @property
    def may_have_uploaded(self) -> bool:
        """Could an object exist at ``self.key``? (this attempt uploaded it, or an earlier one
        may have, and died before its commit)"""
        return bool(self.key) and (bool(self.uploaded_key) or self.upload_started
                                   or self.ingest.attempts > 1)

    def _close(self, locked: Ingest, *, status, reason="", detail="", recording=None,
               drop_staged=False, keeps_key=False):
        """The ingest's final state (in the caller's transaction). Unless the recording keeps
        the object at ``self.key``, one that this or an earlier attempt uploaded is deleted:
        a ``PendingObjectDeletion`` row in this transaction, the deletion after the commit,
        the sweeper retrying until it succeeds."""
        now = timezone.now()
        fields = {
            "status": status, "reason": reason, "reason_detail": detail[:4000],
            "lease_token": None, "lease_expires_at": None, "next_attempt_at": None,
            "finished_at": now, "updated_at": now,
        }
        analysed = getattr(self, "analysed", None)
        if analysed is not None:
            fields["sha256"] = analysed.sha256
            fields["size"] = analysed.size
        if recording is not None:
            fields["recording"] = recording
        Ingest.unscoped.filter(pk=locked.pk).update(**fields)
        self.final_status = status
        if not keeps_key and self.may_have_uploaded:
            # Recorded in this transaction, deleted after the commit, retried by the sweeper.
            from .services import schedule_object_deletion

            schedule_object_deletion(tenant_id=locked.tenant_id, key=self.key,
                                     reason=reason or status, ingest=locked.pk)
        if drop_staged:
            staged_in, staged_path = locked.staged_in, locked.staged_path
            transaction.on_commit(lambda: remove_staged(locked.pk, staged_in, staged_path))

    def finish_without_recording(self, status, reason, detail):
        ingest = self.ingest
        self.wait_upload(raise_errors=False)
        with transaction.atomic():
            locked = self._lock()
            self._close(locked, status=status, reason=reason, detail=detail)
            action = ("recording.rejected" if status == IngestStatus.REJECTED
                      else "recording.quarantined")
            audit.record(actor=self.actor, tenant=ingest.tenant_id, action=action, obj=ingest,
                         data={"ingest_id": str(ingest.ingest_id), "call_id": ingest.call_id,
                               "extension": ingest.extension, "source": ingest.source,
                               "file": ingest.original_name, "reason": str(reason),
                               "detail": detail[:500]})
        raise _Finished()

    def link_existing(self, recording: Recording):
        """The same audio of this call exists already: point at it, keep nothing twice."""
        self.wait_upload(raise_errors=False)
        with transaction.atomic():
            locked = self._lock()
            self._link(locked, recording)
        raise _Finished()

    def _link(self, locked, recording: Recording):
        ingest = self.ingest
        if recording.audio_state == AudioState.DISCARDED or recording.discard_pending:
            status, reason = IngestStatus.REJECTED, IngestReason.CALLER_OBJECTED
        else:
            status, reason = IngestStatus.STORED, IngestReason.DUPLICATE
        self._close(locked, status=status, reason=reason, recording=recording,
                    detail=f"same audio as recording {recording.pk}", drop_staged=True)
        audit.record(actor=self.actor, tenant=ingest.tenant_id,
                     action="recording.duplicate_received", obj=recording,
                     data={"ingest_id": str(ingest.ingest_id), "call_id": ingest.call_id,
                           "sha256": recording.sha256, "source": ingest.source})

    def _recording_fields(self, call, pbx_user):
        metadata, analysed, ingest = self.metadata, self.analysed, self.ingest
        info = analysed.info
        raw_remote = metadata.get("remote_number", "")
        return {
            "tenant_id": ingest.tenant_id, "call": call, "pbx_call_id": call.call_id,
            "ingest": ingest, "extension": metadata["extension"], "pbx_user": pbx_user,
            "direction": metadata["direction"], "remote_number": normalise_number(raw_remote),
            "remote_number_raw": raw_remote[:64], "started_at": started_at_of(metadata),
            "duration": float(info.duration or 0), "kind": metadata["kind"],
            "consent": call.consent, "sha256": analysed.sha256, "size": analysed.size,
            "container": str(info.container or "")[:32], "codec": str(info.codec or "")[:32],
            "sample_rate": info.sample_rate or None, "channels": info.channels or None,
            "mime_type": str(info.mime_type or "")[:64],
            "file_extension": _dot(info.extension)[:8],
            "truncated": bool(info.truncated),
            "truncation_detail": str(info.truncation_detail or "")[:500],
        }

    def _tombstone(self, call, pbx_user=None) -> Recording:
        """A tombstone instead of a recording. When audio may have reached the store (this
        attempt or a killed earlier one uploaded it), the tombstone names the key with no
        ``storage_deleted_at``: the deletion after the commit is then tracked, and retried by
        the sweeper until it succeeds."""
        from .services import delete_recording_audio

        now = timezone.now()
        uploaded = self.may_have_uploaded
        recording = Recording.unscoped.create(
            **self._recording_fields(call, pbx_user), storage_key=self.key if uploaded else "",
            peaks=[], audio_state=AudioState.DISCARDED, discarded_at=now,
            discard_reason=DiscardReason.CALLER_OBJECTED,
            discarded_by=call.consent_set_by or call.consent_source,
            storage_deleted_at=None if uploaded else now,
        )
        if uploaded:
            transaction.on_commit(lambda: delete_recording_audio(recording.pk))
        return recording

    def _audit_discarded(self, recording, call):
        ingest = self.ingest
        audit.record(actor=self.actor, tenant=ingest.tenant_id, action="recording.discarded",
                     obj=recording,
                     data={"ingest_id": str(ingest.ingest_id), "call_id": call.call_id,
                           "sha256": recording.sha256, "size": recording.size,
                           "reason": DiscardReason.CALLER_OBJECTED, "when": "at_ingest",
                           "objected_by": call.consent_set_by,
                           "objection_source": call.consent_source,
                           "objected_at": call.consent_set_at})

    def finish_with_tombstone(self, call):
        """The caller objected before the audio arrived: keep a tombstone, not the audio."""
        self.wait_upload(raise_errors=False)
        with transaction.atomic():
            locked = self._lock()
            call = Call.unscoped.select_for_update().get(pk=call.pk)
            self._write_recording(locked, call, self.pbx_user, violation="")
        raise _Finished()

    def finish_stored(self, call, pbx_user, violation):
        self.wait_upload()
        with transaction.atomic():
            locked = self._lock()
            call = Call.unscoped.select_for_update().get(pk=call.pk)
            self._write_recording(locked, call, pbx_user, violation=violation)

    def _write_recording(self, locked, call, pbx_user, *, violation):
        """In the caller's transaction, with the ingest and the call locked: the recording
        (or, when the caller objected, its tombstone), the ingest's final state and the audit
        event; an uploaded object that is not kept is deleted after the commit."""
        ingest, analysed, key = self.ingest, self.analysed, self.key
        objected = call.consent == Consent.OBJECTED
        try:
            with transaction.atomic():
                if objected:
                    recording = self._tombstone(call, pbx_user)
                else:
                    recording = Recording.unscoped.create(
                        **self._recording_fields(call, pbx_user), storage_key=key,
                        peaks=analysed.peaks, policy_violation=bool(violation),
                        policy_violation_reason=violation)
        except IntegrityError:
            # The same audio of this call was written by another ingest meanwhile.
            existing = Recording.unscoped.get(tenant_id=locked.tenant_id, call=call,
                                              sha256=analysed.sha256)
            self._link(locked, existing)
            return
        if objected:
            # The tombstone tracks the deletion of anything uploaded (keeps_key).
            self._close(locked, status=IngestStatus.REJECTED,
                        reason=IngestReason.CALLER_OBJECTED, recording=recording,
                        detail="The caller objected; the audio was not kept.", drop_staged=True,
                        keeps_key=True)
            self._audit_discarded(recording, call)
            return
        self._close(locked, status=IngestStatus.STORED, recording=recording, drop_staged=True,
                    keeps_key=True)
        audit.record(
            actor=self.actor, tenant=ingest.tenant_id, action="recording.ingested",
            obj=recording,
            data={"ingest_id": str(ingest.ingest_id), "call_id": call.call_id,
                  "extension": recording.extension, "kind": recording.kind,
                  "source": ingest.source, "sha256": recording.sha256, "size": recording.size,
                  "duration": recording.duration, "storage_key": key,
                  "truncated": recording.truncated, "policy_violation": violation or None,
                  "consent": recording.consent},
        )

    def quarantine_for(self, exc):
        from botocore.exceptions import BotoCoreError, ClientError

        reason = (IngestReason.STORAGE_ERROR if isinstance(exc, ClientError | BotoCoreError)
                  else IngestReason.INTERNAL_ERROR)
        with contextlib.suppress(_Finished, LeaseLost):
            self.finish_without_recording(IngestStatus.QUARANTINED, reason, _format_detail(exc))

    def release(self, exc):
        """Give the ingest back to ``queued`` after a transient failure (best effort: when the
        database is the thing that is down, the lease expires and the sweeper takes over)."""
        self.wait_upload(raise_errors=False)
        now = timezone.now()
        try:
            Ingest.unscoped.filter(pk=self.ingest.pk, lease_token=self.token,
                                   status=IngestStatus.PROCESSING).update(
                status=IngestStatus.QUEUED, reason=IngestReason.TRANSIENT_ERROR,
                reason_detail=_format_detail(exc), lease_token=None, lease_expires_at=None,
                next_attempt_at=now + timedelta(seconds=backoff_seconds(self.ingest.attempts)),
                enqueued_at=now, updated_at=now)
            self.final_status = IngestStatus.QUEUED
        except Exception:
            log.warning("could not release ingest %s; its lease will expire",
                        self.ingest.ingest_id, exc_info=True)

    def renew_if_needed(self):
        now = timezone.now()
        lease = lease_duration()
        if now - self.claimed_at < lease / 3:
            return
        renewed = Ingest.unscoped.filter(pk=self.ingest.pk, lease_token=self.token,
                                         status=IngestStatus.PROCESSING).update(
            lease_expires_at=now + lease, updated_at=now)
        if renewed != 1:
            raise LeaseLost()
        self.claimed_at = now

    def cleanup(self):
        self.wait_upload(raise_errors=False)  # it may still read a temporary file
        for temp in self.temp_files:
            temp.unlink(missing_ok=True)

    # --- who ------------------------------------------------------------------------------
    @property
    def actor(self):
        return self.ingest.node or self.ingest.uploaded_by

    @property
    def actor_label(self) -> str:
        if self.ingest.node is not None:
            return f"node:{self.ingest.node.name}"
        if self.ingest.uploaded_by is not None:
            return self.ingest.uploaded_by.get_username()
        return "system"


def remove_staged(ingest_pk, staged_in, staged_path) -> bool:
    """Delete the staged bytes of a finished ingest and forget where they were. Safe to
    repeat; a failure leaves the row pointing at them for the sweeper to try again."""
    try:
        if staged_in == StagedIn.LOCAL:
            staging.remove(staged_path)
        elif staged_in == StagedIn.STORE:
            get_store().delete(staged_path)
    except Exception:
        log.warning("could not remove staged %s (ingest %s); the sweeper retries", staged_path,
                    ingest_pk, exc_info=True)
        return False
    Ingest.unscoped.filter(pk=ingest_pk, staged_path=staged_path).update(
        staged_in=StagedIn.NONE, staged_path="")
    return True


def _mkstemp(ingest):
    import tempfile

    return tempfile.mkstemp(prefix=f"{ingest.ingest_id}-", suffix=staging.safe_extension(
        ingest.original_name or ingest.staged_path), dir=staging.temp_dir())


def _dot(extension) -> str:
    extension = str(extension or "").lower()
    if extension and not extension.startswith("."):
        extension = "." + extension
    return extension


def _plain(peaks):
    if hasattr(peaks, "tolist"):
        return peaks.tolist()
    if isinstance(peaks, list | tuple):
        return [_plain(p) for p in peaks]
    if hasattr(peaks, "item"):
        return peaks.item()
    return peaks


def _validation_detail(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {error.code}" for field, errors in exc.error_dict.items()
                         for error in errors)
    return "; ".join(exc.messages)
