"""Periodic tasks of the audit part (merged into Celery beat by hostedpbx.celery).

``AUDIT_CHECKPOINT_SECONDS`` (default 3600): how often each chain head is signed and stored;
a cut-off tail or a rewritten chain is detected back to the last checkpoint.
"""

from django.conf import settings

BEAT_SCHEDULE = {
    "audit.write-checkpoints": {
        "task": "audit.tasks.write_checkpoints",
        "schedule": float(getattr(settings, "AUDIT_CHECKPOINT_SECONDS", 3600)),
    },
    "audit.purge-expired-events": {
        "task": "audit.tasks.purge_expired_events",
        "schedule": 24 * 3600.0,
    },
}
