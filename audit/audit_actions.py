"""Audit actions of the audit part itself, with their labels (see ``audit.actions``)."""

from django.utils.translation import gettext_lazy as _

ACTIONS = {
    "audit.exported": (_("Audit trail exported"), "audit"),
    "audit.verified": (_("Audit trail verified"), "audit"),
    "audit.checkpoint_written": (_("Signed checkpoint written"), "audit"),
    "audit.purged": (_("Old audit events purged"), "audit"),
    "audit.settings_changed": (_("Compliance settings changed"), "settings"),
}
