"""The local spool folder: ``INGEST_SPOOL_DIR/<tenant_slug>/<node>/.../<file>`` with a sidecar
``<file>.json`` written last."""

from __future__ import annotations

import logging
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from ... import staging
from ...choices import IngestSource, StagedIn
from ...conf import setting
from ...models import Ingest
from . import (
    BATCH,
    IGNORED_SUFFIXES,
    SIDECAR_LIMIT,
    SIDECAR_SUFFIX,
    claim,
    parse_sidecar,
    tenants_and_nodes,
)

log = logging.getLogger(__name__)


def spool_root() -> Path:
    return Path(settings.INGEST_SPOOL_DIR)

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
    tenants, nodes = tenants_and_nodes(d.name for d in tenant_dirs)
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
    ingest = claim(ingest_id=ingest_id, tenant=tenant, node=node, source=IngestSource.SPOOL,
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
