"""Periodic tasks of the recordings part (merged into Celery beat by hostedpbx.celery).

Intervals come from settings so that fault tests and busy installations can change them:
``INGEST_SWEEP_SECONDS`` (60), ``INGEST_SCAN_SECONDS`` (15), ``INGEST_PURGE_SECONDS`` (3600).
"""

from celery.schedules import crontab

from .conf import setting

BEAT_SCHEDULE = {
    "recordings.sweep-ingests": {
        "task": "recordings.tasks.sweep_ingests",
        "schedule": float(setting("INGEST_SWEEP_SECONDS")),
    },
    "recordings.scan-spool": {
        "task": "recordings.tasks.scan_spool",
        "schedule": float(setting("INGEST_SCAN_SECONDS")),
    },
    "recordings.scan-inbox": {
        "task": "recordings.tasks.scan_inbox",
        "schedule": float(setting("INGEST_SCAN_SECONDS")),
    },
    "recordings.purge-staging": {
        "task": "recordings.tasks.purge_staging",
        "schedule": float(setting("INGEST_PURGE_SECONDS")),
    },
}

# The archive (recordings.archive): the daily retention purge and the hourly export expiry.
BEAT_SCHEDULE.update({
    "recordings.archive.purge-retention": {
        "task": "recordings.archive.purge_retention",
        "schedule": crontab(hour=3, minute=17),
    },
    "recordings.archive.expire-exports": {
        "task": "recordings.archive.expire_exports",
        "schedule": 3600.0,
    },
})
