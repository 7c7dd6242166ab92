"""Template filters of the licensing pages."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def actor_name(label: str) -> str:
    """Who assigned or revoked a licence, as stored (``audit.chain.describe_actor``'s label),
    in the reader's language: an account's username, a PBX node, or the system itself."""
    if not label:
        return "—"
    if label == "system":
        return _("automatically (system)")
    if label == "anonymous":
        return _("unknown")
    if label.startswith("node:"):
        return _("PBX %(name)s") % {"name": label.removeprefix("node:")}
    return label
