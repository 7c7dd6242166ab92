"""Periodic tasks of supervision (merged into Celery beat by hostedpbx.celery)."""

BEAT_SCHEDULE = {
    "supervision.end-stale-sessions": {
        "task": "supervision.tasks.end_stale_sessions",
        "schedule": 900.0,
    },
}
