"""The pulled sources: the local spool folder and the S3 inbox, scanned by Celery beat.

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
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from tenancy.models import PbxNode, Tenant

from . import staging
from .choices import IngestReason, IngestSource, IngestStatus, StagedIn
from .conf import setting
from .metadata import CALL_ID_RE, EXTENSION_RE, validate_metadata
from .models import Ingest
from .services import enqueue_on_commit
from .storage import ObjectMissing, get_store

log = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".json"
SIDECAR_LIMIT = 64 * 1024
IGNORED_SUFFIXES = (".part", ".tmp", SIDECAR_SUFFIX)
BATCH = 100  # PostgreSQL proves a partial index's predicate for IN lists up to 100


def spool_root() -> Path:
    return Path(settings.INGEST_SPOOL_DIR)


def inbox_prefix() -> str:
    prefix = setting("INGEST_INBOX_PREFIX")
    return prefix if prefix.endswith("/") else prefix + "/"


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


def _error_text(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {e.code}" for field, errors in error.error_dict.items()
                         for e in errors)
    return "; ".join(error.messages)


def _claim(*, ingest_id, tenant, node, source, source_ref, source_path, staged_in, staged_path,
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
                reason_detail="" if error is None else _error_text(error),
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


def _tenants_and_nodes(slugs):
    tenants = {t.slug: t for t in Tenant.objects.filter(slug__in=list(slugs), status="active")}
    nodes = {}
    for node in PbxNode.unscoped.filter(tenant__in=tenants.values(), is_active=True):
        nodes[(node.tenant_id, node.name)] = node
    return tenants, nodes


# --- spool folder ---------------------------------------------------------------------------
@dataclass
class SpoolFile:
    path: Path
    sidecar: Path
    relative: str
    ref: str


def _spool_files(root: Path, node_dir: Path, settle: float, now: float):
    for dirpath, dirnames, filenames in os.walk(node_dir):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        names = set(filenames)
        for name in sorted(filenames):
            if name.startswith(".") or name.lower().endswith(IGNORED_SUFFIXES):
                continue
            if name + SIDECAR_SUFFIX not in names:
                continue
            path = Path(dirpath) / name
            sidecar = Path(dirpath) / (name + SIDECAR_SUFFIX)
            try:
                stat = path.stat()
                sidecar_stat = sidecar.stat()
            except FileNotFoundError:
                continue
            if now - max(stat.st_mtime, sidecar_stat.st_mtime) < settle:
                continue
            relative = path.relative_to(root).as_posix()
            yield SpoolFile(path=path, sidecar=sidecar, relative=relative,
                            ref=f"{relative}@{stat.st_mtime_ns}:{stat.st_size}")


def scan_spool() -> int:
    """Claim every complete file pair in the spool folder; returns how many were claimed.
    Files of unknown tenants or nodes are left where they are (and logged)."""
    root = spool_root()
    if not root.is_dir():
        return 0
    settle = setting("INGEST_SPOOL_SETTLE_SECONDS")
    now = time.time()
    tenant_dirs = sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    tenants, nodes = _tenants_and_nodes(d.name for d in tenant_dirs)
    claimed = 0
    for tenant_dir in tenant_dirs:
        tenant = tenants.get(tenant_dir.name)
        if tenant is None:
            log.warning("spool: no active tenant %r; its files stay", tenant_dir.name)
            continue
        for node_dir in sorted(d for d in tenant_dir.iterdir() if d.is_dir()):
            node = nodes.get((tenant.pk, node_dir.name))
            if node is None:
                log.warning("spool: no active node %s/%s; its files stay", tenant.slug,
                            node_dir.name)
                continue
            files = list(_spool_files(root, node_dir, settle, now))
            for start in range(0, len(files), BATCH):
                batch = files[start:start + BATCH]
                known = set(Ingest.unscoped.filter(
                    tenant=tenant, source=IngestSource.SPOOL,
                    source_ref__in=[f.ref for f in batch]).exclude(source_ref="")
                    .values_list("source_ref", flat=True))
                for item in batch:
                    if item.ref not in known and _claim_spool_file(tenant, node, item):
                        claimed += 1
    return claimed


def _claim_spool_file(tenant, node, item: SpoolFile) -> bool:
    try:
        if item.sidecar.stat().st_size > SIDECAR_LIMIT:
            metadata, error = {}, ValidationError({"metadata": ValidationError(
                "The sidecar is larger than 64 KiB.", code="invalid")})
        else:
            metadata, error = parse_sidecar(item.sidecar.read_bytes())
    except FileNotFoundError:
        return False
    ingest_id = uuid.uuid4()
    staged_path = staging.staged_name(tenant_id=tenant.pk, ingest_id=ingest_id,
                                      extension=staging.safe_extension(item.path.name))
    ingest = _claim(ingest_id=ingest_id, tenant=tenant, node=node, source=IngestSource.SPOOL,
                    source_ref=item.ref, source_path=item.relative, staged_in=StagedIn.LOCAL,
                    staged_path=staged_path, original_name=item.path.name, metadata=metadata,
                    error=error)
    if ingest is None:
        return False
    finish_spool_claim(ingest)
    return True


def finish_spool_claim(ingest: Ingest) -> bool:
    """Move a claimed spool file into staging and drop its sidecar (its content is in the
    ingest row). Called by the scanner after the claim commits and by the pipeline if the
    scanner died in between; returns whether the file is in staging now."""
    source = spool_root() / ingest.source_path
    try:
        staging.move_in(source, ingest.staged_path)
    except FileNotFoundError:
        return staging.path(ingest.staged_path).exists()
    Path(f"{source}{SIDECAR_SUFFIX}").unlink(missing_ok=True)
    return True


# --- S3 inbox -------------------------------------------------------------------------------
def scan_inbox() -> int:
    """Claim every audio object in the inbox that has its sidecar; returns how many were
    claimed. The sidecar is deleted once the claim commits (its content is in the ingest
    row); the audio stays until the recording is stored. Needs ``S3_BUCKET``."""
    if not settings.S3_BUCKET:
        return 0
    store = get_store()
    prefix = inbox_prefix()
    objects = {info.key: info for info in store.iter_objects(prefix)}
    groups: dict[tuple[str, str], list] = {}
    for key, info in objects.items():
        if key.endswith(SIDECAR_SUFFIX) or key + SIDECAR_SUFFIX not in objects:
            continue
        parts = key[len(prefix):].split("/")
        if len(parts) < 3 or not all(parts):
            log.warning("inbox: %s is not under inbox/<tenant>/<node>/; left alone", key)
            continue
        stamp = info.last_modified.isoformat() if info.last_modified else ""
        groups.setdefault((parts[0], parts[1]), []).append((key, f"{key}@{info.etag}@{stamp}"))
    tenants, nodes = _tenants_and_nodes({slug for slug, _node in groups})
    claimed = 0
    for (slug, node_name), items in sorted(groups.items()):
        tenant = tenants.get(slug)
        node = nodes.get((tenant.pk, node_name)) if tenant else None
        if node is None:
            log.warning("inbox: no active tenant/node %s/%s; its objects stay", slug, node_name)
            continue
        for start in range(0, len(items), BATCH):
            batch = items[start:start + BATCH]
            known = set(Ingest.unscoped.filter(
                tenant=tenant, source=IngestSource.S3_INBOX,
                source_ref__in=[ref for _key, ref in batch]).exclude(source_ref="")
                .values_list("source_ref", flat=True))
            for key, ref in batch:
                if ref in known:
                    # Claimed before, but the sidecar survived (the scanner died): finish.
                    _delete_sidecar(store, key)
                elif _claim_inbox_object(store, tenant, node, key, ref):
                    claimed += 1
    return claimed


def _claim_inbox_object(store, tenant, node, key, ref) -> bool:
    try:
        metadata, error = parse_sidecar(store.read_small(key + SIDECAR_SUFFIX, SIDECAR_LIMIT))
    except ObjectMissing:
        return False
    except ValueError:
        metadata, error = {}, ValidationError({"metadata": ValidationError(
            "The sidecar is larger than 64 KiB.", code="invalid")})
    ingest = _claim(ingest_id=uuid.uuid4(), tenant=tenant, node=node,
                    source=IngestSource.S3_INBOX, source_ref=ref, source_path=key,
                    staged_in=StagedIn.STORE, staged_path=key,
                    original_name=key.rsplit("/", 1)[-1], metadata=metadata, error=error)
    if ingest is None:
        return False
    _delete_sidecar(store, key)
    return True


def _delete_sidecar(store, key):
    try:
        store.delete(key + SIDECAR_SUFFIX)
    except Exception:
        log.warning("inbox: could not delete the sidecar of %s; next scan retries", key,
                    exc_info=True)
