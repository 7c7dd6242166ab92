"""Celery tasks of the recordings part. Each takes ids, never instances; nothing imports this
module (``recordings.ingest.queue`` enqueues by task name).

``process_ingest`` retries transient failures only (``recordings.ingest.runner``) with
exponential backoff and jitter; acks late and reject-on-worker-lost come from the global
settings, so a killed worker's message goes back to the queue, and the sweeper finds what the
broker lost.
"""

from celery import shared_task

from . import cleanup
from .conf import setting
from .ingest.runner import TransientIngestError, run_ingest
from .ingest.sources import inbox, spool


@shared_task(name="recordings.tasks.process_ingest", bind=True,
             autoretry_for=(TransientIngestError,), retry_backoff=True,
             retry_backoff_max=int(setting("INGEST_RETRY_BACKOFF_MAX")), retry_jitter=True,
             max_retries=10)
def process_ingest(self, ingest_id, tenant_id=None):
    """Run the pipeline for one ingest (public UUID); returns its status afterwards."""
    return run_ingest(ingest_id, tenant_id=tenant_id)


@shared_task(name="recordings.tasks.sweep_ingests")
def sweep_ingests():
    """Re-enqueue stalled ingests; finish deletions that failed."""
    return cleanup.sweep()


@shared_task(name="recordings.tasks.scan_spool")
def scan_spool():
    return spool.scan_spool()


@shared_task(name="recordings.tasks.scan_inbox")
def scan_inbox():
    return inbox.scan_inbox()


@shared_task(name="recordings.tasks.purge_staging")
def purge_staging():
    return cleanup.purge_staging()
