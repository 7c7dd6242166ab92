"""Audit actions of the recordings part with their labels (collected by the audit trail
through ``hostedpbx.parts.part_modules("audit_actions")``)."""

from django.utils.translation import gettext_lazy as _

ACTIONS = {
    "recording.listed": (_("Recordings listed"), "recordings"),
    "recording.viewed": (_("Recording viewed"), "recordings"),
    "recording.played": (_("Recording played"), "recordings"),
    "recording.downloaded": (_("Recording downloaded"), "recordings"),
    "recording.metadata_exported": (_("Recording list exported (CSV)"), "recordings"),
    "export.created": (_("Export requested"), "recordings"),
    "export.built": (_("Export built"), "recordings"),
    "export.downloaded": (_("Export downloaded"), "recordings"),
    "export.expired": (_("Export expired and deleted"), "recordings"),
    "recording.deleted": (_("Recording deleted by hand"), "recordings"),
    "recording.discarded": (_("Recording audio deleted"), "recordings"),
    "recording.retention_purged": (_("Recordings purged after the retention period"),
                                   "recordings"),
    "recording.legal_hold_set": (_("Legal hold placed"), "recordings"),
    "recording.legal_hold_lifted": (_("Legal hold lifted"), "recordings"),
    "recording.legal_hold_bulk_set": (_("Legal hold placed on a search"), "recordings"),
    "recording.legal_hold_bulk_lifted": (_("Legal hold lifted on a search"), "recordings"),
    "subject_request.created": (_("Data-subject request recorded"), "consent"),
    "subject_request.erased": (_("Data of a data subject erased"), "consent"),
    "call.consent_changed": (_("Caller's consent changed"), "consent"),
    "recording.ingested": (_("Recording stored"), "recordings"),
    "recording.duplicate_received": (_("Recording received again"), "recordings"),
    "recording.rejected": (_("Recording rejected"), "recordings"),
    "recording.quarantined": (_("Recording quarantined"), "recordings"),
    "recording.discard_deferred": (_("Recording discard deferred"), "consent"),
    "ingest.audio_discarded": (_("Received audio discarded"), "consent"),
    "ingest.audio_purged": (_("Received audio purged"), "recordings"),
    "ingest.released": (_("Held recording released"), "recordings"),
    "ingest.retried": (_("Recording ingest retried"), "recordings"),
    "ingest.upload_deleted": (_("Uploaded recording deleted"), "recordings"),
    "recordings.settings_changed": (_("Recording settings changed"), "settings"),
}


def action_label(action: str) -> str:
    """The label of any part's action (``<app>/audit_actions.py``); the code when none is
    declared."""
    from hostedpbx.parts import part_modules

    for module in part_modules("audit_actions"):
        entry = getattr(module, "ACTIONS", {}).get(action)
        if entry:
            return str(entry[0])
    return action
