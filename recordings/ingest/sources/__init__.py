"""The pulled sources: the local spool folder (``spool``) and the S3 inbox (``inbox``),
scanned by Celery beat.

Both share one rule for *exactly once*: an object is claimed by inserting its ingest row with
``source_ref`` (the object's path plus what identifies this version of it); the unique
constraint on ``(tenant, source, source_ref)`` lets exactly one scanner win, however many run.
Only the winner touches the object afterwards.

Layouts (docs/ingest.md): ``INGEST_SPOOL_DIR/<tenant_slug>/<node>/.../<file>`` and
``inbox/<tenant_slug>/<node>/.../<file>`` in the recordings bucket, each audio file with a
sidecar ``<file>.json`` holding the push metadata, written last.
"""

from __future__ import annotations

import json
import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from tenancy.models import PbxNode, Tenant

from ...choices import IngestReason, IngestStatus
from ...metadata import CALL_ID_RE, EXTENSION_RE, error_codes, validate_metadata
from ...models import Ingest
from ..queue import enqueue_on_commit

log = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".json"
SIDECAR_LIMIT = 64 * 1024
IGNORED_SUFFIXES = (".part", ".tmp", SIDECAR_SUFFIX)
BATCH = 100  # PostgreSQL proves a partial index's predicate for IN lists up to 100


def parse_sidecar(raw: bytes) -> tuple[dict, ValidationError | None]:
    """``(metadata, None)`` when valid, else ``(what could be read, the error)``."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}, ValidationError({"metadata": ValidationError(
            "The sidecar is not a UTF-8 JSON document.", code="invalid_json")})
    try:
        return validate_metadata(data), None
    except ValidationError as exc:
        return (data if isinstance(data, dict) else {}), exc


def claim(*, ingest_id, tenant, node, source, source_ref, source_path, staged_in, staged_path,
           original_name, metadata, error) -> Ingest | None:
    """Insert the claim row; None when another scanner claimed the object first."""
    call_id = metadata.get("call_id") if isinstance(metadata.get("call_id"), str) else ""
    extension = metadata.get("extension") if isinstance(metadata.get("extension"), str) else ""
    now = timezone.now()
    try:
        with transaction.atomic():
            ingest = Ingest.unscoped.create(
                ingest_id=ingest_id, tenant=tenant, node=node, source=source,
                source_ref=source_ref, source_path=source_path, staged_in=staged_in,
                staged_path=staged_path, original_name=original_name[:255],
                call_id=call_id if CALL_ID_RE.match(call_id or "") else "",
                extension=extension if EXTENSION_RE.match(extension or "") else "",
                metadata=json.loads(json.dumps(metadata, default=str)),
                status=IngestStatus.QUEUED if error is None else IngestStatus.REJECTED,
                reason="" if error is None else IngestReason.INVALID_METADATA,
                reason_detail="" if error is None else error_codes(error),
                finished_at=None if error is None else now, enqueued_at=now,
            )
            if error is None:
                enqueue_on_commit(ingest)
            else:
                audit.record(actor=node, tenant=tenant, action="recording.rejected", obj=ingest,
                             data={"ingest_id": str(ingest.ingest_id), "source": source,
                                   "file": source_path, "reason": IngestReason.INVALID_METADATA,
                                   "detail": ingest.reason_detail[:500]})
    except IntegrityError:
        return None
    return ingest


def tenants_and_nodes(slugs):
    tenants = {t.slug: t for t in Tenant.objects.filter(slug__in=list(slugs), status="active")}
    nodes = {}
    for node in PbxNode.unscoped.filter(tenant__in=tenants.values(), is_active=True):
        nodes[(node.tenant_id, node.name)] = node
    return tenants, nodes
