"""Container, codec, duration, peaks and the checksum of the staged bytes; the storage key
(computed here, once)."""

from __future__ import annotations

import threading

from ... import audio
from ...choices import IngestReason, StagedIn
from ...storage import get_store, recording_key
from ..outcomes import Quarantined, Rejected
from . import Job, dotted


def analyse(job: Job):
    ingest = job.ingest
    known = known_sha256(job)
    try:
        analysis = (_analyse_watching(job, known) if job.transfer is not None
                    else audio.analyse(job.path, sha256=known))
    except audio.AudioRejected as exc:
        return Rejected(exc.code, exc.detail)
    job.analysis = analysis
    job.peaks = plain(analysis.peaks)
    if ingest.sha256 and ingest.sha256 != analysis.sha256:
        return Quarantined(IngestReason.CHECKSUM_MISMATCH,
                           f"received={ingest.sha256}; staged={analysis.sha256}")
    job.extension = dotted(analysis.info.extension)
    key = recording_key(tenant_id=ingest.tenant_id, started_at=job.started_at,
                        ingest_id=ingest.ingest_id, extension=job.extension)
    if job.key and key != job.key:
        return Quarantined(IngestReason.INTERNAL_ERROR, f"key={job.key}; analysed_key={key}")
    job.key = key
    return None


def known_sha256(job: Job) -> str:
    """The SHA-256 the push was hashed to while it was received, when the store will verify
    it on upload (``put_file(sha256=...)``: S3's ``x-amz-checksum-sha256``, the local store's
    own check): then the staged file is not read a second time to hash it. Bytes that changed
    in staging are refused by the store (quarantined ``checksum_mismatch``,
    ``store=refused``) instead of by the analysis. Otherwise (pulled sources, staging in the
    store, a store that does not verify) the analysis hashes the file."""
    ingest = job.ingest
    if ingest.sha256 and ingest.staged_in == StagedIn.LOCAL and get_store().verifies_checksums:
        return ingest.sha256
    return ""


def _analyse_watching(job: Job, known: str):
    """The analysis in a thread of its own while an early upload runs; this thread reads the
    caller's consent meanwhile and stops the upload on an objection."""
    result: dict = {}

    transfer = job.transfer

    def run():
        try:
            result["analysis"] = audio.analyse(job.path, sha256=known)
        except BaseException as exc:  # re-raised below
            result["error"] = exc
        finally:
            transfer.wake.set()

    worker = threading.Thread(target=run, name=f"analyse-{job.ingest.ingest_id}", daemon=True)
    worker.start()
    while worker.is_alive():
        transfer.wait_turn()
        if transfer.thread.is_alive():
            transfer.watch(job)
    if "error" in result:
        raise result["error"]
    return result["analysis"]


def plain(peaks):
    if hasattr(peaks, "tolist"):
        return peaks.tolist()
    if isinstance(peaks, list | tuple):
        if all(type(p) in (float, int) for p in peaks):  # the analysis' own: plain already
            return list(peaks)
        return [plain(p) for p in peaks]
    if hasattr(peaks, "item"):
        return peaks.item()
    return peaks
