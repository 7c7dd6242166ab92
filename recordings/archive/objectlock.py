"""S3 Object Lock legal holds on recording objects (``put_object_legal_hold``), when the
recordings bucket has Object Lock enabled. The local store and buckets without Object Lock do
nothing (the database flag is the hold there)."""

from __future__ import annotations

import logging

from recordings.storage import get_store

log = logging.getLogger(__name__)
_lock_enabled: dict[str, bool] = {}


def bucket_has_object_lock(store) -> bool:
    if getattr(store, "kind", "") != "s3":
        return False
    cached = _lock_enabled.get(store.bucket)
    if cached is not None:
        return cached
    from botocore.exceptions import ClientError

    try:
        config = store.client.get_object_lock_configuration(Bucket=store.bucket)
    except ClientError:
        enabled = False
    else:
        enabled = config.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"
    _lock_enabled[store.bucket] = enabled
    return enabled


def set_object_legal_hold(key: str, on: bool) -> bool:
    """Set (or release) the object's legal hold; True when the bucket enforces it. Errors are
    raised, so that a hold the storage refused is not reported as set."""
    if not key:
        return False
    store = get_store()
    if not bucket_has_object_lock(store):
        return False
    store.client.put_object_legal_hold(
        Bucket=store.bucket, Key=key, LegalHold={"Status": "ON" if on else "OFF"}
    )
    return True


def object_legal_hold(key: str) -> str:
    """``ON``/``OFF`` as the bucket reports it, ``""`` without Object Lock (for checks)."""
    store = get_store()
    if not bucket_has_object_lock(store):
        return ""
    from botocore.exceptions import ClientError

    try:
        response = store.client.get_object_legal_hold(Bucket=store.bucket, Key=key)
    except ClientError:  # S3 answers an error for an object that never had a hold
        return "OFF"
    return response.get("LegalHold", {}).get("Status") or "OFF"
