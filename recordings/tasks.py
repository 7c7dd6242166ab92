"""Celery tasks of the recordings part. Each takes ids, never instances.

``process_ingest`` retries transient failures only (see ``recordings.pipeline``) with
exponential backoff and jitter; acks late and reject-on-worker-lost come from the global
settings, so a killed worker's message goes back to the queue, and the sweeper finds what the
broker lost.
"""

from celery import shared_task

from . import maintenance, sources
from .conf import setting
from .pipeline import TransientIngestError, run_ingest


@shared_task(bind=True, autoretry_for=(TransientIngestError,), retry_backoff=True,
             retry_backoff_max=int(setting("INGEST_RETRY_BACKOFF_MAX")), retry_jitter=True,
             max_retries=10)
def process_ingest(self, ingest_id, tenant_id=None):
    """Run the pipeline for one ingest (public UUID); returns its status afterwards."""
    return run_ingest(ingest_id, tenant_id=tenant_id)


@shared_task
def sweep_ingests():
    """Re-enqueue stalled ingests; finish deletions that failed."""
    return maintenance.sweep()


@shared_task
def scan_spool():
    return sources.scan_spool()


@shared_task
def scan_inbox():
    return sources.scan_inbox()


@shared_task
def purge_staging():
    return maintenance.purge_staging()
