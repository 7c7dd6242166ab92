"""Audit actions of the recordings archive, with their labels (collected by the audit part)."""

from django.utils.translation import gettext_lazy as _

ACTIONS = {
    "recording.listed": (_("Recordings listed"), "recordings"),
    "recording.viewed": (_("Recording viewed"), "recordings"),
    "recording.played": (_("Recording played"), "recordings"),
    "recording.downloaded": (_("Recording downloaded"), "recordings"),
    "recording.metadata_exported": (_("Recording list exported (CSV)"), "recordings"),
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
