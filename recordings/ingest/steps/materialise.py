"""A local path holding the received bytes (staged locally, or downloaded from the store)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ... import staging
from ...choices import IngestReason, IngestSource, StagedIn
from ...storage import ObjectMissing, get_store
from ..outcomes import Quarantined
from ..sources.spool import finish_spool_claim
from . import Job


def materialise(job: Job):
    path = _local_path(job)
    if path is None:
        return Quarantined(IngestReason.STAGED_MISSING)
    job.path = path
    return None


def _local_path(job: Job) -> Path | None:
    ingest = job.ingest
    if ingest.staged_in == StagedIn.LOCAL:
        staged = staging.path(ingest.staged_path)
        if staged.exists():
            return staged
        # A spool claim committed but the scanner died before moving the file: move it now.
        if (ingest.source == IngestSource.SPOOL and ingest.source_path
                and finish_spool_claim(ingest)):
            return staged
        return None
    if ingest.staged_in == StagedIn.STORE:
        fd, name = tempfile.mkstemp(
            prefix=f"{ingest.ingest_id}-", dir=staging.temp_dir(),
            suffix=staging.safe_extension(ingest.original_name or ingest.staged_path))
        os.close(fd)
        temp = Path(name)
        job.temp_files.append(temp)
        try:
            get_store().download_file(ingest.staged_path, temp)
        except ObjectMissing:
            return None
        return temp
    return None
