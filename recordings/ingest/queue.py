"""Sending ingests to the worker, by task name: nothing here imports ``recordings.tasks``.

The database, not the broker, knows what is to do: a message that is lost (broker down,
restarted, enqueue failed) is sent again by :func:`requeue_stalled`, and a duplicate message
is harmless (the claim in ``lease`` lets one run).
"""

from __future__ import annotations

import importlib
import logging
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from hostedpbx.celery import app

from ..choices import IngestStatus
from ..conf import setting
from ..models import Ingest

log = logging.getLogger(__name__)

PROCESS_INGEST = "recordings.tasks.process_ingest"
RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
BATCH = 1000


def task(name: str):
    """The registered Celery task ``name``, its module loaded by name if need be (for running
    tasks inline, ``CELERY_TASK_ALWAYS_EAGER``)."""
    if name not in app.tasks:
        importlib.import_module(name.rpartition(".")[0])
    return app.tasks[name]


def send(name: str, args: list) -> None:
    """Send the task ``name`` to the broker by its name (no import of the task's module); run
    it inline when tasks are eager."""
    if app.conf.task_always_eager:
        task(name).apply_async(args=args)
    else:
        app.send_task(name, args=args, retry=True, retry_policy=RETRY_POLICY)


def enqueue_ingest(ingest_id, tenant_id) -> bool:
    """Send ``process_ingest``. A broker that is down is logged, not raised: the ingest row is
    committed, and the sweeper enqueues it again."""
    try:
        send(PROCESS_INGEST, [str(ingest_id), tenant_id])
    except Exception:
        log.warning("could not enqueue ingest %s; the sweeper will", ingest_id, exc_info=True)
        return False
    return True


def enqueue_on_commit(ingest: Ingest) -> None:
    transaction.on_commit(partial(enqueue_ingest, ingest.ingest_id, ingest.tenant_id))


def requeue_after() -> timedelta:
    return timedelta(seconds=setting("INGEST_REQUEUE_AFTER_SECONDS"))


def requeue_stalled(now=None) -> int:
    """Enqueue again: ``queued`` ingests not started within ``INGEST_REQUEUE_AFTER_SECONDS``
    of their (re-)enqueueing or planned retry, and ``processing`` ones whose lease expired."""
    now = now or timezone.now()
    cutoff = now - requeue_after()
    due = list(
        Ingest.unscoped.annotate(
            pending_since=Coalesce("next_attempt_at", "enqueued_at", "created_at"))
        .filter(Q(status=IngestStatus.QUEUED, pending_since__lt=cutoff)
                | Q(status=IngestStatus.PROCESSING, lease_expires_at__lt=now)
                & (Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=cutoff)))
        .order_by("pending_since")
        .values_list("pk", "ingest_id", "tenant_id")[:BATCH]
    )
    if not due:
        return 0
    Ingest.unscoped.filter(pk__in=[pk for pk, _i, _t in due]).update(enqueued_at=now)
    for _pk, ingest_id, tenant_id in due:
        enqueue_ingest(ingest_id, tenant_id)
    log.info("re-enqueued %d stalled ingests", len(due))
    return len(due)
