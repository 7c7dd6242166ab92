"""Tunables of the ingest and their defaults. ``hostedpbx/settings.py`` sets each from the
environment variable of the same name; a settings module without one gets the default here.
Nothing in ``recordings`` reads the environment itself."""

from django.conf import settings

DEFAULTS = {
    "INGEST_LEASE_SECONDS": 15 * 60,  # a claim's lease; renewed between steps
    "INGEST_REQUEUE_AFTER_SECONDS": 300,  # queued this long without a start → enqueue again
    "INGEST_RETRY_BACKOFF_MAX": 600,  # longest pause between retries of a transient failure
    "INGEST_SWEEP_SECONDS": 60,
    "INGEST_SCAN_SECONDS": 15,
    "INGEST_PURGE_SECONDS": 3600,
    "INGEST_SPOOL_SETTLE_SECONDS": 2,  # spool files this fresh may still be written
    "INGEST_REJECTED_KEEP_DAYS": 30,  # rejected input is kept this long for inspection
    "INGEST_ORPHAN_AGE_SECONDS": 3600,
    "INGEST_STAGE_IN_STORE": False,  # stage pushes in the store (multi-host without NFS)
    "INGEST_INBOX_PREFIX": "inbox/",
    "INGEST_OVERLAP_UPLOAD": True,  # upload while analysing, when nothing stands against it
    "INGEST_OVERLAP_MIN_BYTES": 8 * 1024 * 1024,  # ... and the file is at least this big
    "INGEST_EXPRESS": True,  # store pushes that need no other ending inside their request
    "INGEST_EXPRESS_MAX_BYTES": 8 * 1024 * 1024,  # ... up to this size
    "RECORDINGS_LOCAL_DIR": "",  # local store root; default VAR_DIR/recordings
    "S3_CONNECT_TIMEOUT": 5,
    "S3_READ_TIMEOUT": 60,
    "S3_SIGN_PAYLOAD": False,  # sign bodies although a checksum header protects them
    "S3_VERIFIES_CHECKSUMS": True,  # the store checks x-amz-checksum-sha256 (not moto)
    "PHONE_DEFAULT_REGION": "DE",
}


def setting(name):
    value = getattr(settings, name, None)
    return DEFAULTS[name] if value is None else value
