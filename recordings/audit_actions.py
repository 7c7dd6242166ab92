"""Audit actions of the recordings part, with their labels (see ``audit.actions``)."""

from django.utils.translation import gettext_lazy as _

ACTIONS = {
    "recording.listed": (_("Recordings list viewed"), "recordings"),
    "recording.viewed": (_("Recording viewed"), "recordings"),
    "recording.ingested": (_("Recording stored"), "recordings"),
    "recording.duplicate_received": (_("Recording received again"), "recordings"),
    "recording.rejected": (_("Recording rejected"), "recordings"),
    "recording.quarantined": (_("Recording quarantined"), "recordings"),
    "recording.discarded": (_("Recording discarded"), "consent"),
    "recording.discard_deferred": (_("Recording discard deferred"), "consent"),
    "call.consent_changed": (_("Caller consent changed"), "consent"),
    "ingest.audio_discarded": (_("Received audio discarded"), "consent"),
    "ingest.audio_purged": (_("Received audio purged"), "recordings"),
    "ingest.released": (_("Held recording released"), "recordings"),
    "ingest.retried": (_("Recording ingest retried"), "recordings"),
    "ingest.upload_deleted": (_("Uploaded recording deleted"), "recordings"),
}
