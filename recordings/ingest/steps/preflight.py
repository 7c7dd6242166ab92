"""The metadata the ingest came with, checked by the one validator of every source."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from ...choices import IngestReason
from ...metadata import error_codes, started_at_of, validate_metadata
from ..outcomes import Rejected
from . import Job


def preflight(job: Job):
    try:
        job.metadata = validate_metadata(job.ingest.metadata,
                                         portal=job.ingest.uploaded_by_id is not None)
    except ValidationError as exc:
        return Rejected(IngestReason.INVALID_METADATA, error_codes(exc))
    job.started_at = started_at_of(job.metadata)
    return None
