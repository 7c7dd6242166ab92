"""Celery tasks of the supervision part."""

import datetime

from celery import shared_task
from django.conf import settings

from . import services


@shared_task
def end_stale_sessions():
    """End sessions the PBX never reported as ended (``SUPERVISION_STALE_HOURS``, default 12).
    Re-running ends nothing more."""
    hours = float(getattr(settings, "SUPERVISION_STALE_HOURS", 12))
    return services.end_stale_sessions(max_age=datetime.timedelta(hours=hours))
