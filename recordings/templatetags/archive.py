"""``{% archive_actions recording membership tenant as actions %}``: what the archive lets this
membership do with a recording (for ``_detail_actions.html``)."""

from django import template

from recordings.archive import permissions
from recordings.archive.holds import active_hold
from recordings.archive.policy import policy_for
from recordings.choices import Consent
from recordings.selectors import settings_for

register = template.Library()


@register.simple_tag
def archive_actions(recording, membership, tenant):
    call = recording.call
    return {
        "object": call.consent != Consent.OBJECTED
        and permissions.may_record_objection(membership, call, policy_for(tenant)),
        "hold": permissions.may_set_legal_hold(membership),
        "delete": permissions.may_delete_recordings(membership)
        and recording.has_audio
        and not recording.legal_hold,
        "export": permissions.may_export(membership),
        "active_hold": active_hold(recording) if recording.legal_hold else None,
    }


@register.simple_tag
def access_reason_required(tenant) -> bool:
    """Whether the tenant asks for a reason before recordings are played, downloaded or
    exported (``RecordingSettings.access_reason_required``)."""
    return settings_for(tenant).access_reason_required
