"""The steps of the ingest, in order. Each takes the :class:`Job` and returns ``None`` (go on)
or an outcome from ``recordings.ingest.outcomes`` (stop here); what a step learns it writes
into the job for the next ones.

``materialise`` (a local path holding the received bytes) → ``preflight`` (the metadata)
→ ``upload.start_early`` (when nothing stands against keeping the audio yet) → ``analyse``
(container, codec, duration, peaks, checksum; the storage key) → ``resolve`` (the PBX user,
the call and its consent, a duplicate) → ``licence`` (the licence held at the call's start)
→ ``upload`` (to final storage, only now that consent is decided, or the early upload
finished; an objection during the upload aborts it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ...models import Call, Ingest
from ..lease import Lease


@dataclass
class Job:
    lease: Lease
    path: Path | None = None
    temp_files: list[Path] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)
    started_at: datetime | None = None
    analysis: object = None  # recordings.audio.Analysis
    peaks: list = field(default_factory=list)
    extension: str = ""  # ".wav", from the analysis
    key: str = ""
    pbx_user: object = None
    call: Call | None = None
    violation: str = ""
    uploaded: bool = False
    transfer: object = None  # steps.upload.Transfer, when the upload started early

    @property
    def ingest(self) -> Ingest:
        return self.lease.ingest

    @property
    def actor(self):
        return self.ingest.node or self.ingest.uploaded_by

    @property
    def actor_label(self) -> str:
        if self.ingest.node is not None:
            return f"node:{self.ingest.node.name}"
        if self.ingest.uploaded_by is not None:
            return self.ingest.uploaded_by.get_username()
        return "system"

    @property
    def may_have_uploaded(self) -> bool:
        """Could an object exist at ``key``? (this attempt uploaded it, or an earlier one may
        have, and died before its commit)"""
        return bool(self.key) and (self.uploaded or self.ingest.attempts > 1)

    def stop_transfer(self) -> None:
        """Stop an early upload that is still running (an ending that does not keep the
        audio) and note whether it completed."""
        if self.transfer is not None:
            self.transfer.stop()
            self.uploaded = self.uploaded or self.transfer.done

    def cleanup(self) -> None:
        self.stop_transfer()  # it may still read a temporary file
        for temp in self.temp_files:
            temp.unlink(missing_ok=True)


def dotted(extension) -> str:
    extension = str(extension or "").lower()
    if extension and not extension.startswith("."):
        extension = "." + extension
    return extension
