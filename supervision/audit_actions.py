"""Audit actions of supervision with their labels (collected by the audit part)."""

from django.utils.translation import gettext_lazy as _

ACTIONS = {
    "supervision.grant_created": (_("Supervisor allowed for an agent"), "supervision"),
    "supervision.grant_changed": (_("Supervision grant changed"), "supervision"),
    "supervision.grant_revoked": (_("Supervision grant revoked"), "supervision"),
    "supervision.authorized": (_("Listen-in allowed"), "supervision"),
    "supervision.refused": (_("Listen-in refused"), "supervision"),
    "supervision.session_started": (_("Monitoring session started"), "supervision"),
    "supervision.supervisor_joined": (_("Supervisor joined a call"), "supervision"),
    "supervision.supervisor_left": (_("Supervisor left a call"), "supervision"),
    "supervision.mode_changed": (_("Monitoring mode changed"), "supervision"),
    "supervision.session_ended": (_("Monitoring session ended"), "supervision"),
    "supervision.settings_changed": (_("Supervision settings changed"), "settings"),
}
