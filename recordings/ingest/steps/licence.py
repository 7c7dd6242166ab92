"""The licence the recording's kind needs, held by the PBX user at the call's start. Missing
it does not stop the ingest: the recording is stored and marked as a policy violation."""

from __future__ import annotations

from licensing.selectors import held_license_at

from ...choices import REQUIRED_LICENSE
from . import Job


def licence(job: Job):
    kind = job.metadata["kind"]
    job.violation = violation(kind, held_license_at(
        pbx_user=job.pbx_user, license=REQUIRED_LICENSE[kind], at=job.started_at))
    return None


def violation(kind: str, held: bool) -> str:
    """The policy violation of a recording of ``kind`` whose user held (or did not hold) the
    licence it needs: ``""`` or ``"<licence>_not_held"``."""
    return "" if held else f"{REQUIRED_LICENSE[kind]}_not_held"
