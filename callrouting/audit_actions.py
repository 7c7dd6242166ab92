"""Audit actions of the legal-notice routing, with labels (collected by the audit part)."""

from django.utils.translation import gettext_lazy as _

ACTIONS = {
    "routing.created": (_("Legal-notice routing created"), "routing"),
    "routing.draft_changed": (_("Legal-notice routing draft changed"), "routing"),
    "routing.published": (_("Legal-notice routing published"), "routing"),
    "routing.rolled_back": (_("Legal-notice routing rolled back"), "routing"),
    "routing.audio_generated": (_("Announcement audio generated"), "routing"),
    "routing.audio_uploaded": (_("Announcement audio uploaded"), "routing"),
    "routing.consent_proof_recorded": (
        _("Caller's answer to the announcement recorded"),
        "consent",
    ),
}
