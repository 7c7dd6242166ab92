"""Receiving pushed and uploaded audio: bytes into staging, then the ingest row.

The staged file is durable before the row commits, so a 202 means the recording survives a
crash and a power cut (``staging.move_in`` fsyncs the file and its folder). The same call and
audio again answers the first ingest, also when two identical pushes race (the unique
constraint picks one).
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import staging
from ..choices import IngestSource, IngestStatus, StagedIn
from ..cleanup import remove_staged
from ..conf import setting
from ..models import Ingest
from ..storage import get_store, staging_key
from .queue import enqueue_on_commit


def find_received(*, tenant, call_id: str, sha256: str) -> Ingest | None:
    return Ingest.unscoped.filter(tenant_id=getattr(tenant, "pk", tenant), call_id=call_id,
                                  sha256=sha256,
                                  source__in=[IngestSource.PUSH, IngestSource.UPLOAD]).first()


def receive_audio(*, tenant, source: str, metadata: dict, temp_path, sha256: str, size: int,
                  original_name: str = "", node=None, uploaded_by=None,
                  enqueue: bool = True, ingest_id=None,
                  attempts: int = 0) -> tuple[Ingest, bool]:
    """Take a received file (already streamed to ``temp_path`` and hashed) into staging and
    write its ingest row; returns ``(ingest, created)``. The caller removes ``temp_path`` if
    it still exists.

    The same audio of the same call pushed again (a retry, a concurrent duplicate) is found
    by the insert: the unique constraint on ``(tenant, call_id, sha256)`` refuses the second
    row, its staged copy is removed and the first ingest answers. A local push therefore
    costs no lookup before its insert; staging in the store looks first, since a duplicate
    would cost an upload there.

    ``ingest_id`` and ``attempts``: from the express lane handing a push over
    (``recordings.ingest.express``); ``attempts=1`` says that an object may exist under the
    ingest's key already, so that the pipeline looks before it uploads and deletes what it
    does not keep."""
    in_store = setting("INGEST_STAGE_IN_STORE")
    if in_store:
        existing = find_received(tenant=tenant, call_id=metadata["call_id"], sha256=sha256)
        if existing is not None:
            return existing, False
    ingest_id = ingest_id or uuid.uuid4()
    extension = staging.safe_extension(original_name)
    if in_store:
        staged_in = StagedIn.STORE
        staged_path = staging_key(tenant_id=tenant.pk, ingest_id=ingest_id, extension=extension)
        get_store().put_file(staged_path, temp_path, metadata={"sha256": sha256},
                             sha256=sha256)
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
                attempts=attempts,
            )
            if enqueue:
                enqueue_on_commit(ingest)
    except IntegrityError:
        remove_staged(None, staged_in, staged_path)
        winner = find_received(tenant=tenant, call_id=metadata["call_id"], sha256=sha256)
        if winner is None:
            raise
        return winner, False
    except BaseException:
        remove_staged(None, staged_in, staged_path)
        raise
    return ingest, True
