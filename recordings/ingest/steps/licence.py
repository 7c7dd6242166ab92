"""The licence the recording's kind needs, held by the PBX user at the call's start. Missing
it does not stop the ingest: the recording is stored and marked as a policy violation."""

from __future__ import annotations

from licensing.selectors import held_license_at

from ...choices import REQUIRED_LICENSE
from . import Job


def licence(job: Job):
    needed = REQUIRED_LICENSE[job.metadata["kind"]]
    if not held_license_at(pbx_user=job.pbx_user, license=needed, at=job.started_at):
        job.violation = f"{needed}_not_held"
    return None
