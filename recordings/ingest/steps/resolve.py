"""Who and which call: the PBX user of the extension, the call (created or completed from the
metadata, a consent outcome in it applied like a PBX report), the same audio of this call
stored already, and the caller's objection, all before a byte goes to final storage."""

from __future__ import annotations

import contextlib

from django.db import transaction

from tenancy.models import PbxUser

from ... import consent
from ...choices import Consent, ConsentSource, IngestReason, IngestSource
from ...models import Recording
from ..outcomes import Duplicate, Quarantined, Tombstone
from . import Job


def resolve(job: Job):
    ingest, metadata = job.ingest, job.metadata
    job.pbx_user = PbxUser.unscoped.filter(tenant_id=ingest.tenant_id,
                                           extension=metadata["extension"]).first()
    job.call = _call(job)
    existing = Recording.unscoped.filter(tenant_id=ingest.tenant_id, call=job.call,
                                         sha256=job.analysis.sha256).first()
    if existing is not None:
        return Duplicate(existing)
    if job.call.consent == Consent.OBJECTED:
        return Tombstone()
    if job.pbx_user is None:
        return Quarantined(IngestReason.UNKNOWN_EXTENSION, f"extension={metadata['extension']}")
    return None


def _call(job: Job):
    ingest, metadata = job.ingest, job.metadata
    outcome = metadata.get("consent")
    if outcome == Consent.UNKNOWN:
        outcome = None
    details = consent.call_details(metadata)
    details["pbx_user"] = job.pbx_user
    if not outcome:
        # Nothing to change under the row lock: get-or-create and fill in (the final
        # transaction locks the call).
        return consent.ensure_call(tenant=ingest.tenant_id, call_id=metadata["call_id"],
                                   details=details)
    with transaction.atomic():
        call = consent.ensure_call(tenant=ingest.tenant_id, call_id=metadata["call_id"],
                                   details=details, lock=True)
        if call.consent != outcome:
            with contextlib.suppress(consent.ConsentFinal):
                consent.apply_consent(
                    actor=job.actor, call=call, outcome=outcome,
                    source=(ConsentSource.UPLOAD if ingest.source == IngestSource.UPLOAD
                            else ConsentSource.PBX),
                    set_by=job.actor_label, note=f"reported with ingest {ingest.ingest_id}")
    return call
