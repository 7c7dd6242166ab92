"""Signed checkpoints of the audit chains, written to write-once storage.

A checkpoint says "chain C had event S with hash H" and is signed with Ed25519
(``audit.signing``). It is stored in the recordings bucket under
``audit-checkpoints/<tenant slug>/`` (the provider chain under ``audit-checkpoints/_provider/``),
with S3 Object Lock retention in COMPLIANCE mode when the bucket has Object Lock enabled, so
nobody (not even the bucket owner) can delete or overwrite it before the retention ends. Without
S3 it is a file under the recordings storage's directory.

The stored object is the authority. Verification (``audit.chain.verify`` and the offline
verifier, which receives the checkpoints in the export's header) checks each signature and then
that the chain still has, at each checkpoint's sequence, the hash the checkpoint states, and
reaches at least its sequence. Cutting off the tail, or rewriting the whole chain consistently
from the genesis hash, is thereby detected back to the last checkpoint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from . import signing
from .chain import format_time
from .models import PROVIDER_CHAIN, AuditChainHead, AuditCheckpoint, chain_key

PREFIX = "audit-checkpoints"
PROVIDER_FOLDER = "_provider"
DEFAULT_RETENTION_DAYS = 3653


def canonical(document: dict) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def folder_for(tenant) -> str:
    return f"{PREFIX}/{tenant.slug if tenant is not None else PROVIDER_FOLDER}/"


# --- storage --------------------------------------------------------------------------------
class _S3Store:
    def __init__(self, client, bucket):
        self.client, self.bucket = client, bucket

    def object_lock_enabled(self) -> bool:
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object_lock_configuration(Bucket=self.bucket)
        except ClientError:
            return False
        return answer.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"

    def put(self, key: str, body: bytes, retain_until) -> object:
        params = {"Bucket": self.bucket, "Key": key, "Body": body,
                  "ContentType": "application/json"}
        locked = self.object_lock_enabled()
        if locked:
            params.update(ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=retain_until)
        self.client.put_object(**params)
        return retain_until if locked else None

    def read_all(self, folder: str) -> list[tuple[str, bytes]]:
        """Every stored version under ``folder``: a delete marker hides nothing from us."""
        found = []
        paginator = self.client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=folder):
            for version in page.get("Versions", []):
                # A stored version never changes: read each one once (signatures are checked
                # on every verification all the same).
                cache_key = f"audit-cp:{self.bucket}:{version['Key']}:{version['VersionId']}"
                body = cache.get(cache_key)
                if body is None:
                    body = self.client.get_object(Bucket=self.bucket, Key=version["Key"],
                                                  VersionId=version["VersionId"])["Body"].read()
                    cache.set(cache_key, body, timeout=None)
                found.append((version["Key"], body))
        return found


class _LocalStore:
    def __init__(self, root: Path):
        self.root = root

    def put(self, key: str, body: bytes, retain_until) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        number = 1
        while path.exists():  # never overwrite a checkpoint (e.g. after a database reset)
            if path.read_bytes() == body:
                return None
            number += 1
            path = self.root / key.replace(".json", f"-{number}.json")
        path.write_bytes(body)
        path.chmod(0o444)
        return None

    def read_all(self, folder: str) -> list[tuple[str, bytes]]:
        base = self.root / folder
        if not base.is_dir():
            return []
        return [(str(path.relative_to(self.root)), path.read_bytes())
                for path in sorted(base.glob("*.json"))]


def store():
    from django.core.files.storage import storages

    storage = storages["recordings"]
    if getattr(storage, "bucket_name", None):
        return _S3Store(storage.connection.meta.client, storage.bucket_name)
    # AUDIT_CHECKPOINT_DIR (optional) moves the local files, e.g. per test.
    root = getattr(settings, "AUDIT_CHECKPOINT_DIR", None) or getattr(
        storage, "location", settings.MEDIA_ROOT)
    return _LocalStore(Path(root))


# --- writing --------------------------------------------------------------------------------
def _retention_days(tenant) -> int:
    if tenant is None:
        return DEFAULT_RETENTION_DAYS
    from .services import compliance_settings

    return compliance_settings(tenant).audit_retention_days


def write_checkpoint(tenant) -> AuditCheckpoint | None:
    """Sign and store the current head of ``tenant``'s chain (the provider chain for None).

    Returns the new checkpoint, or None when the chain is empty or nothing but the last
    checkpoint's own event was added since (so re-running is harmless). The storage write
    happens before the database row, and an ``audit.checkpoint_written`` event follows in the
    chain itself.
    """
    import audit

    chain = chain_key(getattr(tenant, "pk", None))
    head = AuditChainHead.objects.filter(chain=chain).first()
    if head is None or head.last_seq == 0:
        return None
    last = AuditCheckpoint.objects.filter(chain=chain).order_by("-seq").first()
    # Nothing new since the last checkpoint but its own audit.checkpoint_written event.
    if last is not None and head.last_seq <= last.seq + 1:
        return None
    now = timezone.now()
    public = signing.public_key_b64()
    document = {
        "version": 1, "chain": chain, "tenant": getattr(tenant, "pk", None),
        "tenant_slug": getattr(tenant, "slug", ""), "seq": head.last_seq,
        "hash": head.last_hash, "signed_at": format_time(now), "public_key": public,
    }
    body = canonical({"checkpoint": document, "signature": signing.sign(canonical(document))})
    key = f"{folder_for(tenant)}{chain}-{head.last_seq:012d}.json"
    locked_until = store().put(key, body, now + timedelta(days=_retention_days(tenant)))
    with transaction.atomic():
        checkpoint, created = AuditCheckpoint.objects.get_or_create(
            chain=chain, seq=head.last_seq,
            defaults={"tenant": tenant, "hash": head.last_hash, "signed_at": now,
                      "public_key": public, "storage_key": key, "locked_until": locked_until})
        if created:
            audit.record(actor=None, tenant=tenant, action="audit.checkpoint_written",
                         data={"seq": head.last_seq, "hash": head.last_hash, "key": key,
                               "object_lock": locked_until is not None})
    return checkpoint


def write_all(tenant=None) -> list[AuditCheckpoint]:
    """Checkpoint every chain (or one tenant's), as the periodic task does."""
    from tenancy.models import Tenant

    tenants = [tenant] if tenant is not None else [None, *Tenant.objects.order_by("pk")]
    written = []
    for each in tenants:
        checkpoint = write_checkpoint(each)
        if checkpoint is not None:
            written.append(checkpoint)
    return written


# --- reading --------------------------------------------------------------------------------
def trusted_public_keys() -> set[str]:
    """The current public key, plus earlier ones listed in ``AUDIT_PREVIOUS_PUBLIC_KEYS``."""
    previous = getattr(settings, "AUDIT_PREVIOUS_PUBLIC_KEYS", "") or ""
    return {signing.public_key_b64(), *(k.strip() for k in previous.split(",") if k.strip())}


@dataclass
class Checkpoints:
    """The verified checkpoints of one chain: ``{seq: hash}``, and what was wrong with others."""

    by_seq: dict[int, str] = field(default_factory=dict)
    documents: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def last_seq(self) -> int:
        return max(self.by_seq, default=0)


def parse(raw: bytes, *, chain: str, trusted: set[str], name: str = "") -> tuple[dict | None, str]:
    """``(stored document, "")`` for a well-signed checkpoint of ``chain``; else ``(None, why)``."""
    try:
        stored = json.loads(raw)
        document, signature = stored["checkpoint"], stored["signature"]
    except (ValueError, KeyError, TypeError):
        return None, f"checkpoint {name} is unreadable"
    if document.get("chain") != chain:
        return None, ""
    if document.get("public_key") not in trusted:
        return None, f"checkpoint {name} is signed by an unknown key"
    if not signing.signature_valid(canonical(document), signature, document["public_key"]):
        return None, f"checkpoint {name} has an invalid signature"
    return stored, ""


def load(tenant) -> Checkpoints:
    """Read and check every stored checkpoint of ``tenant``'s chain (None: the provider's)."""
    chain = chain_key(getattr(tenant, "pk", None)) if tenant is not None else PROVIDER_CHAIN
    trusted = trusted_public_keys()
    result = Checkpoints()
    for key, raw in store().read_all(folder_for(tenant)):
        stored, problem = parse(raw, chain=chain, trusted=trusted, name=key)
        if problem:
            result.problems.append(problem)
        if stored is None:
            continue
        document = stored["checkpoint"]
        seq = int(document["seq"])
        if result.by_seq.get(seq, document["hash"]) != document["hash"]:
            result.problems.append(f"two checkpoints disagree about seq {seq}")
        result.by_seq[seq] = document["hash"]
        result.documents.append(stored)
    result.documents.sort(key=lambda s: s["checkpoint"]["seq"])
    return result
