"""Tunables of the ingest, with defaults. A Django setting of the same name wins; otherwise an
environment variable of that name (so a worker started for a fault test or a benchmark can be
tuned without its own settings module); otherwise the default here."""

import os

from django.conf import settings

DEFAULTS = {
    "INGEST_LEASE_SECONDS": 15 * 60,  # a claim's lease; renewed during long steps
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
    "INGEST_OVERLAP_UPLOAD": True,  # upload to S3 while decoding (pipeline.start_upload_early)
    "RECORDINGS_LOCAL_DIR": "",  # local store root; default VAR_DIR/recordings
    "S3_CONNECT_TIMEOUT": 5,
    "S3_READ_TIMEOUT": 60,
    "PHONE_DEFAULT_REGION": "DE",
}


def setting(name):
    default = DEFAULTS[name]
    value = getattr(settings, name, None)
    if value is not None:
        return value
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    return raw
