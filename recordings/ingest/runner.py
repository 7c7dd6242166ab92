"""Runs the steps for one ingest: claim, steps in order, one outcome, cleanup.

``run_ingest(ingest_id)`` is the whole job, callable from the Celery task, from tests and from
``seed_demo``. It promises:

- **Claim first** (``lease.claim``): a second delivery, a sweeper re-enqueue or a concurrent
  worker does nothing.
- **Consent before storage**: the call's consent is decided (``steps.resolve``) before the
  first byte goes to final storage, and checked during the upload (``steps.upload``).
- **Durable before done**: one transaction writes the recording, the ingest's final state and
  the audit event (``outcomes.store``); staged bytes go only after that commit.
- **Transient failures** (storage, database or broker unreachable) release the claim (status
  ``queued``, reason ``transient_error``) and raise :class:`TransientIngestError`, so the task
  retries with backoff; re-runs are idempotent (same key; an object already there with the
  same checksum is not uploaded again).
- **Permanent outcomes** are rows, never exceptions (``outcomes``).
"""

from __future__ import annotations

import logging

from botocore.exceptions import BotoCoreError, ClientError

from ..choices import IngestReason, IngestStatus
from . import outcomes
from .lease import LeaseLost, claim
from .steps import Job
from .steps.analyse import analyse
from .steps.licence import licence
from .steps.materialise import materialise
from .steps.preflight import preflight
from .steps.resolve import resolve
from .steps.upload import start_early, upload
from .transient import TransientIngestError, is_transient

log = logging.getLogger(__name__)

SKIPPED = "skipped"
STEPS = (materialise, preflight, start_early, analyse, resolve, licence, upload)

__all__ = ["SKIPPED", "STEPS", "LeaseLost", "TransientIngestError", "run_ingest"]


def run_ingest(ingest_id, *, tenant_id=None) -> str:
    """Process one ingest; returns its status afterwards, or ``"skipped"`` when another run
    holds it or it is finished. Raises :class:`TransientIngestError` after releasing the
    claim when a retry may succeed."""
    try:
        lease = claim(ingest_id, tenant_id=tenant_id)
    except Exception as exc:
        if is_transient(exc):
            raise TransientIngestError(str(exc)) from exc
        raise
    if lease is None:
        return SKIPPED
    job = Job(lease=lease)
    try:
        return _run(job)
    except LeaseLost:
        return SKIPPED
    except Exception as exc:
        job.stop_transfer()
        detail = f"{type(exc).__name__}: {exc}"[:2000]
        if is_transient(exc):
            lease.release(detail)  # back to queued (or, if the database is down, it expires)
            raise TransientIngestError(detail) from exc
        log.exception("ingest %s failed", lease.ingest.ingest_id)
        reason = (IngestReason.STORAGE_ERROR if isinstance(exc, ClientError | BotoCoreError)
                  else IngestReason.INTERNAL_ERROR)
        try:
            return outcomes.without_recording(job, IngestStatus.QUARANTINED, reason, detail)
        except LeaseLost:
            return SKIPPED
    finally:
        job.cleanup()


def _run(job: Job) -> str:
    for step in STEPS:
        outcome = step(job)
        if outcome is not None:
            job.stop_transfer()
            return outcomes.finish(job, outcome)
        job.lease.renew_if_needed()
    return outcomes.store(job)
