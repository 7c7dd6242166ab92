"""The S3 inbox: ``inbox/<tenant_slug>/<node>/.../<file>`` in the recordings bucket, with a
sidecar ``<file>.json`` written last."""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError

from ...choices import IngestSource, StagedIn
from ...conf import setting
from ...models import Ingest
from ...storage import ObjectMissing, get_store
from . import BATCH, SIDECAR_LIMIT, SIDECAR_SUFFIX, claim, parse_sidecar, tenants_and_nodes

log = logging.getLogger(__name__)


def inbox_prefix() -> str:
    prefix = setting("INGEST_INBOX_PREFIX")
    return prefix if prefix.endswith("/") else prefix + "/"

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
    tenants, nodes = tenants_and_nodes({slug for slug, _node in groups})
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
    ingest = claim(ingest_id=uuid.uuid4(), tenant=tenant, node=node,
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
