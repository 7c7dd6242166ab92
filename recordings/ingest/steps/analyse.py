"""Container, codec, duration, peaks and the checksum of the staged bytes; the storage key
(computed here, once)."""

from __future__ import annotations

from ... import audio
from ...choices import IngestReason
from ...storage import recording_key
from ..outcomes import Quarantined, Rejected
from . import Job


def analyse(job: Job):
    ingest = job.ingest
    try:
        analysis = audio.analyse(job.path)
    except audio.AudioRejected as exc:
        return Rejected(exc.code, exc.detail)
    job.analysis = analysis
    job.peaks = _plain(analysis.peaks)
    if ingest.sha256 and ingest.sha256 != analysis.sha256:
        return Quarantined(IngestReason.CHECKSUM_MISMATCH,
                           f"received={ingest.sha256}; staged={analysis.sha256}")
    job.extension = dotted(analysis.info.extension)
    job.key = recording_key(tenant_id=ingest.tenant_id, started_at=job.started_at,
                            ingest_id=ingest.ingest_id, extension=job.extension)
    return None


def dotted(extension) -> str:
    extension = str(extension or "").lower()
    if extension and not extension.startswith("."):
        extension = "." + extension
    return extension


def _plain(peaks):
    if hasattr(peaks, "tolist"):
        return peaks.tolist()
    if isinstance(peaks, list | tuple):
        return [_plain(p) for p in peaks]
    if hasattr(peaks, "item"):
        return peaks.item()
    return peaks
