"""The Celery application; configuration comes from Django settings (``CELERY_*``).

Each part may define periodic tasks in ``<app>/schedule.py`` as ``BEAT_SCHEDULE = {...}``
(Celery's beat_schedule format); they are merged here.
"""

import os

from celery import Celery
from celery.signals import beat_init, task_postrun, task_prerun, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostedpbx.settings")

app = Celery("hostedpbx")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def collect_beat_schedule():
    from hostedpbx.parts import part_modules

    schedule = {}
    for module in part_modules("schedule"):
        schedule.update(getattr(module, "BEAT_SCHEDULE", {}))
    return schedule


@app.on_after_finalize.connect
def _merge_schedules(sender, **kwargs):
    sender.conf.beat_schedule = {**(sender.conf.beat_schedule or {}), **collect_beat_schedule()}


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(task=None, **kwargs):
    """Around each task what Django does around each request: close a database connection
    that is older than ``CONN_MAX_AGE`` or broken (errors and no longer usable), keep the
    others. Celery's own per-task close is off (``CELERY_DB_REUSE_MAX``): it opened a new
    PostgreSQL connection for every task. Tasks run inline (eager, in tests) are left alone:
    they run inside the caller's transaction."""
    from django.db import close_old_connections, connection

    if getattr(getattr(task, "request", None), "is_eager", False) or connection.in_atomic_block:
        return
    close_old_connections()


@worker_init.connect
@beat_init.connect
def _log_schedule(sender=None, **kwargs):
    import logging

    logging.getLogger(__name__).info("periodic tasks: %s", sorted(app.conf.beat_schedule or {}))
